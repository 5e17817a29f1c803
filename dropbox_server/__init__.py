"""The tip drop's aiohttp application: reporter and investigator sites, storage, crypto envelope."""

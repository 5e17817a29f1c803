"""The investigator site: sign-in, unit inbox, report view, replies and outcomes."""

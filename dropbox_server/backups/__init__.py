"""Scheduled backups of a data directory (database snapshot and attachment ciphertext) and their restore."""

"""Use cases on reports: submit, check back, follow up, read and reply as a unit."""

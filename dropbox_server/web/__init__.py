"""The two sites' views (reporter, staff, and the desk's pages on the staff site)."""

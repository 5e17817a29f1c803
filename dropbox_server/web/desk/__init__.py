"""The desk's pages on the staff site: drafting, approving and rejecting packages."""

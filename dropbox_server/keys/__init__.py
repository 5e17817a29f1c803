"""Key lifecycle use cases for security staff: rotation, revocation, backup and restore."""

"""Custody of staff, units and keys: key rings, sign-in, staff changes, rotation, revocation,
backup, recovery and provisioning. The one home for these use cases; their storage is in store/."""

"""The staff site (today the investigators' site): sign-in, unit inbox, report view, replies, outcomes."""

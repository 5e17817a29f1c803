"""Attachments: streamed in and encrypted as they arrive, streamed out decrypted on the fly.

Plaintext of a file never touches the disk: not the body, not its name or type.
"""

"""Attachments: streamed in and encrypted as they arrive, streamed out decrypted on the fly.

Storage and streaming of file ciphertext only: the use cases on files are in reports/, their
HTTP side in web/. Plaintext of a file never touches the disk: not the body, not its name or type.
"""

"""Receipts: generation, forgiving parsing, and the one derivation made from a receipt."""

from receipt_codes.derive import KdfParams, ReporterSecrets, derive_reporter_secrets
from receipt_codes.generate import generate_receipt, receipt_entropy_bits
from receipt_codes.normalise import ReceiptFormatError, parse_receipt
from receipt_codes.types import LookupId, Receipt
from receipt_codes.wordlist import load_wordlist

__all__ = [
    "KdfParams",
    "LookupId",
    "Receipt",
    "ReceiptFormatError",
    "ReporterSecrets",
    "derive_reporter_secrets",
    "generate_receipt",
    "load_wordlist",
    "parse_receipt",
    "receipt_entropy_bits",
]

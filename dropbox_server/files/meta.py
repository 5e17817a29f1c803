"""What is known about an attachment besides its bytes: name, claimed type, size, format.

All of it is encrypted (see upload.py); this module only shapes and cleans it.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from dataclasses import asdict, dataclass
from urllib.parse import quote

FILE_CONTEXT = b"tipdrop:v1:file:"
FALLBACK_NAME = "attachment"
_CONTENT_TYPE_CHARS = 100
# Formats we can offer to strip metadata from, known by their first bytes (not by name).
_SIGNATURES = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"%PDF-", "pdf"),
)


def new_file_id() -> str:
    """128 random bits as hex: the file's id in the database and its name on disk."""
    return secrets.token_hex(16)


def is_file_id(value: str) -> bool:
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def file_context(report_id: str, file_id: str) -> bytes:
    """Associated data binding a file's every record to its report and its own id."""
    return FILE_CONTEXT + report_id.encode("ascii") + b":" + file_id.encode("ascii")


def detect_kind(first_bytes: bytes) -> str:
    """'jpeg', 'png' or 'pdf' when the content starts like one; '' otherwise."""
    for signature, kind in _SIGNATURES:
        if first_bytes.startswith(signature):
            return kind
    return ""


def clean_name(raw: str, limit: int) -> str:
    """The file's own name: no folders, no control characters, within `limit` characters."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    return name[:limit] or FALLBACK_NAME


@dataclass(frozen=True)
class FileMeta:
    """An attachment's name, the type the sender's browser claimed, real size and format."""

    name: str
    content_type: str
    size: int
    kind: str

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> FileMeta:
        raw = json.loads(data.decode("utf-8"))
        return cls(str(raw["name"]), str(raw["content_type"]), int(raw["size"]), str(raw["kind"]))


def clean_content_type(raw: str) -> str:
    """The browser's claim, kept only as information; it never decides how a file is served."""
    value = raw.split(";", 1)[0].strip().lower()
    ok = value.isascii() and all(c.isalnum() or c in "/.+-_" for c in value)
    return value[:_CONTENT_TYPE_CHARS] if ok else ""


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the real one per RFC 6266 / RFC 5987.

    Security: always `attachment`, never `inline`: a browser saves the file rather than
    rendering it, so nothing in an upload can run in the site's origin.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c if c.isalnum() or c in "._- " else "_" for c in ascii_name).strip(" .")
    ascii_name = ascii_name or FALLBACK_NAME
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"

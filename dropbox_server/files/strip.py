"""Copies of JPEG, PNG and PDF files with their metadata removed, for investigators to share.

Images are re-encoded from their pixels alone (Pillow), so EXIF (GPS, device, times),
XMP, IPTC, ICC profiles, comments and PNG text chunks are all left behind; the EXIF
orientation is applied first so the picture still looks the right way up. PDFs (pikepdf,
on qpdf) lose their document information dictionary and XMP metadata stream, and qpdf
writes only objects still reachable, so nothing of the old metadata is carried over.

Limits: both libraries need the whole file in memory (images are decoded; a PDF is read
at random), so only files up to STRIP_MAX_BYTES are offered; larger ones can only be
downloaded as they are. The copy is made in memory; plaintext never reaches the disk.
"""

from __future__ import annotations

import io

import pikepdf
from PIL import Image, ImageOps

STRIP_MAX_BYTES = 64 * 1024 * 1024
STRIPPABLE = frozenset({"jpeg", "png", "pdf"})
# Decompression bombs: refuse images beyond ~90 megapixels rather than exhaust memory.
_MAX_PIXELS = 90_000_000


class CannotStrip(Exception):
    """The file is not a readable JPEG, PNG or PDF, or it is too large to clean here."""


def can_strip(kind: str, size: int) -> bool:
    return kind in STRIPPABLE and size <= STRIP_MAX_BYTES


def strip_metadata(kind: str, data: bytes) -> bytes:
    """A copy of `data` without its metadata; raises CannotStrip. Slow: run off the loop."""
    if not can_strip(kind, len(data)):
        raise CannotStrip(kind)
    try:
        if kind == "pdf":
            return _strip_pdf(data)
        return _strip_image(kind, data)
    except CannotStrip:
        raise
    except Exception as exc:  # both parsers raise many types on bad input
        raise CannotStrip(kind) from exc


def _strip_image(kind: str, data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as source:
        if source.width * source.height > _MAX_PIXELS:
            raise CannotStrip("image too large")
        upright = ImageOps.exif_transpose(source)
        if upright.mode in ("P", "PA", "LA"):
            upright = upright.convert("RGBA")
        if kind == "jpeg" and upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        # Pixels only: a new image carries none of the source's info, EXIF or profiles.
        clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    out = io.BytesIO()
    if kind == "jpeg":
        clean.save(out, format="JPEG", quality=95, subsampling=0)
    else:
        clean.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _strip_pdf(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        if "/Metadata" in pdf.Root:
            del pdf.Root["/Metadata"]
        if "/PieceInfo" in pdf.Root:
            del pdf.Root["/PieceInfo"]
        for page in pdf.pages:
            for key in ("/Metadata", "/PieceInfo"):
                if key in page.obj:
                    del page.obj[key]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()

"""The separate process that makes clean copies: it limits itself, then reads one file on stdin.

Run only by files.strip, as `python -I clean_worker.py KIND LIMITS_JSON`, with the file's
plaintext on stdin; the clean copy comes back on stdout, and any failure is a non-zero exit
with nothing printed. It imports nothing of the project (isolated mode: no project path, no
environment), so a parser bug reached by a hostile file runs with no keys, no database handle
and none of the server's memory.

Security: resource limits are set before a byte of input is read: address space, CPU time,
no core dump (plaintext must never reach the disk, invariant 1), no file written at all
(RLIMIT_FSIZE 0), few descriptors, and a lower priority than the server. The parent adds a
wall-clock limit and kills the process when it is reached.

PDFs are not edited but redrawn: each page is rendered to pixels (PDFium, through pypdfium2)
and a new PDF is assembled from those pictures alone (pikepdf), so nothing of the original
file (document and XMP metadata, annotations and their authors, form fields, scripts,
embedded files, fonts and their metadata, images with their EXIF) can be carried over.
Text in the copy is no longer selectable; that is the price. JPEG and PNG images are rebuilt
from their pixels alone (Pillow), which leaves EXIF, XMP, ICC profiles, comments and text
chunks behind.
"""

from __future__ import annotations

import io
import json
import math
import os
import resource
import sys

import pikepdf
import pypdfium2
from PIL import Image, ImageOps

_JPEG_QUALITY = 85


def _limit_self(limits: dict[str, int]) -> None:
    """Bound this process before it reads untrusted input."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"]))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"], limits["memory_bytes"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (16, 16))
    os.nice(10)


def _read_input(limit: int) -> bytes:
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise ValueError("input over the limit")
    return data


def _image_copy(kind: str, data: bytes, max_pixels: int) -> bytes:
    with Image.open(io.BytesIO(data)) as source:
        if source.format != kind.upper() or source.width * source.height > max_pixels:
            raise ValueError("not the expected image, or too large")
        upright = ImageOps.exif_transpose(source)
        if upright.mode in ("P", "PA", "LA", "I;16"):
            upright = upright.convert("RGBA")
        if kind == "jpeg" and upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        # Pixels only: a new image carries none of the source's info, EXIF or profiles.
        clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    out = io.BytesIO()
    if kind == "jpeg":
        clean.save(out, format="JPEG", quality=95, subsampling=0)
    else:
        clean.save(out, format="PNG")
    return out.getvalue()


def _page_scale(width: float, height: float, dpi: int, max_pixels: int) -> float:
    """Render at `dpi`, or smaller where a page would exceed `max_pixels`."""
    scale = dpi / 72
    if width * height * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / (width * height))
    return scale


def _picture_page(out: pikepdf.Pdf, jpeg: bytes, size: tuple[int, int], box: tuple[float, float]) -> None:
    """Append a page of `box` points showing only the JPEG picture."""
    picture = pikepdf.Stream(out, b"")
    picture.write(jpeg, filter=pikepdf.Name.DCTDecode)
    picture["/Type"], picture["/Subtype"] = pikepdf.Name.XObject, pikepdf.Name.Image
    picture["/Width"], picture["/Height"] = size
    picture["/ColorSpace"], picture["/BitsPerComponent"] = pikepdf.Name.DeviceRGB, 8
    width, height = box
    draw = pikepdf.Stream(out, f"q {width:.2f} 0 0 {height:.2f} 0 0 cm /P Do Q".encode("ascii"))
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, width, height]),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(P=picture)),
        Contents=draw,
    )
    out.pages.append(pikepdf.Page(page))


def _pdf_copy(data: bytes, limits: dict[str, int]) -> bytes:
    source = pypdfium2.PdfDocument(data)
    try:
        count = len(source)
        if not 0 < count <= limits["max_pages"]:
            raise ValueError("no pages, or too many")
        out = pikepdf.new()
        for index in range(count):
            page = source[index]
            try:
                width, height = page.get_size()
                if width <= 0 or height <= 0:
                    raise ValueError("empty page")
                scale = _page_scale(width, height, limits["dpi"], limits["max_page_pixels"])
                bitmap = page.render(scale=scale)
                image = bitmap.to_pil().convert("RGB")
                bitmap.close()
            finally:
                page.close()
            jpeg = io.BytesIO()
            image.save(jpeg, format="JPEG", quality=_JPEG_QUALITY)
            _picture_page(out, jpeg.getvalue(), image.size, (width, height))
        result = io.BytesIO()
        # qpdf writes only what the new document holds: no /Info, no XMP, a content-derived /ID.
        out.save(result, deterministic_id=True, compress_streams=True)
        return result.getvalue()
    finally:
        source.close()


def main(argv: list[str]) -> int:
    kind, limits = argv[1], json.loads(argv[2])
    _limit_self(limits)
    data = _read_input(limits["input_bytes"])
    if kind == "pdf":
        clean = _pdf_copy(data, limits)
    elif kind in ("jpeg", "png"):
        clean = _image_copy(kind, data, limits["max_image_pixels"])
    else:
        return 2
    sys.stdout.buffer.write(clean)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception:  # any parser error: the parent sees only the exit status
        sys.exit(3)

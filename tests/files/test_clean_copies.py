"""Copies "with metadata removed": nothing that identifies survives, in any place a file can hide it.

Every sample carries one marker in a different hiding place; the clean copy is searched
raw and with every PDF stream decompressed, and its structure is checked too.
"""

from __future__ import annotations

import contextlib
import io
import zlib

import pikepdf
import pytest
from PIL import Image, PngImagePlugin

from dropbox_server.files.strip import CannotStrip, CleanLimits, strip_metadata

MARKER = "MARKERIDENTIFIESZq9"


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x013B] = MARKER + "Artist"
    exif[0x010F] = MARKER + "Make"
    exif[0xA431] = MARKER + "BodySerial"  # camera serial number
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 12.0)  # latitude
    return exif


def _icc() -> bytes:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    data: bytes = profile.tobytes()
    return data + MARKER.encode()  # readers keep the profile's bytes as they are


def jpeg_with_everything() -> bytes:
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><dc:creator>{MARKER}Xmp</dc:creator></rdf:RDF></x:xmpmeta>'
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(
        out,
        format="JPEG",
        exif=_exif(),
        comment=(MARKER + "Comment").encode(),
        xmp=xmp.encode(),
        icc_profile=_icc(),
    )
    return out.getvalue()


def png_with_everything() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", MARKER + "tEXt")
    info.add_text("Comment", MARKER + "zTXt", zip=True)
    info.add_itxt("Description", MARKER + "iTXt", lang="en", tkey="Description")
    info.add_itxt("XML:com.adobe.xmp", MARKER + "Xmp")
    out = io.BytesIO()
    Image.new("RGBA", (32, 16), (0, 0, 255, 128)).save(
        out, format="PNG", pnginfo=info, exif=_exif(), icc_profile=_icc()
    )
    return out.getvalue()


def _new_pdf() -> pikepdf.Pdf:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    return pdf


def _saved(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, compress_streams=True)
    return out.getvalue()


def pdf_info_and_xmp() -> bytes:
    pdf = _new_pdf()
    pdf.docinfo["/Author"] = MARKER + "Info"
    with pdf.open_metadata() as meta:
        meta["dc:creator"] = [MARKER + "Xmp"]
    pdf.pages[0].obj["/PieceInfo"] = pikepdf.Dictionary({"/App": pikepdf.String(MARKER + "Piece")})
    pdf.pages[0].obj["/Metadata"] = pdf.make_stream((MARKER + "PageXmp").encode())
    return _saved(pdf)


def pdf_with_exif_jpeg() -> bytes:
    """A page showing a photo whose JPEG keeps its EXIF (GPS, camera serial) and its own XMP."""
    pdf = _new_pdf()
    photo = pdf.make_stream(jpeg_with_everything())
    photo["/Type"], photo["/Subtype"] = pikepdf.Name.XObject, pikepdf.Name.Image
    photo["/Width"], photo["/Height"], photo["/BitsPerComponent"] = 64, 48, 8
    photo["/ColorSpace"], photo["/Filter"] = pikepdf.Name.DeviceRGB, pikepdf.Name.DCTDecode
    photo["/Metadata"] = pdf.make_stream((MARKER + "ImageXmp").encode())
    page = pdf.pages[0]
    page.obj["/Resources"] = pikepdf.Dictionary({"/XObject": pikepdf.Dictionary({"/Im0": photo})})
    page.obj["/Contents"] = pdf.make_stream(b"q 64 0 0 48 10 10 cm /Im0 Do Q")
    return _saved(pdf)


def pdf_with_font_metadata() -> bytes:
    pdf = _new_pdf()
    font_file = pdf.make_stream(b"%!PS-AdobeFont-1.0: " + MARKER.encode() + b"FontFile")
    font_file["/Metadata"] = pdf.make_stream((MARKER + "FontXmp").encode())
    descriptor = pikepdf.Dictionary(
        {
            "/Type": pikepdf.Name.FontDescriptor,
            "/FontName": pikepdf.Name("/" + MARKER + "Font"),
            "/FontFile": font_file,
            "/Flags": 32,
        }
    )
    font = pikepdf.Dictionary(
        {
            "/Type": pikepdf.Name.Font,
            "/Subtype": pikepdf.Name.Type1,
            "/BaseFont": pikepdf.Name("/" + MARKER + "Font"),
            "/FontDescriptor": descriptor,
        }
    )
    page = pdf.pages[0]
    page.obj["/Resources"] = pikepdf.Dictionary({"/Font": pikepdf.Dictionary({"/F1": font})})
    page.obj["/Contents"] = pdf.make_stream(b"BT /F1 12 Tf 20 100 Td (visible words) Tj ET")
    return _saved(pdf)


def pdf_with_annotation_form_script_and_attachment() -> bytes:
    pdf = _new_pdf()
    page = pdf.pages[0]
    note = pikepdf.Dictionary(
        {
            "/Type": pikepdf.Name.Annot,
            "/Subtype": pikepdf.Name.Text,
            "/Rect": [10, 10, 30, 30],
            "/T": pikepdf.String(MARKER + "AnnotAuthor"),
            "/Contents": pikepdf.String(MARKER + "AnnotText"),
        }
    )
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            {
                "/Type": pikepdf.Name.Annot,
                "/Subtype": pikepdf.Name.Widget,
                "/FT": pikepdf.Name.Tx,
                "/T": pikepdf.String("name"),
                "/V": pikepdf.String(MARKER + "FieldValue"),
                "/Rect": [40, 40, 150, 60],
            }
        )
    )
    page.obj["/Annots"] = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(note), field]))
    pdf.Root["/AcroForm"] = pikepdf.Dictionary({"/Fields": [field]})
    script = pikepdf.Dictionary(
        {"/S": pikepdf.Name.JavaScript, "/JS": pikepdf.String(f"app.alert('{MARKER}Js')")}
    )
    pdf.Root["/OpenAction"] = script
    pdf.attachments["evidence.txt"] = pikepdf.AttachedFileSpec(pdf, (MARKER + "Embedded").encode())
    return _saved(pdf)


PDF_SAMPLES = {
    "info-and-xmp": pdf_info_and_xmp,
    "jpeg-exif-inside": pdf_with_exif_jpeg,
    "font-metadata": pdf_with_font_metadata,
    "annotation-form-script-attachment": pdf_with_annotation_form_script_and_attachment,
}


def _every_decoded_byte(clean: bytes) -> bytes:
    """The file, plus every stream decoded (and raw), so a compressed marker cannot hide."""
    parts = [clean]
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                parts.append(obj.read_raw_bytes())
                with contextlib.suppress(pikepdf.PdfError):
                    parts.append(obj.read_bytes())
            parts.append(repr(obj).encode("utf-8", "replace"))
    for part in list(parts):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(part))
    return b"".join(parts)


def _assert_no_marker(data: bytes) -> None:
    for form in (MARKER.encode(), MARKER.encode("utf-16-be"), MARKER.encode("utf-16-le")):
        assert form not in data


@pytest.mark.parametrize("name", sorted(PDF_SAMPLES))
def test_pdf_copies_keep_pages_and_nothing_else(name: str) -> None:
    original = PDF_SAMPLES[name]()
    assert MARKER.encode() in _every_decoded_byte(original), "the sample must carry its marker"
    clean = strip_metadata("pdf", original)
    _assert_no_marker(_every_decoded_byte(clean))
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
        assert set(pdf.Root.keys()) == {"/Type", "/Pages"}
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        assert [float(v) for v in page.mediabox] == [0, 0, 200, 200]
        assert set(page.obj.keys()) <= {"/Type", "/Parent", "/MediaBox", "/Resources", "/Contents"}
        assert set(page.Resources.keys()) == {"/XObject"}
        [(_, image)] = list(page.Resources.XObject.items())
        assert image.Subtype == "/Image" and image.Filter == "/DCTDecode" and "/Metadata" not in image
        with Image.open(io.BytesIO(image.read_raw_bytes())) as picture:
            assert not picture.getexif() and "icc_profile" not in picture.info and "exif" not in picture.info


def test_a_pdf_copy_still_shows_the_page() -> None:
    clean = strip_metadata("pdf", pdf_with_exif_jpeg())
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        image = next(iter(pdf.pages[0].Resources.XObject.values()))
        with Image.open(io.BytesIO(image.read_raw_bytes())) as picture:
            width, height = picture.size
            # The red photo sits at (10, 10)-(74, 58) of a 200 pt page: its middle is red.
            r, g, b = picture.convert("RGB").getpixel((int(width * 42 / 200), int(height * (1 - 34 / 200))))
            assert r > 150 and g < 80 and b < 80
            assert picture.convert("RGB").getpixel((width - 5, 5)) == (255, 255, 255)


def test_jpeg_copies_lose_exif_xmp_icc_and_comments() -> None:
    original = jpeg_with_everything()
    assert MARKER.encode() in original
    clean = strip_metadata("jpeg", original)
    _assert_no_marker(clean)
    with Image.open(io.BytesIO(clean)) as picture:
        assert picture.size == (64, 48)
        assert not picture.getexif()
        assert not {"exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"} & set(picture.info)
    markers = {
        clean[i + 1] for i in range(len(clean) - 1) if clean[i] == 0xFF and 0xE1 <= clean[i + 1] <= 0xEF
    }
    assert markers == set(), "no APPn segment but JFIF's APP0"
    assert b"\xff\xfe" not in clean.split(b"\xff\xda")[0], "no COM segment"


def _png_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunks.append(data[at + 4 : at + 8])
        at += 12 + length
    return chunks


def test_png_copies_lose_text_exif_xmp_and_icc() -> None:
    original = png_with_everything()
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"} <= set(_png_chunks(original))
    clean = strip_metadata("png", original)
    _assert_no_marker(clean)
    assert set(_png_chunks(clean)) <= {b"IHDR", b"IDAT", b"IEND"}
    with Image.open(io.BytesIO(clean)) as picture:
        assert picture.size == (32, 16) and picture.mode == "RGBA"


def test_the_copy_is_made_in_a_limited_process_that_gives_up_cleanly() -> None:
    """A page too large to draw within the limits is refused, not drawn with the server's memory."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(14400, 14400))  # 200 inches square
    huge = _saved(pdf)
    with pytest.raises(CannotStrip):
        strip_metadata("pdf", huge, CleanLimits(memory_bytes=96 * 1024 * 1024, max_page_pixels=10**12))
    # The same page within the usual limits is drawn smaller, so it fits.
    assert strip_metadata("pdf", huge).startswith(b"%PDF-")


@pytest.mark.parametrize(
    "data", [b"%PDF-1.7\nnot really", b"\x89PNG\r\n\x1a\nbroken", b"\xff\xd8\xff broken"]
)
def test_unreadable_files_are_refused(data: bytes) -> None:
    kind = {b"%": "pdf", b"\x89": "png", b"\xff": "jpeg"}[data[:1]]
    with pytest.raises(CannotStrip):
        strip_metadata(kind, data)


def test_too_many_pages_are_refused() -> None:
    pdf = pikepdf.new()
    for _ in range(5):
        pdf.add_blank_page(page_size=(100, 100))
    with pytest.raises(CannotStrip):
        strip_metadata("pdf", _saved(pdf), CleanLimits(max_pages=4))

"""Reading submitted forms safely: size caps, invalid UTF-8 and both encodings handled."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web
from multidict import MultiDict

MAX_FIELDS = 64
_CHUNK = 64 * 1024


class FormTooLarge(Exception):
    """The body is over the site's limit."""


@dataclass
class FormData:
    """Text fields of a submitted form; fields whose bytes were not valid UTF-8 are listed."""

    fields: MultiDict[str] = field(default_factory=MultiDict)
    bad_encoding: set[str] = field(default_factory=set)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


def _decode(raw: bytes) -> tuple[str, bool]:
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), False


async def read_form(request: web.Request, max_body: int) -> FormData:
    """Read an urlencoded or multipart form of text fields.

    Bytes that are not UTF-8 are replaced (U+FFFD) and the field is flagged so the page can
    say so; the reporter's text is kept rather than thrown away. Raises FormTooLarge.
    """
    ctype = request.content_type
    if ctype == "multipart/form-data":
        return await _read_multipart(request, max_body)
    if ctype in ("application/x-www-form-urlencoded", ""):
        if request.content_length is not None and request.content_length > max_body:
            raise FormTooLarge
        body = bytearray()
        async for chunk in request.content.iter_chunked(_CHUNK):
            body += chunk
            if len(body) > max_body:
                raise FormTooLarge
        return _parse_urlencoded(bytes(body))
    raise web.HTTPUnsupportedMediaType()


def _parse_urlencoded(body: bytes) -> FormData:
    form = FormData()
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    for name, value in pairs[:MAX_FIELDS]:
        text, ok = _decode(value.encode("latin-1"))
        key, _ = _decode(name.encode("latin-1"))
        form.fields.add(key, text)
        if not ok:
            form.bad_encoding.add(key)
    return form


async def _read_multipart(request: web.Request, max_body: int) -> FormData:
    form = FormData()
    total = 0
    try:
        reader = await request.multipart()
        count = 0
        while (part := await reader.next()) is not None:
            count += 1
            if count > MAX_FIELDS:
                raise web.HTTPBadRequest()
            if not isinstance(part, BodyPartReader):
                raise web.HTTPBadRequest()
            if part.filename is not None:
                # Text-only forms: file parts are drained and ignored here.
                while chunk := await part.read_chunk(_CHUNK):
                    total += len(chunk)
                    if total > max_body:
                        raise FormTooLarge
                continue
            raw = bytearray()
            while chunk := await part.read_chunk(_CHUNK):
                raw += chunk
                total += len(chunk)
                if total > max_body:
                    raise FormTooLarge
            text, ok = _decode(bytes(raw))
            name = part.name or ""
            form.fields.add(name, text)
            if not ok:
                form.bad_encoding.add(name)
    except (ValueError, AssertionError, KeyError, RuntimeError, AttributeError) as exc:
        # aiohttp multipart parser raises a variety of errors on a malformed body.
        raise web.HTTPBadRequest() from exc
    return form

"""Reading submitted forms safely: size caps, invalid UTF-8 and both encodings handled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDict

from dropbox_server.config import FileLimits
from dropbox_server.files.admission import FileAdmission, FilesRefused
from dropbox_server.files.disk import StorageFull
from dropbox_server.web.appkeys import SETTINGS
from dropbox_server.web.part_headers import UnreadablePart, part_names

MAX_FIELDS = 64
_CHUNK = 64 * 1024
_FILE_CHUNK = 256 * 1024


class FormTooLarge(Exception):
    """The body is over a limit: "body" (text), "file", "total" (all files) or "count"."""

    def __init__(self, limit: str = "body"):
        super().__init__(limit)
        self.limit = limit


@dataclass
class FormData:
    """Text fields of a submitted form; fields whose bytes were not valid UTF-8 are listed."""

    fields: MultiDict[str] = field(default_factory=MultiDict)
    bad_encoding: set[str] = field(default_factory=set)
    file_count: int = 0
    # Why the files were not taken ("csrf", "busy", "disk"), when they were refused.
    files_refused: str | None = None

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


def _decode(raw: bytes) -> tuple[str, bool]:
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), False


class BodyStalled(Exception):
    """The client stopped sending the body; the caller answers 408."""


async def read_form(
    request: web.Request,
    max_body: int,
    *,
    files: FileReceiver | None = None,
    admission: FileAdmission | None = None,
) -> FormData:
    """Read an urlencoded or multipart form of text fields.

    Bytes that are not UTF-8 are replaced (U+FFFD) and the field is flagged so the page can
    say so; the reporter's text is kept rather than thrown away. Raises FormTooLarge. With
    `files`, multipart file parts stream to it within its limits (and, with `admission`,
    only once admitted: see _FileCounter); without, they are drained.
    Raises BodyStalled when no byte arrives for the configured idle time; reading is
    cancelled, so a file receiver cleans up as for a disconnect.
    """
    idle = request.config_dict[SETTINGS].limits.body_idle_seconds
    return await _unless_stalled(request, _read_form(request, max_body, files, admission), idle)


async def _unless_stalled(
    request: web.Request, reading: Awaitable[FormData], idle_seconds: float
) -> FormData:
    """Run `reading`, cancelling it if the request body makes no progress for `idle_seconds`."""
    task = asyncio.ensure_future(reading)
    loop = asyncio.get_running_loop()
    seen, last_progress = request.content.total_bytes, loop.time()
    while True:
        done, _ = await asyncio.wait({task}, timeout=min(1.0, idle_seconds / 4))
        if done:
            return task.result()
        if request.content.total_bytes != seen:
            seen, last_progress = request.content.total_bytes, loop.time()
        elif loop.time() - last_progress > idle_seconds:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise BodyStalled


async def _read_form(
    request: web.Request, max_body: int, files: FileReceiver | None, admission: FileAdmission | None
) -> FormData:
    ctype = request.content_type
    if ctype == "multipart/form-data":
        return await _read_multipart(request, max_body, files, admission)
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


class FileSink(Protocol):
    """Where one uploaded file's bytes go as they arrive (encrypted at once by the receiver)."""

    async def write(self, chunk: bytes) -> None: ...

    async def finish(self) -> None: ...


class FileReceiver(Protocol):
    """Takes the file parts of a multipart form; `limits` bounds what it is given."""

    limits: FileLimits

    async def begin(self, filename: str, content_type: str) -> FileSink: ...

    def discard(self) -> None: ...


async def _read_text_part(
    part: BodyPartReader, name: str, form: FormData, total: int, max_body: int
) -> int:
    raw = bytearray()
    while chunk := await part.read_chunk(_CHUNK):
        raw += chunk
        total += len(chunk)
        if total > max_body:
            raise FormTooLarge
    text, ok = _decode(bytes(raw))
    form.fields.add(name, text)
    if not ok:
        form.bad_encoding.add(name)
    return total


async def _drain(part: BodyPartReader, total: int, max_body: int) -> int:
    """Text-only forms: file parts are read and thrown away, counted against the text cap."""
    while chunk := await part.read_chunk(_CHUNK):
        total += len(chunk)
        if total > max_body:
            raise FormTooLarge
    return total


class _FileCounter:
    """Counts files and bytes against the limits while each file is being streamed.

    With an `admission`, the first file part is admitted or refused (CSRF token, uploads
    at once, free space, hourly bytes) before any byte of it is written, and each chunk is
    charged before it is written. Once refused, file parts are read and dropped, so the
    text after them still comes back to the sender; files already written are discarded.
    """

    def __init__(self, limits: FileLimits, admission: FileAdmission | None):
        self.limits = limits
        self.admission = admission
        self.files = 0
        self.bytes = 0
        self.refused: str | None = None

    def _count(self, size: int, chunk: bytes) -> int:
        size += len(chunk)
        self.bytes += len(chunk)
        if size > self.limits.file_bytes:
            raise FormTooLarge("file")
        if self.bytes > self.limits.submission_bytes:
            raise FormTooLarge("total")
        return size

    async def _drop(self, part: BodyPartReader, chunk: bytes, size: int) -> None:
        while chunk:
            size = self._count(size, chunk)
            chunk = await part.read_chunk(_FILE_CHUNK)

    async def stream(self, part: BodyPartReader, filename: str, receiver: FileReceiver, token: str) -> None:
        first = await part.read_chunk(_FILE_CHUNK)
        if not filename and not first:
            return  # a file input left empty: browsers still send an empty part
        self.files += 1
        if self.files > self.limits.files_per_submission:
            raise FormTooLarge("count")
        if self.refused is None and self.admission is not None:
            try:
                self.admission.admit(token)
            except FilesRefused as exc:
                self.refused = exc.reason
        if self.refused is not None:
            await self._drop(part, first, 0)
            return
        size, chunk = 0, first
        try:
            sink = await receiver.begin(filename, part.headers.get(hdrs.CONTENT_TYPE, ""))
            while chunk:
                size = self._count(size, chunk)
                if self.admission is not None:
                    self.admission.charge(len(chunk))
                await sink.write(chunk)
                chunk = await part.read_chunk(_FILE_CHUNK)
            await sink.finish()
        except (FilesRefused, StorageFull) as exc:
            if self.admission is None:
                raise
            self.refused = exc.reason if isinstance(exc, FilesRefused) else "disk"
            receiver.discard()
            await self._drop(part, chunk, size)


async def _read_multipart(
    request: web.Request,
    max_body: int,
    receiver: FileReceiver | None = None,
    admission: FileAdmission | None = None,
) -> FormData:
    """Text fields into memory (capped by `max_body`); file parts streamed to `receiver`.

    Security: file bytes never gather in memory or on disk here; each chunk goes straight
    to the receiver, which encrypts it. Any exception leaves the receiver to discard what
    it has (the caller's context), so a refused or broken upload keeps nothing. A part
    whose header cannot be read raises UnreadablePart: the form is refused, never taken
    without the file.
    """
    form = FormData()
    total = 0
    counter = _FileCounter(receiver.limits, admission) if receiver is not None else None
    try:
        reader = await request.multipart()
        count = 0
        while (part := await reader.next()) is not None:
            count += 1
            if count > MAX_FIELDS:
                raise web.HTTPBadRequest()
            if not isinstance(part, BodyPartReader):
                raise web.HTTPBadRequest()
            # Not part.name / part.filename: aiohttp's parser loses names with semicolons.
            names = part_names(part.headers.get(hdrs.CONTENT_DISPOSITION))
            if names.filename is None:
                total = await _read_text_part(part, names.name, form, total, max_body)
            elif receiver is None or counter is None:
                total = await _drain(part, total, max_body)
            else:
                await counter.stream(part, names.filename, receiver, form.get("csrf_token"))
    except HttpProcessingError as exc:
        # A part header aiohttp could not read at all (a NUL, a line over 8 kB).
        raise UnreadablePart from exc
    except (ValueError, AssertionError, KeyError, RuntimeError, AttributeError) as exc:
        # aiohttp multipart parser raises a variety of errors on a malformed body.
        raise web.HTTPBadRequest() from exc
    except ConnectionError as exc:
        # The client went away mid-body (common over Tor): not our error, nothing to log.
        raise web.HTTPBadRequest() from exc
    if counter is not None:
        form.file_count = counter.files
        form.files_refused = counter.refused
    return form

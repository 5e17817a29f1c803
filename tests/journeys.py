"""A reporter driven over HTTP, the way a browser without JavaScript would."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html import unescape

import aiohttp

from tests.leakcheck import remember, remember_fields

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_RECEIPT = re.compile(r'<p class="receipt-line" lang="en">.*?</span>([a-z ]+)</p>', re.S)


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return unescape(match.group(1))


def report_fields(**overrides: str) -> dict[str, str]:
    """A complete, valid report form; override any field."""
    fields = {
        "force": "kent-police",
        "conduct": "corruption",
        "subject_name": "",
        "subject_role": "",
        "collar_number": "",
        "station": "",
        "when": "",
        "where": "",
        "what_happened": "An officer took money to drop a case.",
        "anything_else": "",
        "contact_choice": "anonymous",
        "contact_how": "",
        "contact_when": "",
    }
    fields.update(overrides)
    return fields


def multipart(fields: dict[str, str]) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
    for name, value in fields.items():
        form.add_field(name, value)
    return form


def raw_multipart(
    fields: dict[str, bytes],
    boundary: str = "tipdropBoundary7",
    files: list[tuple[str, str, bytes]] | None = None,
) -> tuple[io.BytesIO, dict[str, str]]:
    """A multipart body built by hand, for bytes no well-behaved client would send.

    `files` are (field name, file name, content) parts, sent after the fields.
    """
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value + b"\r\n"
    for name, filename, content in files or []:
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode("utf-8", "surrogatepass")
        out += content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return io.BytesIO(bytes(out)), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def form_with_files(fields: dict[str, str], files: list[tuple[str, bytes]]) -> aiohttp.FormData:
    """Fields first (as a browser sends the form in document order), then the files."""
    form = multipart(fields)
    for filename, data in files:
        # A file object, as aiohttp streams it (large bytes values are not accepted as-is).
        form.add_field(
            "attachments", io.BytesIO(data), filename=filename, content_type="application/octet-stream"
        )
    return form


@dataclass
class Reporter:
    """One reporter's browser: its own cookie jar."""

    http: aiohttp.ClientSession
    base: str
    pages: list[str] = field(default_factory=list)

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path) as resp:
            text = await resp.text()
            self.pages.append(text)
            return resp.status, text

    async def submit(self, files: list[tuple[str, bytes]] | None = None, **overrides: str) -> tuple[int, str]:
        _, page = await self.get("/report")
        fields = report_fields(**overrides)
        remember_fields(fields)
        fields["csrf_token"] = csrf_from(page)
        async with self.http.post(self.base + "/report", data=form_with_files(fields, files or [])) as resp:
            text = await resp.text()
            self.pages.append(text)
            return resp.status, text

    async def submit_ok(self, files: list[tuple[str, bytes]] | None = None, **overrides: str) -> str:
        """Submit a report (with files, if given) and return its receipt."""
        status, page = await self.submit(files, **overrides)
        assert status == 200, page
        match = _RECEIPT.search(page)
        assert match, "no receipt on the page"
        remember(match.group(1).strip())
        return match.group(1).strip()

    async def check(self, receipt: str) -> aiohttp.ClientResponse:
        _, page = await self.get("/check")
        data = {"receipt": receipt, "csrf_token": csrf_from(page)}
        async with self.http.post(self.base + "/check", data=data, allow_redirects=False) as resp:
            await resp.read()
            return resp

    async def open_thread(self, receipt: str) -> str:
        resp = await self.check(receipt)
        assert resp.status == 303 and resp.headers["Location"].startswith("/thread"), resp.status
        status, page = await self.get("/thread")
        assert status == 200
        return page

    async def follow_up(self, text: str) -> tuple[int, str]:
        remember(text)
        _, page = await self.get("/thread")
        data = multipart({"message": text, "csrf_token": csrf_from(page)})
        async with self.http.post(self.base + "/thread/message", data=data) as resp:
            body = await resp.text()
            return resp.status, body

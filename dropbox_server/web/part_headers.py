"""Reading a multipart part's Content-Disposition the way browsers write it.

Browsers put a file's name in quotes exactly as it is, semicolons included
(`filename="Meeting; DS Smith; bribes.pdf"`; only `"` and line breaks are escaped, as
`%22`, `%0A`, `%0D`). aiohttp's parser splits such a header at every semicolon, gives up
with a warning that quotes the whole header, and reports no file name, so the file was read
as a text field and silently dropped. The standard library's MIME parameter parser
(`email.headerregistry`) honours quotes and RFC 2231 `filename*=` and notes what it had to
guess; this module refuses those parts instead of guessing.

Security: a header that cannot be read refuses the whole form (never evidence dropped
silently); nothing of it is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import errors
from email.headerregistry import ContentDispositionHeader, HeaderRegistry

_REGISTRY = HeaderRegistry()  # stateless: a factory of parsed header objects


class UnreadablePart(Exception):
    """A part's header could not be read (a file's name, usually): the form is refused."""


@dataclass(frozen=True)
class PartNames:
    """The form field a part belongs to and, for a file, the name its sender gave it."""

    name: str
    filename: str | None


def part_names(header: str | None) -> PartNames:
    """The field name and file name of a part; raises UnreadablePart when unsure.

    The parser records what it had to guess (an unterminated quote, a parameter given
    twice, `filename=` with no value) as defects; any of them refuses the part. Control
    characters are no reason to refuse: the stored name drops them (files.meta.clean_name).
    """
    if header is None:
        raise UnreadablePart
    parsed = _REGISTRY("Content-Disposition", header)
    if not isinstance(parsed, ContentDispositionHeader):
        raise UnreadablePart
    guessed = [d for d in parsed.defects if not isinstance(d, errors.NonPrintableDefect)]
    params = parsed.params
    if guessed or parsed.content_disposition != "form-data" or "name" not in params:
        raise UnreadablePart
    filename = params.get("filename")
    return PartNames(str(params["name"]), None if filename is None else str(filename))

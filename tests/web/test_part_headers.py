"""Content-Disposition of multipart parts, read as browsers write it; unreadable ones refused."""

from __future__ import annotations

import pytest

from dropbox_server.web.part_headers import PartNames, UnreadablePart, part_names


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('form-data; name="files"; filename="Meeting; DS Smith; bribes.pdf"', ("files", "Meeting; DS Smith; bribes.pdf")),
        ('form-data; name="files"; filename="a=b; c=d.txt"', ("files", "a=b; c=d.txt")),
        ('form-data; name="files"; filename=""', ("files", "")),
        ('form-data; name="csrf_token"', ("csrf_token", None)),
        ("form-data;name=x;filename=y.txt", ("x", "y.txt")),
        ("form-data; name=\"a\"; filename*=UTF-8''Meeting%3B%20n%C3%BB.pdf", ("a", "Meeting; nû.pdf")),
        ('form-data; name="a"; filename="%22quoted%22.txt"', ("a", "%22quoted%22.txt")),
    ],
)
def test_names_are_read(header: str, expected: tuple[str, str | None]) -> None:
    assert part_names(header) == PartNames(*expected)


@pytest.mark.parametrize(
    "header",
    [
        None,
        'form-data; name="a"; filename="unterminated.pdf',
        'form-data; name="a"; filename=',
        'form-data; name="a"; filename="one"; filename="two"',
        'attachment; name="a"; filename="x"',
        'form-data; filename="no field name"',
    ],
)
def test_unreadable_headers_are_refused(header: str | None) -> None:
    with pytest.raises(UnreadablePart):
        part_names(header)

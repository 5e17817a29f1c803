"""Helpers shared by the language and browser tests: page text, internal links, a unit's reply."""

from __future__ import annotations

import re
import secrets
from html.parser import HTMLParser

from dropbox_server.clock import today
from dropbox_server.reports import casework
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.store import reports as report_store
from receipt_codes import parse_receipt
from tests.conftest import Sites
from tests.test_reporter_journey import enrol

_LETTER = re.compile(r"[^\W\d_]")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
TEXT_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


class PageText(HTMLParser):
    """The words a person reads or hears on a page, and where its links and forms go.

    Text inside an element marked with another language (the receipt words, the language
    links), inside form fields (what the reporter typed) and inside `.message-text` and
    `.summary-text` (what a reporter or an
    investigator wrote) is not the page's own wording, so it is left out.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = ""
        self.segments: set[str] = set()
        self.links: list[tuple[str, dict[str, str]]] = []
        self._skip: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.page_lang = values.get("lang", "")
        if tag in ("a", "form"):
            self.links.append((values.get("href", values.get("action", "")), values))
        skipping = bool(self._skip and self._skip[-1]) or (
            ("lang" in values and values["lang"] != self.page_lang and tag != "html")
            or tag in ("textarea", "option", "script", "style")
            or not {"message-text", "summary-text"}.isdisjoint(values.get("class", "").split())
        )
        if not skipping:
            for name in TEXT_ATTRIBUTES:
                self._add(values.get(name, ""))
        if tag not in _VOID:
            self._skip.append(skipping)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self._skip:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not (self._skip and self._skip[-1]):
            self._add(data)

    def _add(self, text: str) -> None:
        text = " ".join(text.split())
        if _LETTER.search(text):
            self.segments.add(text)


def page_text(html: str) -> PageText:
    parser = PageText()
    parser.feed(html)
    parser.close()
    return parser


async def reply_from_unit(sites: Sites, receipt: str, text: str) -> None:
    """The unit answers the report behind `receipt`, as an investigator would."""
    db = sites.services.db
    access = await open_with_receipt(db, sites.services.receipts, parse_receipt(receipt))
    assert access is not None
    report = await report_store.get_report(db, access.report_id)
    assert report is not None
    staff = await enrol(sites, f"replier-{secrets.token_hex(4)}", report.unit_id)
    await casework.reply_to_reporter(db, report, staff, text, today())

"""The audit chain's entry encoding: the direct one (fast, for whole-chain walks on every health
check) gives exactly the bytes of sorted-key JSON for every entry, or the chain would break.

Hypothesis runs derandomized, so every run tries the same cases (no flaky tests).
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dropbox_server import audit
from dropbox_server.store.audit import AuditEntry

PROPERTY = settings(max_examples=500, derandomize=True, deadline=None)
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
OPTIONAL = st.none() | TEXT


def _json(seq: int, e: AuditEntry) -> bytes:
    fields = {"seq": seq, "at": e.at, "action": e.action, "staff_id": e.staff_id, "username": e.username,
              "unit_id": e.unit_id, "report_id": e.report_id, "detail": e.detail}
    return json.dumps(fields, sort_keys=True, ensure_ascii=True, separators=(",", ":")).encode("ascii")


@PROPERTY
@given(st.integers(min_value=-(2**63), max_value=2**63), TEXT, TEXT, st.none() | st.integers(), OPTIONAL,
       OPTIONAL, OPTIONAL, TEXT)
def test_the_direct_encoding_is_sorted_key_json(
    seq: int, at: str, action: str, staff_id: int | None, username: str | None, unit_id: str | None,
    report_id: str | None, detail: str,
) -> None:
    entry = AuditEntry(at, action, staff_id, username, unit_id, report_id, detail)
    assert audit.encode_entry(seq, entry) == _json(seq, entry)


def test_an_unusual_value_type_still_encodes_as_json() -> None:
    entry = AuditEntry("2026-12-03", "report_viewed", True, "alice", None, None, "page 1")  # type: ignore[arg-type]
    assert audit.encode_entry(7, entry) == _json(7, entry)

"""The revocation list: (staff id, unit) pairs that no longer hold that unit's key, outside the database.

Security (insider finding F2): a staff certificate binds id, unit, role and key, none of which
changes when a member is removed or moved out, so a database writer could put the old row (or
the old unit and certificate) back and have the next unit key sealed to it. This file, beside
`audit.key` in the data directory (0600, replaced atomically), is written BEFORE the removal or
move commits, so a crash between the two fails closed; a database-only writer cannot roll it
back. `certify.staff_public` refuses a listed pair. Staff ids are never reused, so a pair stays
listed until the same member is moved back to that unit (approved as any move).
"""

from __future__ import annotations

from pathlib import Path

from dropbox_server.datadir import DataDirError, replace_file

REVOKED_NAME = "revoked-staff"
_HEADER = "# staff id, unit id: no longer holds that unit's key (tip drop; do not edit)\n"

Pair = tuple[int, str]


def revoked_path(data_dir: Path) -> Path:
    return data_dir / REVOKED_NAME


def read_revoked(data_dir: Path) -> frozenset[Pair]:
    """Every listed pair; empty when the file does not exist yet (nobody removed or moved out).

    Security: a damaged file raises DataDirError rather than reading as empty (fail closed).
    """
    try:
        text = revoked_path(data_dir).read_text("utf-8")
    except FileNotFoundError:
        return frozenset()
    except UnicodeDecodeError as exc:
        raise DataDirError(f"{revoked_path(data_dir)} is damaged") from exc
    pairs = set()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        staff_id, sep, unit_id = line.partition(" ")
        if not sep or not unit_id or not staff_id.isdigit():
            raise DataDirError(f"{revoked_path(data_dir)} is damaged")
        pairs.add((int(staff_id), unit_id))
    return frozenset(pairs)


def _write(data_dir: Path, pairs: frozenset[Pair]) -> None:
    body = "".join(f"{s} {u}\n" for s, u in sorted(pairs))
    replace_file(revoked_path(data_dir), (_HEADER + body).encode("utf-8"))


def revoke(data_dir: Path, staff_id: int, unit_id: str) -> bool:
    """List a pair (before the removal or move commits); whether it was newly listed."""
    pairs = read_revoked(data_dir)
    if (staff_id, unit_id) in pairs:
        return False
    _write(data_dir, pairs | {(staff_id, unit_id)})
    return True


def reinstate(data_dir: Path, staff_id: int, unit_id: str) -> None:
    """Take a pair off the list: the same member legitimately back in that unit (an approved move)."""
    pairs = read_revoked(data_dir)
    if (staff_id, unit_id) in pairs:
        _write(data_dir, pairs - {(staff_id, unit_id)})


def is_revoked(data_dir: Path, staff_id: int, unit_id: str) -> bool:
    return (staff_id, unit_id) in read_revoked(data_dir)

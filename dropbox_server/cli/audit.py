"""`audit …`: security staff check the keyed audit trail and sign checkpoints for a witness."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from dropbox_server import audit
from dropbox_server.cli.prompts import CliError, add_operator, end_of_input
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.cli.shares import ask_custodian_shares, unlock
from dropbox_server.clock import today
from dropbox_server.config import Settings
from dropbox_server.custody import certify
from dropbox_server.datadir import replace_file
from dropbox_server.store import Database, open_database


def register(sub: Any) -> None:
    """Add `audit verify`, `audit checkpoint`, `audit acknowledge` and `audit rekey`."""
    audit_parser = sub.add_parser("audit", help="check the staff audit trail")
    asub = audit_parser.add_subparsers(dest="audit_command", required=True, metavar="AUDIT_COMMAND")
    p = asub.add_parser("verify", help="verify the hash chain; names the first broken entry")
    add_data_dir(p)
    p.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="also require the entry a witness kept (from `audit checkpoint`) to be there, unchanged",
    )
    p.set_defaults(func=cmd_verify)
    p = asub.add_parser("checkpoint", help="print the signed head of the chain for an outside witness")
    add_data_dir(p)
    p.set_defaults(func=cmd_checkpoint)
    p = asub.add_parser(
        "acknowledge",
        help="security staff, with K custodian shares: the refused key checks so far were looked into "
        "(audited; health clears)",
    )
    add_data_dir(p)
    add_operator(p)
    p.set_defaults(func=cmd_acknowledge)
    p = asub.add_parser(
        "rekey", help="once, after upgrading: key an old unkeyed chain (the server does it at start)"
    )
    add_data_dir(p)
    p.set_defaults(func=cmd_rekey)


async def _open(settings: Settings) -> Database:
    if not settings.database_path.exists():
        raise CliError(f"no database in {settings.data_dir}")
    return await open_database(settings.database_path)


async def _verify(settings: Settings, checkpoint: audit.Checkpoint | None) -> audit.Verification:
    db = await _open(settings)
    try:
        if checkpoint is None:
            return await audit.verify(db)
        try:
            return await audit.verify_against(db, checkpoint)
        except audit.AuditKeyMissing:
            raise CliError(f"{settings.audit_key_path} is missing: a checkpoint cannot be checked") from None
        except audit.CheckpointError as exc:
            raise CliError(str(exc)) from None
    finally:
        await db.close()


def _read_checkpoint(path: Path) -> audit.Checkpoint:
    try:
        return audit.parse_checkpoint(path.read_text("utf-8"))
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, audit.CheckpointError):
        raise CliError(f"{path} is not an audit checkpoint (or it is damaged)") from None


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 when every entry links to the one before (and the checkpoint's entry is there); 1 if not.

    Without --checkpoint the head hash is printed so it can be written down elsewhere;
    `audit checkpoint` signs it, which is better.
    """
    checkpoint = _read_checkpoint(args.checkpoint) if args.checkpoint is not None else None
    result = asyncio.run(_verify(settings_from_args(args), checkpoint))
    if not result.ok:
        print(f"Audit log BROKEN at entry {result.broken_seq}: it {result.problem}.")
        print(f"{result.entries} entries before it verify.")
        return 1
    print(f"Audit log intact: {result.entries} entries.")
    if not result.keyed:
        print(
            "The chain is NOT checked with audit.key (it is missing): if it was lost or deleted, restore it "
            "from the key backup (`keys restore`, needs K shares); only a directory from before the key "
            "needs `audit rekey`."
        )
    if checkpoint is not None:
        print(f"It still holds checkpoint entry {checkpoint.seq} unchanged.")
    print(f"Head hash: {result.head.hex()}")
    return 0


async def _checkpoint(settings: Settings) -> audit.Checkpoint:
    db = await _open(settings)
    try:
        return await audit.checkpoint(db)
    except audit.AuditKeyMissing:
        raise CliError(
            "audit.key is missing: restore it from the key backup (`keys restore`, needs K shares); "
            "only a directory from before the key needs `audit rekey`"
        ) from None
    except audit.CheckpointError as exc:
        raise CliError(str(exc)) from None
    finally:
        await db.close()


def cmd_checkpoint(args: argparse.Namespace) -> int:
    """Print the signed head; a witness outside the server keeps it (see README).

    Security: it is also kept beside the database (not in it), so the health checks fail
    when the log is cut back before it or rewritten (insider finding F4).
    """
    settings = settings_from_args(args)
    text = asyncio.run(_checkpoint(settings)).to_text()
    replace_file(settings.data_dir / audit.CHECKPOINT_NAME, text.encode("utf-8"))
    print(text, end="")
    return 0


async def _acknowledge(settings: Settings, shares: list[str]) -> int:
    db = await _open(settings)
    try:
        if db.audit_seed is None:
            raise CliError(f"{settings.audit_key_path} is missing: restore it from the key backup first")
        await unlock(db, shares)  # a second person: K share holders agree it was looked into
        result = await audit.verify(db)
        if not result.ok:
            raise CliError(
                f"the audit log is broken at entry {result.broken_seq}; nothing acknowledged "
                "(see `audit verify`)"
            )
        refused = await audit.refused_since_acknowledged(db)
        await audit.record(db, audit.pending(
            "key_checks_acknowledged", username="security staff (command line)", detail=f"refused={refused}"
        ))
        return refused
    finally:
        await db.close()


def cmd_acknowledge(args: argparse.Namespace) -> int:
    """Record that the refused key checks so far were looked into, with K custodian shares.

    Security: health keeps the certificates check failing while a refusal is unacknowledged,
    so a key swapped, refused and swapped back is not forgotten (insider finding F4). Clearing
    that alarm is the last step of such a swap, so one officer alone must not do it: like the
    other steps that clear or bypass a custody check, it needs K share holders (issue 18's
    follow-up). The entry names the operator (through the door, their login).
    """
    shares = ask_custodian_shares()
    end_of_input()
    refused = asyncio.run(_acknowledge(settings_from_args(args), shares))
    print(f"Acknowledged {refused} refused key check(s); the audit log records it (key_checks_acknowledged).")
    return 0


async def _rekey(settings: Settings) -> audit.Rekeyed | None:
    db = await _open(settings)
    try:
        if db.audit_seed is not None:
            raise CliError(f"the audit chain is already keyed ({settings.audit_key_path} exists)")
        if certify.pin_path(db).exists() or await audit.was_keyed(db):
            # Security (S5): this chain was keyed; a new key would bless whatever it says now.
            raise CliError(
                f"this data directory's audit chain was keyed, and {settings.audit_key_path} is gone: "
                "restore it from the key backup (`python run.py keys restore`, needs K custodian "
                "shares); a new key is not made"
            )
        try:
            return await audit.start_keyed_chain(db, settings.audit_key_path, today())
        except ValueError as exc:
            raise CliError(f"{exc}; not re-keying (remove {settings.audit_key_path})") from None
    finally:
        await db.close()


def cmd_rekey(args: argparse.Namespace) -> int:
    """Create the outside key and re-key the chain from the genesis, once."""
    done = asyncio.run(_rekey(settings_from_args(args)))
    if done is None:
        print("The audit log was empty; it is keyed from its first entry.")
        return 0
    print(f"Re-keyed {done.entries} entries. The unkeyed head was {done.old_head.hex()};")
    print("compare it with any head hash written down before. Back up the new key (keys backup).")
    return 0


async def _log(settings: Settings, action: str, detail: str) -> None:
    db = await open_database(settings.database_path)
    try:
        await audit.record(db, audit.pending(action, username="(command line)", detail=detail))
    finally:
        await db.close()


def log_command(args: argparse.Namespace, action: str, detail: str = "") -> None:
    """Append an audit entry for a command-line action that does not otherwise touch the database."""
    settings = settings_from_args(args)
    if settings.database_path.exists():
        asyncio.run(_log(settings, action, detail))

"""`stats`: the published figures for a force or the nation, as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from dropbox_server.cli.prompts import CliError
from dropbox_server.cli.settings_args import add_data_dir, settings_from_args
from dropbox_server.config import Settings
from dropbox_server.stats.formats import FORMATS, render
from dropbox_server.stats.periods import PERIODS, PeriodError
from dropbox_server.stats.table import StatsQuery, statistics
from dropbox_server.store import open_database, units


def register(sub: Any) -> None:
    """Add `stats`."""
    p = sub.add_parser(
        "stats",
        help="published figures (small numbers protected)",
        description="Counts by period for one unit or nationally. Counts from 1 to 4 are shown "
        "as 'fewer than 5' and any figure including one as a range, so none can be recovered.",
    )
    add_data_dir(p)
    p.add_argument("--from", dest="first", required=True, metavar="YYYY-MM", help="first month")
    p.add_argument("--to", dest="last", required=True, metavar="YYYY-MM", help="last month (inclusive)")
    p.add_argument("--force", metavar="UNIT", help="a unit id (see `keys list-units`); default national")
    p.add_argument("--period", choices=PERIODS, default="month")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=cmd_stats)


async def _table(settings: Settings, query: StatsQuery, fmt: str) -> str:
    if not settings.database_path.exists():
        raise CliError(f"no database in {settings.data_dir}")
    db = await open_database(settings.database_path)
    try:
        if query.unit_id is not None and await units.get_unit(db, query.unit_id) is None:
            raise CliError(f"no unit {query.unit_id!r}; `python run.py keys list-units` lists them")
        return render(await statistics(db, query), fmt)
    finally:
        await db.close()


def cmd_stats(args: argparse.Namespace) -> int:
    """Print the published figures. Reads counters only: no key or passphrase is needed."""
    query = StatsQuery(args.first, args.last, args.force, args.period)
    try:
        print(asyncio.run(_table(settings_from_args(args), query, args.format)).rstrip("\n"))
    except PeriodError as exc:
        raise CliError(str(exc)) from None
    return 0

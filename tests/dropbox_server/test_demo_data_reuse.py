"""`run.py demo` reuses its data directory only when the first start finished it: an
interrupted first start (Ctrl-C while the data was being made) is refused with what to do,
instead of a demo whose staff accounts are missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from dropbox_server.cli.demo_accounts import prepare_demo_data
from dropbox_server.cli.prompts import CliError
from dropbox_server.config import Settings
from tests.conftest import init_test_data_dir


async def test_a_demo_directory_left_half_made_is_refused_with_what_to_do(
    settings: Settings, tmp_path: Path
) -> None:
    await init_test_data_dir(settings)  # a database, no demo accounts: where an interrupt can stop
    accounts = tmp_path / "demo-accounts.txt"
    with pytest.raises(CliError, match=r"half-made by an interrupted first start; delete .* start the demo again"):
        await prepare_demo_data(settings, accounts)


async def test_a_finished_demo_directory_is_reused(settings: Settings, tmp_path: Path) -> None:
    await init_test_data_dir(settings)
    accounts = tmp_path / "demo-accounts.txt"
    accounts.write_text("written last by the first start\n")
    assert (await prepare_demo_data(settings, accounts)).startswith(f"Reusing {settings.data_dir}")

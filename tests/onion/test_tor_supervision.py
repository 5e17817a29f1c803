"""Tor supervised: killed mid-journey or cut off, it comes back with the same onions;
investigator client changes apply live. Over the private loopback network."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp_socks import ProxyError

from dropbox_server.clock import today
from onion_config import (
    OnionState,
    PrivateTorNetwork,
    RunningOnions,
    TorClient,
    TorSettings,
    add_client,
    launcher,
    read_state,
    remove_client,
    serve_onions,
    torrc,
)
from onion_config.onion_keys import OnionFiles
from onion_config.testnet import free_loopback_ports
from tests.conftest import Sites
from tests.journeys import Reporter
from tests.onion.conftest import PUBLISH_TIMEOUT, nacl_keypair
from tests.onion.socks import (
    CLIENT_AUTH_MISSING,
    CLIENT_AUTH_WRONG,
    get_through_tor,
    onion_session,
    socks_reply_code,
)

pytestmark = pytest.mark.tor

BACK_WITHIN = 60.0  # a bound on the wait, not a speed assertion


@dataclass
class Supervised:
    sites: Sites
    running: RunningOnions
    files: OnionFiles


@pytest.fixture
async def supervised(sites: Sites, tor_network: PrivateTorNetwork) -> AsyncIterator[Supervised]:
    """The real sites behind supervised onions on the private network."""
    files = OnionFiles.for_data_dir(sites.settings.data_dir)
    await asyncio.to_thread(add_client, files.clients_dir, "alice", nacl_keypair)
    ports = [urlsplit(url).port for url in (sites.reporter_url, sites.investigator_url)]
    assert ports[0] and ports[1]
    with contextlib.ExitStack() as stack:
        running = await asyncio.to_thread(
            stack.enter_context,
            serve_onions(sites.settings.data_dir, ports[0], ports[1], network=tor_network,
                         publish_timeout=PUBLISH_TIMEOUT),
        )
        try:
            yield Supervised(sites, running, files)
        finally:
            await asyncio.to_thread(stack.close)


async def _until(condition: object, timeout: float) -> None:
    """Wait (bounded) until condition() is true."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


def _state(files: OnionFiles) -> tuple[bool, bool, bool, int]:
    state = read_state(files.state_file)
    assert state is not None
    return state.tor_up, state.reporter_published, state.investigator_published, state.tor_restarts


async def test_tor_killed_mid_journey_comes_back_with_the_same_onions(
    supervised: Supervised, tor_client: TorClient
) -> None:
    running, files = supervised.running, supervised.files
    addresses = running.addresses
    assert _state(files) == (True, True, True, 0)
    async with onion_session(tor_client.socks_port) as http:
        reporter = Reporter(http, f"http://{addresses.reporter}")
        receipt = await reporter.submit_ok(what_happened="A sergeant sells custody records.")

        old_pid = running.tor_process_id()
        assert old_pid is not None
        killed = time.monotonic()
        os.kill(old_pid, signal.SIGKILL)
        await _until(lambda: running.tor_restarts == 1, BACK_WITHIN)
        await asyncio.to_thread(running.wait_published, PUBLISH_TIMEOUT)
        restarted = time.monotonic() - killed
        status, page = await get_through_tor(tor_client.socks_port, addresses.reporter_url,
                                             timeout=BACK_WITHIN)
        assert status == 200 and "Report corruption" in page
        print(f"tor killed: restarted and republished after {restarted:.1f} s, "
              f"reporter onion answered after {time.monotonic() - killed:.1f} s")
        assert running.addresses == addresses
        assert running.tor_restarts == 1
        assert running.tor_process_id() not in (None, old_pid)

        # The journey goes on where it stopped: the receipt opens the thread, a follow-up lands.
        page = await reporter.open_thread(receipt)
        assert "waiting to be read" in page
        status, _ = await reporter.follow_up("It was the Tuesday night shift.")
        assert status == 200

    await _until(lambda: _state(files) == (True, True, True, 1), PUBLISH_TIMEOUT)
    with pytest.raises(ProxyError) as caught:
        await get_through_tor(tor_client.socks_port, addresses.investigator_url)
    assert socks_reply_code(caught.value) == CLIENT_AUTH_MISSING


async def test_dropped_control_connection_is_reopened(
    supervised: Supervised, tor_client: TorClient
) -> None:
    running = supervised.running
    # Tor took ownership of this connection: closing it makes that tor exit as well.
    await asyncio.to_thread(running.controller.close)
    await _until(lambda: running.tor_restarts == 1, BACK_WITHIN)
    await asyncio.to_thread(running.wait_published, PUBLISH_TIMEOUT)
    status, _ = await get_through_tor(tor_client.socks_port, running.addresses.reporter_url,
                                      timeout=BACK_WITHIN)
    assert status == 200


async def test_client_auth_changes_apply_live(
    supervised: Supervised, tor_network: PrivateTorNetwork, tmp_path: Path
) -> None:
    running, files = supervised.running, supervised.files
    address = running.addresses.investigator
    carol = await asyncio.to_thread(add_client, files.clients_dir, "carol", nacl_keypair)
    await _until(lambda: read_state(files.state_file).investigator_clients == 2, 10)  # type: ignore[union-attr]
    await asyncio.to_thread(running.wait_published, PUBLISH_TIMEOUT)
    client = await asyncio.to_thread(
        tor_network.start_client, "carol", [carol.auth_private_line(address)])
    try:
        status, body = await get_through_tor(client.socks_port, f"http://{address}/")
        assert status == 200 and "investigators" in body
    finally:
        await asyncio.to_thread(client.stop)

    await asyncio.to_thread(remove_client, files.clients_dir, "carol")
    await _until(lambda: read_state(files.state_file).investigator_clients == 1, 10)  # type: ignore[union-attr]
    await asyncio.to_thread(running.wait_published, PUBLISH_TIMEOUT)
    client = await asyncio.to_thread(
        tor_network.start_client, "carol-revoked", [carol.auth_private_line(address)])
    try:
        with pytest.raises(ProxyError) as caught:
            await get_through_tor(client.socks_port, f"http://{address}/")
        assert socks_reply_code(caught.value) == CLIENT_AUTH_WRONG
    finally:
        await asyncio.to_thread(client.stop)
    assert running.tor_restarts == 0


def _system_tor(network: PrivateTorNetwork, workdir: Path, control_port: int) -> launcher.LaunchedTor:
    """A tor we did not launch from serve: the private network's stand-in for the system tor."""
    return network.launch_tor(
        torrc.merge(torrc.service_options(workdir / "data", workdir / "control_port"),
                    [("ControlPort", f"127.0.0.1:{control_port}")]),
        workdir)


async def test_attached_tor_restarted_is_reattached(
    sites: Sites, tor_network: PrivateTorNetwork, tor_client: TorClient, tmp_path: Path
) -> None:
    files = OnionFiles.for_data_dir(sites.settings.data_dir)
    add_client(files.clients_dir, "alice", nacl_keypair)
    control_port = free_loopback_ports(1)[0]
    system = await asyncio.to_thread(_system_tor, tor_network, tmp_path / "system-tor", control_port)
    ports = [urlsplit(url).port for url in (sites.reporter_url, sites.investigator_url)]
    assert ports[0] and ports[1]
    attach = TorSettings(mode="attach", control_port=control_port)
    with contextlib.ExitStack() as stack:
        running = await asyncio.to_thread(
            stack.enter_context,
            serve_onions(sites.settings.data_dir, ports[0], ports[1], attach,
                         publish_timeout=PUBLISH_TIMEOUT))
        try:
            assert running.tor_process_id() is None  # not ours to stop
            await asyncio.to_thread(system.stop)  # e.g. the system tor restarted by systemd
            await _until(lambda: not _state(files)[0], BACK_WITHIN)
            system = await asyncio.to_thread(_system_tor, tor_network, tmp_path / "system-tor",
                                             control_port)
            await _until(lambda: running.tor_restarts == 1, BACK_WITHIN)
            await asyncio.to_thread(running.wait_published, PUBLISH_TIMEOUT)
            status, _ = await get_through_tor(tor_client.socks_port, running.addresses.reporter_url,
                                              timeout=BACK_WITHIN)
            assert status == 200
            again = OnionState("attach", True, True, True, 1, 1, today())
            await _until(lambda: read_state(files.state_file) == again, PUBLISH_TIMEOUT)
        finally:
            await asyncio.to_thread(stack.close)
            await asyncio.to_thread(system.stop)

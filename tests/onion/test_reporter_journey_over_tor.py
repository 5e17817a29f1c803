"""The real reporter site, reached only through its onion on the private Tor network."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from dropbox_server.clock import today
from dropbox_server.reports import casework
from dropbox_server.reports.reporter_access import open_with_receipt
from dropbox_server.store import reports as report_store
from onion_config import (
    OnionAddresses,
    PrivateTorNetwork,
    TorClient,
    add_client,
    read_state,
    serve_onions,
)
from onion_config.onion_keys import OnionFiles
from receipt_codes import parse_receipt
from tests.conftest import Sites
from tests.journeys import Reporter
from tests.onion.conftest import PUBLISH_TIMEOUT, nacl_keypair
from tests.onion.socks import (
    get_through_tor,
    onion_session,
)
from tests.test_reporter_journey import enrol

pytestmark = pytest.mark.tor


@dataclass
class OnionSites:
    sites: Sites
    addresses: OnionAddresses


@pytest.fixture
async def onion_sites(sites: Sites, tor_network: PrivateTorNetwork) -> AsyncIterator[OnionSites]:
    """Both real sites published as onions (tor work runs off the event loop)."""
    data_dir = sites.settings.data_dir
    await asyncio.to_thread(
        add_client, OnionFiles.for_data_dir(data_dir).clients_dir, "alice", nacl_keypair
    )
    ports = [urlsplit(url).port for url in (sites.reporter_url, sites.investigator_url)]
    assert all(ports)
    with contextlib.ExitStack() as stack:
        running = await asyncio.to_thread(
            stack.enter_context,
            serve_onions(data_dir, ports[0], ports[1], network=tor_network,
                         publish_timeout=PUBLISH_TIMEOUT),
        )
        try:
            yield OnionSites(sites, running.addresses)
        finally:
            await asyncio.to_thread(stack.close)


async def test_reporter_journey_through_the_onion(
    onion_sites: OnionSites, tor_client: TorClient
) -> None:
    addresses = onion_sites.addresses
    status, landing = await get_through_tor(tor_client.socks_port, addresses.reporter_url)
    assert status == 200

    async with onion_session(tor_client.socks_port) as http:
        reporter = Reporter(http, f"http://{addresses.reporter}")
        receipt = await reporter.submit_ok(what_happened="Cash for dropping a case, via Tor.")
        page = await reporter.open_thread(receipt)
        assert "waiting to be read" in page

        db = onion_sites.sites.services.db
        alice = await enrol(onion_sites.sites, "alice", "kent-police")
        access = await open_with_receipt(
            db, onion_sites.sites.services.receipts, parse_receipt(receipt)
        )
        assert access is not None
        report = await report_store.get_report(db, access.report_id)
        assert report is not None
        await casework.reply_to_reporter(db, report, alice, "Which station?", today())

        page = await reporter.open_thread(receipt)
        assert "Which station?" in page
        status, _ = await reporter.follow_up("Maidstone, on the 3rd.")
        assert status == 200

        async with http.get(addresses.reporter_url) as resp:
            assert resp.headers["Referrer-Policy"] == "no-referrer"
            assert "Content-Security-Policy" in resp.headers

    # Security: invariant 5. No reporter page names the investigator onion.
    investigator_label = addresses.investigator.removesuffix(".onion")
    for html in [landing, *reporter.pages]:
        assert investigator_label not in html


async def test_each_onion_serves_only_its_own_site(
    onion_sites: OnionSites, tor_network: PrivateTorNetwork, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Invariant 5: the reporter onion is the reporter app; the investigator app has its own."""
    addresses = onion_sites.addresses
    data_dir = onion_sites.sites.settings.data_dir
    clients = OnionFiles.for_data_dir(data_dir).clients_dir
    second = add_client(clients, "bob", nacl_keypair)
    # serve applies a new client live: wait (bounded) until the onion is republished with bob.
    state_file = OnionFiles.for_data_dir(data_dir).state_file
    deadline = time.monotonic() + PUBLISH_TIMEOUT
    while (state := read_state(state_file)) is None or not (
        state.investigator_clients == 2 and state.investigator_published
    ):
        assert time.monotonic() < deadline, state
        await asyncio.sleep(0.2)
    assert addresses.reporter != addresses.investigator
    client = tor_network.start_client(
        "journey-staff", [second.auth_private_line(addresses.investigator)]
    )
    try:
        status, reporter_home = await get_through_tor(client.socks_port, addresses.reporter_url)
        assert status == 200 and "Report corruption" in reporter_home
        assert "Tip drop for investigators" not in reporter_home
        status, investigator_home = await get_through_tor(client.socks_port, addresses.investigator_url)
        assert status == 200 and "Tip drop for investigators" in investigator_home
    finally:
        client.stop()

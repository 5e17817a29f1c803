"""Over the private Tor network: a circuit that opens too many streams to an onion is closed.

Without ADD_ONION's MaxStreams, one circuit held any number of half-open connections to
the sites (1,500 stayed open over 90 s in review).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest
from python_socks import ProxyError
from python_socks.async_.asyncio import Proxy

from onion_config import TorClient
from onion_config.publish import MAX_STREAMS_PER_CIRCUIT
from tests.onion.conftest import Published
from tests.onion.socks import get_through_tor

pytestmark = pytest.mark.tor


async def test_a_circuit_with_too_many_streams_is_closed(published: Published, tor_client: TorClient) -> None:
    address = published.running.addresses.reporter
    await get_through_tor(tor_client.socks_port, f"http://{address}/")  # descriptor and circuit ready
    # One SOCKS identity: tor keeps every stream of it to this onion on one rendezvous circuit.
    proxy = Proxy.from_url(f"socks5://cap-test:cap-test@127.0.0.1:{tor_client.socks_port}", rdns=True)
    held: list[socket.socket] = []
    refused = False
    try:
        for _ in range(MAX_STREAMS_PER_CIRCUIT + 8):
            try:
                held.append(await proxy.connect(address, 80, timeout=60))
            except (ProxyError, OSError, TimeoutError):
                refused = True
                break
        assert refused, f"{len(held)} streams were opened on one circuit"
        assert len(held) <= MAX_STREAMS_PER_CIRCUIT
        # The streams already open went with the circuit.
        reader, writer = await asyncio.open_connection(sock=held.pop(0))
        with contextlib.suppress(ConnectionError):
            assert await asyncio.wait_for(reader.read(), timeout=60) == b""
        writer.close()
    finally:
        for sock in held:
            sock.close()

"""A KDF pool for batch work runs its derivations at a lower CPU priority."""

from __future__ import annotations

import os
import threading

from dropbox_server.kdf import KdfRunner


def _priorities() -> tuple[int, int]:
    """This thread's nice value, and that of a thread it starts (as argon2id starts its lanes)."""
    seen: list[int] = []
    lane = threading.Thread(target=lambda: seen.append(os.getpriority(os.PRIO_PROCESS, 0)))
    lane.start()
    lane.join()
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), seen[0]


async def test_batch_pool_threads_are_niced_and_the_server_pool_is_not() -> None:
    base = os.getpriority(os.PRIO_PROCESS, 0)
    batch, server = KdfRunner(2, 4, nice=10), KdfRunner(2, 4)
    try:
        assert await batch.run(_priorities) == (min(base + 10, 19), min(base + 10, 19))
        assert await server.run(_priorities) == (base, base)
    finally:
        batch.close()
        server.close()
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base

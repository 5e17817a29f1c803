"""File descriptors: raise the soft limit at start and size the connection caps under it.

Every open connection is a file descriptor, and so is every database handle, attachment
being written and tor control socket. With the usual soft limit of 1,024, a flood of
half-open connections made accept() fail with EMFILE, and then uploads and the database
failed too. The caps keep connections below what the process may open.
"""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass

from dropbox_server.config import ConnectionLimits

log = logging.getLogger("tipdrop")

_FLOOR = 16


@dataclass(frozen=True)
class ConnectionCaps:
    """How many connections each site keeps open at most, and the limit they fit under."""

    reporter: int
    investigator: int
    fd_limit: int


def caps_under(fd_limit: int, limits: ConnectionLimits) -> ConnectionCaps:
    """The configured caps, shrunk (investigator first kept) to fit `fd_limit` descriptors."""
    room = fd_limit - limits.reserved_fds
    if room >= limits.reporter_connections + limits.investigator_connections:
        return ConnectionCaps(limits.reporter_connections, limits.investigator_connections, fd_limit)
    investigator = max(_FLOOR, min(limits.investigator_connections, room // 8))
    reporter = max(_FLOOR, min(limits.reporter_connections, room - investigator))
    return ConnectionCaps(reporter, investigator, fd_limit)


def fit_file_descriptors(limits: ConnectionLimits) -> ConnectionCaps:
    """Raise the soft RLIMIT_NOFILE towards what the caps need (never above the hard limit).

    Security: returns caps that fit under the limit actually in force, so connections can
    never starve the database and uploads of descriptors.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.reporter_connections + limits.investigator_connections + limits.reserved_fds
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if target > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    limit = wanted if soft == resource.RLIM_INFINITY else soft
    caps = caps_under(limit, limits)
    if (caps.reporter, caps.investigator) != (limits.reporter_connections, limits.investigator_connections):
        log.warning(
            "file descriptor limit %d: connection caps lowered to %d (reporter) and %d (investigator)",
            limit,
            caps.reporter,
            caps.investigator,
        )
    return caps

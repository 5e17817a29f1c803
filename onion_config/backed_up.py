"""Which onion files a key backup carries, and where each one is restored.

Security: a backup file may have been crafted. Only the two service keys and
``investigator_clients/NAME.auth`` (a valid client name) are accepted, matched
whole, so no name in a backup can reach outside the onion folder or replace
tor's working files.
"""

from __future__ import annotations

import re
from pathlib import Path

from onion_config.client_auth import CLIENT_NAME
from onion_config.errors import OnionKeyError
from onion_config.onion_keys import OnionFiles

_KEPT = re.compile(rf"reporter\.key|investigator\.key|investigator_clients/{CLIENT_NAME}\.auth")


def is_backed_up_name(relative: str) -> bool:
    """True for the plain names (relative to the onion folder) a backup may hold."""
    return _KEPT.fullmatch(relative) is not None


def backed_up_path(files: OnionFiles, relative: str) -> Path:
    """The path a backed-up onion file is restored to; OnionKeyError for any other name."""
    if not is_backed_up_name(relative):
        raise OnionKeyError(f"not an onion file a backup may hold: {relative!r}")
    return files.root / relative

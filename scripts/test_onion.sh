#!/usr/bin/env bash
# Run the over-Tor and browser tests (tests/onion) inside an empty network
# namespace, so the private Tor network cannot reach anything but 127.0.0.1.
# Extra arguments go to pytest. Falls back to the host network, with a
# warning, where unshare is not permitted (everything still binds to 127.0.0.1
# and the torrcs are checked to name only 127.0.0.1 authorities).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
export TIPDROP_TOR_TESTS=1
# Run the whole folder unless the caller names test paths of their own.
TARGET=tests/onion
for arg in "$@"; do
    case "$arg" in tests/*) TARGET="" ;; esac
done

if [ "${TIPDROP_IN_NETNS:-}" != 1 ] && unshare -n true 2>/dev/null; then
    exec unshare -n env TIPDROP_IN_NETNS=1 bash -c \
        'ip link set lo up && exec "$0" -m pytest $1 "${@:2}"' "$PYTHON" "$TARGET" "$@"
fi
if [ "${TIPDROP_IN_NETNS:-}" != 1 ]; then
    echo "warning: cannot create a network namespace (unshare -n not permitted);" \
         "running the Tor tests on the host network, loopback only" >&2
fi
exec "$PYTHON" -m pytest $TARGET "$@"

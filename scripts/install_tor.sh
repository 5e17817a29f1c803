#!/usr/bin/env bash
# Install tor, tor-gencert and chromium from Debian's packages, idempotently.
#
# The Debian tor package starts a system tor that joins the public network; on
# development and CI machines that must never happen (DESIGN.md, invariant 8).
# So a policy-rc.d that forbids service starts is in place during the install
# (any existing one is restored afterwards), the tor service is disabled
# and masked, and any tor the package still managed to start is stopped.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_tor.sh: run as root (or install sudo)" >&2
        exit 1
    fi
fi

need=()
command -v tor >/dev/null 2>&1 && command -v tor-gencert >/dev/null 2>&1 || need+=(tor)
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ "${#need[@]}" -eq 0 ]; then
    echo "tor ($(tor --version | head -n1)) and chromium already installed"
    exit 0
fi

POLICY=/usr/sbin/policy-rc.d
backup=""
if [ -e "$POLICY" ]; then
    backup=$(mktemp)
    $SUDO cp -p "$POLICY" "$backup"
fi
printf '#!/bin/sh\n# written by tipdrop scripts/install_tor.sh: no service starts\nexit 101\n' \
    | $SUDO tee "$POLICY" >/dev/null
$SUDO chmod 755 "$POLICY"
cleanup() {
    # Put back whatever policy was there before, or none.
    if [ -n "$backup" ]; then
        $SUDO cp -p "$backup" "$POLICY"
        rm -f "$backup"
    else
        $SUDO rm -f "$POLICY"
    fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt_install() {
    $SUDO apt-get install -y --no-install-recommends "$@"
}
# Update the package lists only if the install cannot find the packages.
if ! apt_install "${need[@]}"; then
    $SUDO apt-get update
    apt_install "${need[@]}"
fi

if [[ " ${need[*]} " == *" tor "* ]]; then
    if command -v systemctl >/dev/null 2>&1; then
        $SUDO systemctl disable tor.service tor@default.service >/dev/null 2>&1 || true
        $SUDO systemctl mask tor.service tor@default.service >/dev/null 2>&1 || true
        $SUDO systemctl stop tor.service tor@default.service >/dev/null 2>&1 || true
    fi
    # Any tor the package started runs as debian-tor; ours never do.
    if pids=$(pgrep -u debian-tor -x tor); then
        echo "stopping the system tor the package started: $pids"
        # shellcheck disable=SC2086
        $SUDO kill $pids || true
    fi
fi

command -v tor-gencert >/dev/null 2>&1 || { echo "tor-gencert still missing" >&2; exit 1; }
echo "installed: ${need[*]}; $(tor --version | head -n1)"

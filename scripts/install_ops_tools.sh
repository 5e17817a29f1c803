#!/usr/bin/env bash
# Install the operations tools the deploy/ tests use, from Debian's packages, idempotently:
# caddy (the optional HTTPS door), systemd's tools (systemd-analyze verifies the units) and
# sudo (its visudo checks the officers' door's sudoers fragment).
#
# Like scripts/install_tor.sh, a policy-rc.d forbids every service start during the install
# (any existing one is restored afterwards), and caddy.service is disabled and masked: the
# package would otherwise start a web server on ports 80 and 443 with its default site.
# Tests run caddy themselves, on 127.0.0.1 only, with their own configuration.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_ops_tools.sh: run as root (or install sudo)" >&2
        exit 1
    fi
fi

need=()
command -v caddy >/dev/null 2>&1 || need+=(caddy)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v visudo >/dev/null 2>&1 || need+=(sudo)

mask_caddy() {
    if command -v systemctl >/dev/null 2>&1; then
        $SUDO systemctl disable caddy.service caddy-api.service >/dev/null 2>&1 || true
        $SUDO systemctl mask caddy.service caddy-api.service >/dev/null 2>&1 || true
        $SUDO systemctl stop caddy.service caddy-api.service >/dev/null 2>&1 || true
    fi
    # A caddy the package started runs as the caddy user; ours never do.
    if pids=$(pgrep -u caddy -x caddy); then
        echo "stopping the system caddy the package started: $pids"
        # shellcheck disable=SC2086
        $SUDO kill $pids || true
    fi
}

if [ "${#need[@]}" -eq 0 ]; then
    echo "caddy ($(caddy version | cut -d' ' -f1)), systemd-analyze and visudo already installed"
    exit 0
fi

POLICY=/usr/sbin/policy-rc.d
backup=""
if [ -e "$POLICY" ]; then
    backup=$(mktemp)
    $SUDO cp -p "$POLICY" "$backup"
fi
printf '#!/bin/sh\n# written by tipdrop scripts/install_ops_tools.sh: no service starts\nexit 101\n' \
    | $SUDO tee "$POLICY" >/dev/null
$SUDO chmod 755 "$POLICY"
cleanup() {
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
if ! apt_install "${need[@]}"; then
    $SUDO apt-get update
    apt_install "${need[@]}"
fi
[[ " ${need[*]} " == *" caddy "* ]] && mask_caddy
echo "installed: ${need[*]}"

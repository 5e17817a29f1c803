#!/usr/bin/env bash
# Installs what the service and its tests need on a fresh Debian machine with Python 3.11:
# Debian's tor (never started with a public configuration), chromium, caddy and systemd's
# tools (neither tor nor caddy started by the package), a virtualenv in
# .venv, and the Python packages pinned with hashes in requirements.lock.
# Idempotent: a second run only checks. Usage: scripts/install.sh [--with-test-tools]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: tor and chromium through scripts/install_tor.sh, which first blocks the
# package from starting a tor daemon with the public configuration.
bash scripts/install_tor.sh
# caddy (the optional HTTPS door, never started by the package) and systemd-analyze.
bash scripts/install_ops_tools.sh

need_apt=()
command -v unshare >/dev/null || need_apt+=(util-linux)
command -v ip >/dev/null || need_apt+=(iproute2)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
# The case file export draws its PDF with the DejaVu fonts.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ] \
    || as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Python packages, pinned with hashes; reinstalled only when the lock file changes.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
    --no-deps -r requirements.lock
  echo "$want" > "$stamp"
fi

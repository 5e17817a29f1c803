#!/usr/bin/env bash
# Starts the service on its embedded defaults: a SQLite data directory and the private
# loopback Tor network, with both sites behind their onion services. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python run.py demo "$@"

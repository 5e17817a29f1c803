#!/usr/bin/env bash
# Runs the whole test suite: lint, unit and HTTP tests, then the over-Tor and browser tests
# inside an empty network namespace. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff"
ruff check dropbox_server receipt_codes onion_config tests bench run.py

echo "== mypy --strict"
mypy --strict dropbox_server receipt_codes onion_config run.py

echo "== tests (unit, HTTP, browser)"
python -m pytest -q -p no:cacheprovider tests --ignore=tests/onion

echo "== tests over the private Tor network"
bash scripts/test_onion.sh

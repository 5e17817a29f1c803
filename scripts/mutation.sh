#!/usr/bin/env bash
# Mutation testing of the security core with mutmut (pinned in the test extras).
#
# Mutates every module listed under [tool.mutmut] only_mutate in pyproject.toml, runs the
# fast tests listed there against each mutant (mutmut picks, per mutant, the tests that
# reach the mutated function), then prints the score per module and every survivor, and
# fails if a module scores under the threshold in tests/mutation/equivalent.toml (where
# equivalent mutants are listed with their reasons). Not part of scripts/test.sh: it takes
# about 17 minutes on one core. One worker and `nice`, since the machine may be shared.
#
#   bash scripts/mutation.sh                   # fresh run of everything, then the scores
#   bash scripts/mutation.sh --score-only      # scores of the last run, without running
#   bash scripts/mutation.sh --keep            # reuse results of functions that did not change
#
# Results stay in mutants/ (git-ignored); `.venv/bin/mutmut show NAME` shows one mutant.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
MUTMUT="${MUTMUT:-.venv/bin/mutmut}"
WORKERS="${MUTATION_WORKERS:-1}"
# Property tests run once per mutant: fewer examples each (the ordinary suite runs 150).
export TIPDROP_HYPOTHESIS_EXAMPLES="${TIPDROP_HYPOTHESIS_EXAMPLES:-25}"

case "${1:-}" in
    --score-only) exec "$PYTHON" -m tests.mutation.score ;;
    --keep) ;;
    "") rm -rf mutants ;;
    *) echo "usage: $0 [--score-only | --keep]" >&2; exit 2 ;;
esac

mkdir -p artifacts
start=$(date +%s)
# mutmut prints a progress line per mutant; the log keeps it out of the terminal.
if ! nice -n 10 "$MUTMUT" run --max-children "$WORKERS" > artifacts/mutation-run.log 2>&1; then
    tail -n 40 artifacts/mutation-run.log >&2
    echo "mutmut itself failed (see artifacts/mutation-run.log)" >&2
    exit 1
fi
echo "mutmut run took $(( $(date +%s) - start )) s with $WORKERS worker(s)"
exec "$PYTHON" -m tests.mutation.score

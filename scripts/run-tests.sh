#!/usr/bin/env bash
# The whole suite: once on SQLite (with the browser tests), once on a throwaway
# PostgreSQL cluster. Under CI=true nothing may be skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# Two workers (pytest-xdist): the machine has two cores; set PYTEST_WORKERS=0 to run in one.
WORKERS=${PYTEST_WORKERS:-2}

echo "== SQLite =="
$BIN/python -m pytest -p no:cacheprovider -n "$WORKERS" "$@"

echo "== PostgreSQL =="
scripts/with-postgres.sh $BIN/python -m pytest -p no:cacheprovider -n "$WORKERS" -m "not sqlite_only" "$@"

#!/usr/bin/env bash
# The whole suite: once on SQLite (with the browser tests), once on a throwaway
# PostgreSQL cluster. Under CI=true nothing may be skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== SQLite =="
$BIN/python -m pytest -p no:cacheprovider "$@"

echo "== PostgreSQL =="
scripts/with-postgres.sh $BIN/python -m pytest -p no:cacheprovider -m "not sqlite_only" "$@"

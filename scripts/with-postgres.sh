#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster: initdb on a temporary
# directory (as the postgres user when run as root), listening only on a unix socket in
# that directory; COCREA_TEST_DATABASE_URL points at it. The cluster is stopped and
# removed however the command ends.
set -euo pipefail

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ]; then
  echo "No PostgreSQL server binaries under /usr/lib/postgresql (run scripts/system-deps.sh)." >&2
  exit 1
fi

tmp=$(mktemp -d /tmp/cocrea-pg.XXXXXX)
as_owner() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi; }
if [ "$(id -u)" -eq 0 ]; then chown postgres "$tmp"; fi
chmod 700 "$tmp"

cleanup() {
  as_owner "'$PGBIN/pg_ctl' -D '$tmp/data' -m immediate -w stop" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

as_owner "'$PGBIN/initdb' -D '$tmp/data' -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync" >/dev/null
as_owner "'$PGBIN/pg_ctl' -D '$tmp/data' -l '$tmp/server.log' -w \
  -o \"-c listen_addresses='' -k '$tmp' -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null
"$PGBIN/createdb" -h "$tmp" -U postgres cocrea_test

export COCREA_TEST_DATABASE_URL="postgresql+psycopg://postgres@/cocrea_test?host=$tmp"
"$@"

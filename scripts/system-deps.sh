#!/usr/bin/env bash
# Installs from Debian's packages what is missing. Arguments name what is needed:
#   venv  Python's venv module (python3-venv on Debian)
#   test  Chromium for the browser tests, the PostgreSQL server, npm for axe-core
#   pdf   Pango, HarfBuzz and a font, which WeasyPrint needs to write the PDF reports
#   bench wrk, the HTTP load generator of `make bench`, and the PostgreSQL server
set -euo pipefail
PYTHON=${PYTHON:-python3}
LDCONFIG=$(command -v ldconfig || echo /sbin/ldconfig)

need=()
for part in "$@"; do
  case "$part" in
    venv)
      "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3-venv)
      ;;
    test)
      [ -x /usr/bin/chromium ] || need+=(chromium)
      ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
      command -v npm >/dev/null 2>&1 || need+=(npm)
      ;;
    pdf)
      "$LDCONFIG" -p 2>/dev/null | grep -q 'libpango-1.0.so.0' || need+=(libpango-1.0-0)
      "$LDCONFIG" -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || need+=(libpangoft2-1.0-0)
      "$LDCONFIG" -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0' || need+=(libharfbuzz-subset0)
      [ -n "$(fc-list 2>/dev/null | head -1)" ] || need+=(fontconfig fonts-dejavu-core)
      ;;
    bench)
      command -v wrk >/dev/null 2>&1 || need+=(wrk)
      ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
      ;;
    *) echo "unknown part: $part" >&2; exit 2 ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0

echo "Installing from Debian: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "Missing ${need[*]} and not root: install them with apt-get and run again." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

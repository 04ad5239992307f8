#!/usr/bin/env bash
# Installs everything the harness needs on a fresh Debian machine, idempotently:
#   Debian: postgresql-15, haproxy, chromium (report browser check)
#   npm:    allure 3 (HTML report) into tools/node_modules
#   Python: a small venv holding tox (tox builds the project venv itself)
# Re-running is cheap: each step is skipped when already satisfied.
# `--no-tox`: skip the tox venv (used by tox's own commands_pre, so `tox -e nightly` alone works).
set -euo pipefail
with_tox=1
[ "${1:-}" = "--no-tox" ] && with_tox=0
cd "$(dirname "$0")/.."

log() { printf '[bootstrap] %s\n' "$*"; }

need_debian=()
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_debian+=(haproxy)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need_debian+=(postgresql-15 postgresql-client-15)
command -v chromium >/dev/null 2>&1 || need_debian+=(chromium)
command -v npm >/dev/null 2>&1 || need_debian+=(nodejs npm)
if [ ${#need_debian[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "[bootstrap] error: missing Debian packages ${need_debian[*]}; run as root or: sudo apt-get install -y ${need_debian[*]}" >&2
    exit 2
  fi
  log "installing Debian packages: ${need_debian[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_debian[@]}" >/dev/null
  # the Debian postgresql package starts a system cluster on 5432; the lab never uses it
  command -v pg_ctlcluster >/dev/null 2>&1 && pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
fi

if [ ! -x tools/node_modules/.bin/allure ]; then
  log "installing Allure 3 (npm) into tools/"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

if [ "$with_tox" = 1 ] && [ ! -x .tools/tox/bin/tox ]; then
  log "creating .tools/tox (tox in its own venv: it needs newer packaging than checkov pins)"
  python3 -m venv .tools/tox
  .tools/tox/bin/pip install -q --disable-pip-version-check "tox>=4.20"
fi

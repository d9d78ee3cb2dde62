#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine, skipped piece by piece when already done:
#   build tools for isolated-vm (python3, make, g++), npm packages, redis-server and redis-sentinel (Debian), consul (Debian bullseye's 1.8.7 package; newer
#   Debian releases dropped it, so a bullseye source is added, derived from this machine's
#   own apt sources and pinned so that it offers nothing but consul), chromium (Debian; the dashboard's
#   browser tests drive it with playwright-core).
# With --bench (npm run bench), also what the benchmarks alone compare against: Dask distributed with
#   numpy (Debian's python3-distributed, for bench/dask-comparison.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'quantgrid setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root to run: $*"; return 1
  fi
}

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root apt-get update -qq >/dev/null
    apt_updated=1
  fi
}

# isolated-vm (the user strategies' sandbox) is built from source by node-gyp on Node 20.
ensure_build_tools() {
  if command -v make >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then return; fi
  log "installing build tools for isolated-vm (python3, make, g++)"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 make g++ >/dev/null
}

ensure_npm_packages() {
  if [ -x node_modules/.bin/tsc ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then return; fi
  log "installing npm packages"
  # Not `npm ci`: the lock file cannot list optional platform builds (other OSes' msgpackr-extract)
  # that this registry does not serve, and `npm ci` refuses such a lock; `npm install` keeps it as is.
  npm install --no-audit --no-fund --loglevel=error
}

ensure_redis() {
  if command -v redis-server >/dev/null 2>&1; then return; fi
  log "installing redis-server"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  # The package starts a system service on 6379; quantgrid starts its own servers and needs none.
}

# The Sentinel test (tests/integration/redis-sentinel.test.ts) starts its own sentinels with it.
ensure_redis_sentinel() {
  if command -v redis-sentinel >/dev/null 2>&1; then return; fi
  log "installing redis-sentinel"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-sentinel >/dev/null
  # Its system service (on 26379) is not needed either: the test's sentinels run on free ports.
}

# Prints the Debian archive URI this machine already uses (from deb822 .sources or sources.list).
debian_archive_uri() {
  local uri=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    uri=$(awk '
      /^URIs:/ { uris=$2 } /^Suites:/ { suites=$0 }
      /^$/ { if (suites ~ /(bookworm|trixie|bullseye|sid)( |$)/ && suites !~ /-security/ && uris != "") { print uris; exit } uris=""; suites="" }
      END { if (suites ~ /(bookworm|trixie|bullseye|sid)( |$)/ && suites !~ /-security/ && uris != "") print uris }
    ' /etc/apt/sources.list.d/*.sources | head -n1)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  fi
  printf '%s' "$uri"
}

ensure_consul() {
  if command -v consul >/dev/null 2>&1; then return; fi
  if apt-cache policy consul 2>/dev/null | grep -q 'Candidate: [0-9]'; then :; else
    local uri
    uri=$(debian_archive_uri)
    if [ -z "$uri" ]; then log "cannot find a Debian archive in the apt sources to install consul from"; return 1; fi
    log "adding the bullseye suite of $uri for the consul package"
    as_root tee /etc/apt/sources.list.d/quantgrid-bullseye.list >/dev/null <<LIST
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri bullseye main
LIST
    as_root tee /etc/apt/preferences.d/quantgrid-bullseye >/dev/null <<PREF
Package: *
Pin: release n=bullseye
Pin-Priority: 1

Package: consul
Pin: release n=bullseye
Pin-Priority: 500
PREF
    apt_updated=0
  fi
  apt_update_once
  log "installing consul"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq consul >/dev/null
}

# The dashboard's browser tests (tests/browser/) and its render benchmark drive Debian's chromium.
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then return; fi
  log "installing chromium (for the dashboard's browser tests)"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

# bench/dask-comparison.ts runs the same sweep on Dask, with Debian's interpreter and packages.
ensure_dask() {
  if /usr/bin/python3 -c 'import distributed, numpy' >/dev/null 2>&1; then return; fi
  log "installing python3-distributed and python3-numpy (for the Dask comparison benchmark)"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-distributed python3-dask python3-numpy >/dev/null
}

ensure_build_tools
ensure_npm_packages
ensure_redis
ensure_redis_sentinel
ensure_consul
ensure_chromium
if [ "${1:-}" = "--bench" ]; then ensure_dask; fi

#!/bin/sh
# Starts one quantgrid process in the container: coordinator, agent or cli.
set -e
role="${1:-}"
[ $# -gt 0 ] && shift
case "$role" in
  # The coordinator's Node flags: coordinator/config/node-flags.ts (why), checked by tests/unit/coordinator/node-flags.test.ts.
  coordinator) exec node --max-semi-space-size=2 /app/dist/coordinator/main.js "$@" ;;
  agent) exec node /app/dist/node-agent/main.js "$@" ;;
  cli) exec node /app/dist/bin/quantgrid.js "$@" ;;
  *)
    echo "usage: IMAGE coordinator|agent|cli [flags]   (each takes --help)" >&2
    [ "$role" = "--help" ] || [ "$role" = "-h" ] && exit 0
    exit 2 ;;
esac

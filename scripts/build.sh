#!/usr/bin/env bash
# Generates proto types, compiles TypeScript into dist/ (incremental), bundles the CLI into dist/bin/
# (scripts/build-cli.ts) and the dashboard's browser code into dist/dashboard-ui/ (scripts/build-dashboard-ui.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsc ]; then
  echo "quantgrid: npm packages missing; run 'npm install' (or 'npm run setup')" >&2
  exit 1
fi
bash scripts/gen-proto.sh
node_modules/.bin/tsc -p tsconfig.json
# The CLI as users run it: dist/bin/quantgrid.js and its chunks.
node dist/scripts/build-cli.js
# The dashboard's browser code: type-checked with the DOM lib, then bundled by esbuild into dist/dashboard-ui/.
node_modules/.bin/tsc -p dashboard-ui/tsconfig.json
node dist/scripts/build-dashboard-ui.js

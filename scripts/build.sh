#!/usr/bin/env bash
# Generates proto types and compiles TypeScript into dist/ (incremental).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsc ]; then
  echo "quantgrid: npm packages missing; run 'npm install' (or 'npm run setup')" >&2
  exit 1
fi
bash scripts/gen-proto.sh
node_modules/.bin/tsc -p tsconfig.json

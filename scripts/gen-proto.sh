#!/usr/bin/env bash
# Generates TypeScript types for proto/ into shared/generated/ (not committed).
# The options must match shared/grpc/proto-package.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
out=shared/generated
stamp="$out/.stamp"
if [ -f "$stamp" ] && [ -z "$(find proto -name '*.proto' -newer "$stamp")" ]; then exit 0; fi
rm -rf "$out"
node_modules/.bin/proto-loader-gen-types --grpcLib=@grpc/grpc-js --longs=Number --enums=String \
  --defaults --oneofs --includeDirs=proto --outDir="$out" \
  quantgrid/v1/coordinator.proto quantgrid/v1/node_agent.proto >/dev/null
echo '{ "type": "commonjs" }' > "$out/package.json"
touch "$stamp"

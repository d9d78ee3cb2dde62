#!/usr/bin/env bash
# Generates TypeScript types for proto/ into shared/generated/ (not committed), and the parsed
# descriptor (shared/generated/quantgrid-v1.json) that processes load instead of parsing the .proto
# files at each start. The options must match shared/grpc/proto-package.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
out=shared/generated
stamp="$out/.stamp"
descriptor="$out/quantgrid-v1.json"
if [ -f "$stamp" ] && [ -f "$descriptor" ] && [ -z "$(find proto -name '*.proto' -newer "$stamp")" ]; then exit 0; fi
rm -rf "$out"
node_modules/.bin/proto-loader-gen-types --grpcLib=@grpc/grpc-js --longs=Number --enums=String \
  --defaults --oneofs --includeDirs=proto --outDir="$out" \
  quantgrid/v1/coordinator.proto quantgrid/v1/node_agent.proto >/dev/null
echo '{ "type": "commonjs" }' > "$out/package.json"
# Field names camelCased as @grpc/proto-loader's loadSync does (keepCase false); fromJSON then gives the same definition.
node -e '
const protobuf = require("protobufjs");
const path = require("path");
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.resolve("proto", target);
root.loadSync(["quantgrid/v1/coordinator.proto", "quantgrid/v1/node_agent.proto"], { keepCase: false });
require("fs").writeFileSync(process.argv[1], JSON.stringify(root.toJSON()));
' "$descriptor"
touch "$stamp"

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as CoordinatorProto } from '../generated/coordinator.js';
import type { ProtoGrpcType as NodeAgentProto } from '../generated/node_agent.js';

/** Root folder of the .proto files (proto/ at the top of the repository). */
export const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../proto');
export const PROTO_FILES = ['quantgrid/v1/coordinator.proto', 'quantgrid/v1/node_agent.proto'];
/**
 * Those files parsed at build time (scripts/gen-proto.sh): loading it is a third of the CPU of
 * parsing the .proto text at each start (the CLI's start, docs/benchmarks.md), and it gives the same
 * package definition, descriptors and reflection included.
 */
export const PROTO_DESCRIPTOR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/generated/quantgrid-v1.json');

/** Loader options; scripts/gen-proto.sh generates the types with the same ones. */
export const LOADER_OPTIONS: protoLoader.Options = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cached: { definition: protoLoader.PackageDefinition; proto: CoordinatorProto & NodeAgentProto } | undefined;

/** The quantgrid.v1 package, loaded once per process. */
export function loadQuantgridProto(): { definition: protoLoader.PackageDefinition; proto: CoordinatorProto & NodeAgentProto } {
  if (!cached) {
    const definition = protoLoader.fromJSON(JSON.parse(readFileSync(PROTO_DESCRIPTOR, 'utf8')) as Record<string, unknown>, LOADER_OPTIONS);
    const proto = grpc.loadPackageDefinition(definition) as unknown as CoordinatorProto & NodeAgentProto;
    cached = { definition, proto };
  }
  return cached;
}

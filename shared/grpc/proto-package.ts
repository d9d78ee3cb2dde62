import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as CoordinatorProto } from '../generated/coordinator.js';
import type { ProtoGrpcType as NodeAgentProto } from '../generated/node_agent.js';
import { CONVERSION_OPTIONS, readProtoDescriptor } from './proto-descriptor.js';

/** Root folder of the .proto files (proto/ at the top of the repository). */
export const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../proto');
export const PROTO_FILES = ['quantgrid/v1/coordinator.proto', 'quantgrid/v1/node_agent.proto'];

/** Loader options; scripts/gen-proto.sh generates the types with the same ones. */
export const LOADER_OPTIONS: protoLoader.Options = { ...CONVERSION_OPTIONS, includeDirs: [PROTO_ROOT] };

let cached: { definition: protoLoader.PackageDefinition; proto: CoordinatorProto & NodeAgentProto } | undefined;

/**
 * The quantgrid.v1 package, loaded once per process, with the descriptors gRPC reflection serves (the
 * servers); the clients build their light definition from the same descriptor (client-service-definition.ts).
 */
export function loadQuantgridProto(): { definition: protoLoader.PackageDefinition; proto: CoordinatorProto & NodeAgentProto } {
  if (!cached) {
    const definition = protoLoader.fromJSON(readProtoDescriptor(), LOADER_OPTIONS);
    const proto = grpc.loadPackageDefinition(definition) as unknown as CoordinatorProto & NodeAgentProto;
    cached = { definition, proto };
  }
  return cached;
}

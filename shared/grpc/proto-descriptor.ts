import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IConversionOptions } from 'protobufjs';

/**
 * The .proto files parsed at build time (scripts/gen-proto.sh), as protobufjs JSON: the one source of
 * the quantgrid.v1 package for the full definition (proto-package.ts, with reflection) and for the
 * clients' light one (client-service-definition.ts). Loading it is a third of the CPU of parsing
 * the .proto text at each start (the CLI's start, docs/benchmarks.md).
 */
export const PROTO_DESCRIPTOR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/generated/quantgrid-v1.json');

/** The descriptor as JSON (a fresh object each call: protobufjs keeps references into it). */
export function readProtoDescriptor(): Record<string, unknown> {
  return JSON.parse(readFileSync(PROTO_DESCRIPTOR, 'utf8')) as Record<string, unknown>;
}

/**
 * How messages become JavaScript objects, for both definitions (and the generated types,
 * scripts/gen-proto.sh): 64-bit integers as numbers, enums as their names, unset fields with their
 * defaults, the name of the set field of each oneof.
 */
export const CONVERSION_OPTIONS: IConversionOptions = {
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';
import { CONVERSION_OPTIONS, readProtoDescriptor } from './proto-descriptor.js';

/** The services of the quantgrid.v1 package that the clients call. */
export type QuantgridService = 'Coordinator' | 'NodeAgent';

const PACKAGE = 'quantgrid.v1';

let root: protobuf.Root | undefined;

interface DescriptorNode {
  nested?: Record<string, DescriptorNode>;
  fields?: Record<string, { options?: Record<string, unknown> }>;
}

/**
 * The descriptor with proto3 `optional` fields as the one-field oneofs they are on the wire. protobufjs
 * 8 would otherwise leave out the oneof's virtual field in the objects it reads (`_seed: 'seed'`),
 * which proto-loader's protobufjs 7 writes, and the CLI's --json output shows.
 */
function withOptionalsAsOneofs(node: DescriptorNode): DescriptorNode {
  for (const field of Object.values(node.fields ?? {})) {
    if (field.options?.proto3_optional !== true) continue;
    delete field.options.proto3_optional;
    if (Object.keys(field.options).length === 0) delete field.options;
  }
  for (const child of Object.values(node.nested ?? {})) withOptionalsAsOneofs(child);
  return node;
}

/** A service method's name as a client calls it: its first letter lowered (ListJobs → listJobs). */
export function clientMethodName(method: string): string {
  return method.charAt(0).toLowerCase() + method.slice(1);
}

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    const bytes = type.encode(type.fromObject(value)).finish();
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), CONVERSION_OPTIONS);
}

/**
 * What a gRPC client of one service needs — each method's path, streaming and (de)serializers —
 * built straight from the build-time descriptor with protobufjs' light build. The same wire bytes and
 * objects as @grpc/proto-loader's definition (a unit test checks it), without what only servers use:
 * the file descriptors gRPC reflection serves, whose building (and proto-loader's own start) were
 * most of the CLI's start-up CPU (docs/benchmarks.md, "CLI startup").
 */
export function clientServiceDefinition(service: QuantgridService): grpc.ServiceDefinition {
  root ??= protobuf.Root.fromJSON(withOptionalsAsOneofs(readProtoDescriptor()) as protobuf.INamespace);
  const found = root.lookupService(`${PACKAGE}.${service}`);
  found.resolveAll();
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of found.methodsArray) {
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${PACKAGE}.${service}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      originalName: clientMethodName(method.name),
    };
  }
  return definition;
}

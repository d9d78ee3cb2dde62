import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/light.js';
import { CONVERSION_OPTIONS, readProtoDescriptor } from './proto-descriptor.js';

/** The services of the quantgrid.v1 package that the clients call. */
export type QuantgridService = 'Coordinator' | 'NodeAgent';

const PACKAGE = 'quantgrid.v1';

interface DescriptorNode {
  nested?: Record<string, DescriptorNode>;
  fields?: Record<string, { type: string; options?: Record<string, unknown> }>;
  methods?: Record<string, { requestType: string; responseType: string; requestStream?: boolean; responseStream?: boolean }>;
}

/** The package's top-level definitions (messages, enums, services) by name, read once, optionals as oneofs. */
let packageNodes: Record<string, DescriptorNode> | undefined;

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

function readPackageNodes(): Record<string, DescriptorNode> {
  let node = withOptionalsAsOneofs(readProtoDescriptor() as DescriptorNode);
  for (const name of PACKAGE.split('.')) node = node.nested?.[name] ?? {};
  return node.nested ?? {};
}

/**
 * The top-level definitions a definition's fields (its nested types' included) may name: each type
 * name's first part within the package. Scalars and nested types' own names match none, or match one
 * only needlessly: never one too few.
 */
function namesReferredToBy(node: DescriptorNode): string[] {
  const names: string[] = [];
  for (const field of Object.values(node.fields ?? {})) {
    const name = field.type.replace(/^\./, '');
    names.push((name.startsWith(`${PACKAGE}.`) ? name.slice(PACKAGE.length + 1) : name).split('.')[0]);
  }
  for (const child of Object.values(node.nested ?? {})) names.push(...namesReferredToBy(child));
  return names;
}

/**
 * A protobufjs Root of only these types and those they refer to, transitively (a copy: protobufjs
 * keeps references into what it is built from). A call needs a few of the package's types; building
 * the Root of all of them was a measurable part of every CLI command's start (docs/benchmarks.md,
 * "CLI startup").
 */
function rootOf(nodes: Record<string, DescriptorNode>, names: readonly string[]): protobuf.Root {
  const wanted = new Set<string>();
  const visit = (name: string): void => {
    if (wanted.has(name) || !Object.hasOwn(nodes, name)) return;
    wanted.add(name);
    for (const referred of namesReferredToBy(nodes[name])) visit(referred);
  };
  for (const name of names) visit(name);
  const nested = structuredClone(Object.fromEntries([...wanted].map((name) => [name, nodes[name]])));
  let json: DescriptorNode = { nested };
  for (const name of PACKAGE.split('.').reverse()) json = { nested: { [name]: json } };
  return protobuf.Root.fromJSON(json as protobuf.INamespace);
}

/** A service method's name as a client calls it: its first letter lowered (ListJobs → listJobs). */
export function clientMethodName(method: string): string {
  return method.charAt(0).toLowerCase() + method.slice(1);
}

function serializer(type: () => protobuf.Type): (value: object) => Buffer {
  return (value) => {
    const t = type();
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${t.name} structure, got array instead`);
    const bytes = t.encode(t.fromObject(value)).finish();
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(type: () => protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => {
    const t = type();
    return t.toObject(t.decode(bytes), CONVERSION_OPTIONS);
  };
}

/**
 * What a gRPC client of one service needs — each method's path, streaming and (de)serializers —
 * built straight from the build-time descriptor with protobufjs' light build. The same wire bytes and
 * objects as @grpc/proto-loader's definition (a unit test checks it), without what only servers use:
 * the file descriptors gRPC reflection serves, whose building (and proto-loader's own start) were
 * most of the CLI's start-up CPU (docs/benchmarks.md, "CLI startup"). A method's message types are
 * built on its first call, from its types alone (rootOf).
 */
export function clientServiceDefinition(service: QuantgridService): grpc.ServiceDefinition {
  packageNodes ??= readPackageNodes();
  const nodes = packageNodes;
  const methods = nodes[service]?.methods;
  if (!methods) throw new Error(`no service ${PACKAGE}.${service} in the descriptor`);
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const [name, method] of Object.entries(methods)) {
    let types: { request: protobuf.Type; response: protobuf.Type } | undefined;
    const typesOf = (): { request: protobuf.Type; response: protobuf.Type } => {
      if (!types) {
        const root = rootOf(nodes, [method.requestType, method.responseType]);
        types = { request: root.lookupType(`${PACKAGE}.${method.requestType}`), response: root.lookupType(`${PACKAGE}.${method.responseType}`) };
      }
      return types;
    };
    const request = (): protobuf.Type => typesOf().request;
    const response = (): protobuf.Type => typesOf().response;
    definition[name] = {
      path: `/${PACKAGE}.${service}/${name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      originalName: clientMethodName(name),
    };
  }
  return definition;
}

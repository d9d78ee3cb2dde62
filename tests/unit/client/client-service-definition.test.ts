import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs/light.js';
import { clientServiceDefinition, type QuantgridService } from '../../../shared/grpc/client-service-definition.js';
import { loadQuantgridProto } from '../../../shared/grpc/proto-package.js';
import { readProtoDescriptor } from '../../../shared/grpc/proto-descriptor.js';

const SERVICES: readonly QuantgridService[] = ['Coordinator', 'NodeAgent'];
const root = protobuf.Root.fromJSON(readProtoDescriptor());
root.resolveAll();

const SCALARS: Record<string, fc.Arbitrary<unknown>> = {
  double: fc.double(),
  float: fc.float(),
  int32: fc.integer(),
  sint32: fc.integer(),
  sfixed32: fc.integer(),
  uint32: fc.nat({ max: 0xffffffff }),
  fixed32: fc.nat({ max: 0xffffffff }),
  int64: fc.maxSafeInteger(),
  sint64: fc.maxSafeInteger(),
  sfixed64: fc.maxSafeInteger(),
  uint64: fc.maxSafeNat(),
  fixed64: fc.maxSafeNat(),
  bool: fc.boolean(),
  string: fc.string({ unit: 'grapheme', maxLength: 12 }),
  bytes: fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes)),
};

/** Any message of the type as an object the serializers take (every field optional; at most one field of each oneof; nesting bounded). */
function messageOf(type: protobuf.Type, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const single = (field: protobuf.Field): fc.Arbitrary<unknown> => {
    const resolved = field.resolve().resolvedType;
    if (resolved instanceof protobuf.Enum) return fc.constantFrom(...Object.keys(resolved.values));
    if (resolved instanceof protobuf.Type) return depth < 3 ? messageOf(resolved, depth + 1) : fc.constant({});
    const scalar = SCALARS[field.type];
    if (!scalar) throw new Error(`no arbitrary for ${type.name}.${field.name}: ${field.type}`);
    return scalar;
  };
  const inOneof = new Set(type.oneofsArray.flatMap((oneof) => oneof.fieldsArray.map((field) => field.name)));
  const plain: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldsArray) {
    if (inOneof.has(field.name)) continue;
    if (field instanceof protobuf.MapField) {
      if (field.keyType !== 'string') throw new Error(`only string keys are generated (${type.name}.${field.name}): extend this test`);
      plain[field.name] = fc.dictionary(SCALARS.string as fc.Arbitrary<string>, single(field), { maxKeys: 3 });
    } else plain[field.name] = field.repeated ? fc.array(single(field), { maxLength: 3 }) : single(field);
  }
  const oneofs = type.oneofsArray.map((oneof) =>
    fc.oneof(fc.constant({}), ...oneof.fieldsArray.map((field) => single(field).map((value) => ({ [field.name]: value })))),
  );
  return fc
    .tuple(fc.record(plain, { requiredKeys: [] }), ...oneofs)
    .map(([fields, ...chosen]) => Object.assign({}, fields, ...chosen) as Record<string, unknown>);
}

/** The protobufjs type of a proto-loader message definition. */
function typeOf(definition: protoLoader.MessageTypeDefinition<object, object>): protobuf.Type {
  return root.lookupType(`quantgrid.v1.${(definition.type as { name: string }).name}`);
}

test('the clients\' light definition has every method of proto-loader\'s, with the same path, streaming and client name', () => {
  const { definition } = loadQuantgridProto();
  for (const service of SERVICES) {
    const full = definition[`quantgrid.v1.${service}`] as protoLoader.ServiceDefinition;
    const light = clientServiceDefinition(service);
    assert.deepEqual(Object.keys(light).sort(), Object.keys(full).sort(), service);
    for (const [name, method] of Object.entries(full)) {
      const mine = light[name];
      assert.equal(mine.path, method.path, `${service}.${name}`);
      assert.equal(mine.requestStream, method.requestStream, `${service}.${name}`);
      assert.equal(mine.responseStream, method.responseStream, `${service}.${name}`);
      assert.equal(mine.originalName, method.originalName, `${service}.${name}`);
    }
  }
});

test('for any message, what the light definition writes reads back as proto-loader\'s writing does, and both read bytes alike', () => {
  // proto-loader brings protobufjs 7, which also writes a proto3 field set to its default; the light
  // definition's protobufjs 8 leaves it out, as proto3 asks: the bytes may differ, the messages may not.
  const { definition } = loadQuantgridProto();
  for (const service of SERVICES) {
    const full = definition[`quantgrid.v1.${service}`] as protoLoader.ServiceDefinition;
    const light = clientServiceDefinition(service);
    for (const [name, method] of Object.entries(full)) {
      const sides = [
        { what: 'request', type: typeOf(method.requestType), full: [method.requestSerialize, method.requestDeserialize], mine: [light[name].requestSerialize, light[name].requestDeserialize] },
        { what: 'response', type: typeOf(method.responseType), full: [method.responseSerialize, method.responseDeserialize], mine: [light[name].responseSerialize, light[name].responseDeserialize] },
      ] as const;
      for (const side of sides) {
        const [fullWrite, fullRead] = side.full as unknown as [(value: object) => Buffer, (bytes: Buffer) => object];
        const [myWrite, myRead] = side.mine as unknown as [(value: object) => Buffer, (bytes: Buffer) => object];
        const where = `${service}.${name} ${side.what}`;
        fc.assert(
          fc.property(messageOf(side.type), (message) => {
            const theirs = fullWrite(message);
            const mine = myWrite(message);
            assert.ok(Buffer.isBuffer(mine), `${where}: not a Buffer`);
            const expected = fullRead(theirs);
            assert.deepEqual(fullRead(mine), expected, `${where}: proto-loader reads the light bytes differently`);
            assert.deepEqual(myRead(theirs), expected, `${where}: the light definition reads proto-loader's bytes differently`);
            // The same keys in the same order: the CLI's --json output prints them.
            assert.equal(JSON.stringify(myRead(theirs)), JSON.stringify(expected), `${where}: the objects' keys are in another order`);
            assert.deepEqual(myRead(mine), expected, `${where}: the light definition's round trip differs`);
            assert.ok(mine.length <= theirs.length, `${where}: the light bytes are longer`);
          }),
          { numRuns: 40 },
        );
      }
    }
  }
});

test('an array is refused as a message, as proto-loader refuses it', () => {
  const { definition } = loadQuantgridProto();
  const full = (definition['quantgrid.v1.Coordinator'] as protoLoader.ServiceDefinition).ListJobs;
  const light = clientServiceDefinition('Coordinator').ListJobs;
  assert.throws(() => full.requestSerialize([] as never), /expected object with ListJobsRequest structure/);
  assert.throws(() => light.requestSerialize([] as never), /expected object with ListJobsRequest structure/);
});

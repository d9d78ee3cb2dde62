import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, loadQuantgridProto, PROTO_FILES } from '../../../shared/grpc/proto-package.js';

test('the build-time descriptor gives the same package definition as parsing the .proto files', () => {
  const parsed = protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
  const { definition } = loadQuantgridProto();
  assert.deepEqual(Object.keys(definition).sort(), Object.keys(parsed).sort());
  for (const [name, entry] of Object.entries(parsed)) {
    const loaded = definition[name] as unknown as Record<string, unknown>;
    if ('format' in entry) {
      const type = entry as { type: unknown; fileDescriptorProtos: Buffer[] };
      assert.ok(isDeepStrictEqual(loaded.type, type.type), `${name}: message or enum descriptor differs`);
      assert.ok(isDeepStrictEqual((loaded.fileDescriptorProtos as Buffer[]).map(String), type.fileDescriptorProtos.map(String)), `${name}: file descriptors differ`);
    } else {
      for (const [method, call] of Object.entries(entry as protoLoader.ServiceDefinition)) {
        const other = (loaded as unknown as protoLoader.ServiceDefinition)[method];
        assert.equal(other?.path, call.path, `${name}.${method}`);
        assert.equal(other.requestStream, call.requestStream);
        assert.equal(other.responseStream, call.responseStream);
        assert.ok(isDeepStrictEqual(other.requestType.type, call.requestType.type), `${name}.${method} request`);
        assert.ok(isDeepStrictEqual(other.responseType.type, call.responseType.type), `${name}.${method} response`);
      }
    }
  }
});

import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);

/** The standard health and reflection services' protos, as any gRPC client would load them. */
function loadStandard(file: string, includeDir: string): grpc.GrpcObject {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, { includeDirs: [includeDir], keepCase: true, defaults: true, enums: String }));
}

export function healthCheck(address: string, service = ''): Promise<string> {
  const dir = path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto');
  const pkg = loadStandard('health/v1/health.proto', dir) as any;
  const client = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: Date.now() + 5000 }, (error: Error | null, response: { status: string }) => {
      client.close();
      if (error) reject(error);
      else resolve(response.status);
    });
  });
}

export function reflectedServices(address: string): Promise<string[]> {
  const dir = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const pkg = loadStandard('grpc/reflection/v1/reflection.proto', dir) as any;
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo({ deadline: Date.now() + 5000 });
    call.on('data', (response: { list_services_response?: { service: Array<{ name: string }> } }) => {
      resolve((response.list_services_response?.service ?? []).map((s) => s.name).sort());
      call.end();
    });
    call.on('error', reject);
    call.on('end', () => client.close());
    call.write({ list_services: '*' });
  });
}

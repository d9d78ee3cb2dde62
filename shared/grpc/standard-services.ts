import type * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { loadQuantgridProto } from './proto-package.js';

type ServiceEntry = Parameters<grpc.Server['addService']>;
let reflectionServices: ServiceEntry[] | undefined;

/**
 * The reflection services (v1 and v1alpha) as (definition, implementation) pairs, built once per
 * process: building them encodes every file descriptor and parses reflection's own .proto files,
 * about 80 ms of CPU, which a process serving many servers (the scale simulator's hosts: hundreds of
 * agent servers) would otherwise pay for each, synchronously. The implementation keeps no state per server.
 */
function reflectionServiceEntries(): ServiceEntry[] {
  if (!reflectionServices) {
    const entries: ServiceEntry[] = [];
    new ReflectionService(loadQuantgridProto().definition).addToServer({ addService: (...entry: ServiceEntry) => entries.push(entry) });
    reflectionServices = entries;
  }
  return reflectionServices;
}

/**
 * Adds the standard gRPC health service and server reflection, so grpcurl or any
 * language's client works without our code. Returns the health implementation so the
 * process can report NOT_SERVING while it drains.
 */
export function addStandardServices(server: grpc.Server, serviceName: string): HealthImplementation {
  const health = new HealthImplementation({ '': 'SERVING', [serviceName]: 'SERVING' });
  health.addToServer(server);
  for (const [definition, implementation] of reflectionServiceEntries()) server.addService(definition, implementation);
  return health;
}

export function setServing(health: HealthImplementation, serviceName: string, serving: boolean): void {
  const status = serving ? 'SERVING' : 'NOT_SERVING';
  health.setStatus('', status);
  health.setStatus(serviceName, status);
}

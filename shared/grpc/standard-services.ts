import type * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { loadQuantgridProto } from './proto-package.js';

/**
 * Adds the standard gRPC health service and server reflection, so grpcurl or any
 * language's client works without our code. Returns the health implementation so the
 * process can report NOT_SERVING while it drains.
 */
export function addStandardServices(server: grpc.Server, serviceName: string): HealthImplementation {
  const health = new HealthImplementation({ '': 'SERVING', [serviceName]: 'SERVING' });
  health.addToServer(server);
  new ReflectionService(loadQuantgridProto().definition).addToServer(server);
  return health;
}

export function setServing(health: HealthImplementation, serviceName: string, serving: boolean): void {
  const status = serving ? 'SERVING' : 'NOT_SERVING';
  health.setStatus('', status);
  health.setStatus(serviceName, status);
}

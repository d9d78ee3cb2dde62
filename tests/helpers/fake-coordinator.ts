import { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import * as grpc from '@grpc/grpc-js';
import { loadQuantgridProto } from '../../shared/grpc/proto-package.js';
import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { Job } from '../../shared/generated/quantgrid/v1/Job.js';
import type { JobEvent } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import type { JobProgress } from '../../shared/generated/quantgrid/v1/JobProgress.js';

/** A stand-in Coordinator gRPC server on 127.0.0.1, with whatever handlers a test gives it. */
export interface FakeCoordinator {
  address: string;
  port: number;
  /** Stops at once, cutting open streams (as a crashing coordinator would). */
  kill(): void;
  stop(): Promise<void>;
}

function unimplemented(name: string) {
  return (_call: unknown, callback?: grpc.sendUnaryData<unknown>) => {
    const error = { code: grpc.status.UNIMPLEMENTED, details: `fake coordinator: ${name} not scripted` };
    if (callback) callback(error, null);
  };
}

export async function startFakeCoordinator(handlers: Partial<CoordinatorHandlers>, port = 0): Promise<FakeCoordinator> {
  const { proto } = loadQuantgridProto();
  const server = new grpc.Server();
  const all = {
    SubmitJob: unimplemented('SubmitJob'),
    GetJob: unimplemented('GetJob'),
    WatchJob: (call: grpc.ServerWritableStream<unknown, unknown>) =>
      call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'fake coordinator: WatchJob not scripted' }),
    CancelJob: unimplemented('CancelJob'),
    ListJobs: unimplemented('ListJobs'),
    ListNodes: unimplemented('ListNodes'),
    ...handlers,
  } as CoordinatorHandlers;
  server.addService(proto.quantgrid.v1.Coordinator.service, all);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, actual) =>
      error ? reject(error) : resolve(actual),
    ),
  );
  return {
    address: `127.0.0.1:${bound}`,
    port: bound,
    kill: () => server.forceShutdown(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 500).unref();
      }),
  };
}

/**
 * Fake coordinators and connections to them (2 s deadline) for one test file; `stopAll` (in an
 * `after` hook) closes every connection and stops every server it made.
 */
export function fakeCoordinators(): {
  connect(handlers: Partial<CoordinatorHandlers>): Promise<{ server: FakeCoordinator; connection: CoordinatorConnection }>;
  stopAll(): Promise<void>;
} {
  const servers: FakeCoordinator[] = [];
  const connections: CoordinatorConnection[] = [];
  return {
    async connect(handlers) {
      const server = await startFakeCoordinator(handlers);
      servers.push(server);
      const connection = new CoordinatorConnection({ address: server.address, timeoutMs: 2000 });
      connections.push(connection);
      return { server, connection };
    },
    async stopAll() {
      for (const connection of connections) connection.close();
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}

export function progress(done: number, total: number, overrides: Partial<JobProgress> = {}): JobProgress {
  return {
    partitionsTotal: total,
    partitionsDone: done,
    partitionsRunning: Math.min(2, total - done),
    retries: 0,
    runningNodes: done < total ? ['node-a', 'node-b'] : [],
    etaSeconds: done < total ? 5 : 0,
    ...overrides,
  };
}

export function jobEvent(type: string, overrides: Partial<JobEvent> = {}): JobEvent {
  return {
    jobId: 'job-1',
    type: type as JobEvent['type'],
    timeMs: Date.now(),
    partition: -1,
    status: 'JOB_STATUS_RUNNING',
    ...overrides,
  };
}

export function job(overrides: Partial<Job> = {}): Job {
  const now = Date.now();
  return {
    id: 'job-1',
    kind: 'noop',
    status: 'JOB_STATUS_RUNNING',
    spec: { noop: { partitions: 4, workMs: 10 } },
    progress: progress(1, 4),
    createdAtMs: now - 2000,
    startedAtMs: now - 1500,
    ...overrides,
  };
}

/** Writes events to a WatchJob stream one after another, a few milliseconds apart, then optionally ends it. */
export async function sendEvents(call: grpc.ServerWritableStream<unknown, JobEvent>, events: JobEvent[], end = true): Promise<void> {
  for (const event of events) {
    if (call.cancelled) return;
    call.write(event);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (end && !call.cancelled) call.end();
}

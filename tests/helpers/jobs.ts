import { CoordinatorConnection } from '../../cli/coordinator-connection.js';
import { createNodeAgentClient } from '../../shared/grpc/clients.js';
import type { AgentStatus__Output } from '../../shared/generated/quantgrid/v1/AgentStatus.js';
import type { JobEvent__Output } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import type { Job__Output } from '../../shared/generated/quantgrid/v1/Job.js';
import type { SubmitJobRequest } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { DEFAULT_SPEC_LIMITS, type AnyTaskKind } from '../../shared/tasks/task-kind.js';
import { runPartitioned } from './task-kinds.js';

export function connect(address: string): CoordinatorConnection {
  return new CoordinatorConnection({ address, tls: {}, timeoutMs: 10_000 });
}

export interface WatchedJob {
  events: JobEvent__Output[];
  job: Job__Output;
}

/** Watches a job to its end and returns every event and the final job record. */
export function watchToEnd(
  connection: CoordinatorConnection,
  jobId: string,
  timeoutMs = 120_000,
  onEvent: (event: JobEvent__Output) => void = () => undefined,
  afterEventId = '',
): Promise<WatchedJob> {
  return new Promise((resolve, reject) => {
    const events: JobEvent__Output[] = [];
    const stream = connection.watchJob(jobId, afterEventId);
    const timer = setTimeout(() => {
      stream.cancel();
      reject(new Error(`job ${jobId} did not end within ${timeoutMs} ms; last event: ${JSON.stringify(events.at(-1))}`));
    }, timeoutMs);
    stream.on('data', (event: JobEvent__Output) => {
      events.push(event);
      onEvent(event);
    });
    stream.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      connection.getJob(jobId).then((job) => resolve({ events, job }), reject);
    });
  });
}

export async function submitAndWait(connection: CoordinatorConnection, request: SubmitJobRequest, timeoutMs?: number): Promise<WatchedJob> {
  const { jobId } = await connection.submitJob(request);
  return watchToEnd(connection, jobId, timeoutMs);
}

/** The job computed in this process in one partition: what any cluster run must equal. */
export function runInOneProcess(kind: AnyTaskKind, raw: unknown): unknown {
  const { result } = runPartitioned(kind, kind.validate(raw, DEFAULT_SPEC_LIMITS), 1);
  return JSON.parse(JSON.stringify(result));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until check() returns a value other than undefined, or fails after timeoutMs. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Busy slots over the agents of a cluster, asked of each agent directly. */
export async function busySlots(addresses: readonly string[]): Promise<number> {
  const statuses = await Promise.all(addresses.map((address) => agentStatus(address)));
  return statuses.reduce((sum, status) => sum + status.busySlots, 0);
}

/** An agent's own status, asked directly over gRPC. */
export function agentStatus(address: string): Promise<AgentStatus__Output> {
  const client = createNodeAgentClient(address);
  return new Promise((resolve, reject) =>
    client.getStatus({}, { deadline: Date.now() + 3000 }, (error, status) => {
      client.close();
      if (error || !status) reject(error);
      else resolve(status);
    }),
  );
}

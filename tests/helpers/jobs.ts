import { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd, type WatchedJob } from '../../shared/client/watch-to-end.js';
import { createNodeAgentClient } from '../../shared/grpc/clients.js';
import type { AgentStatus__Output } from '../../shared/generated/quantgrid/v1/AgentStatus.js';
import type { SubmitJobRequest } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { DEFAULT_SPEC_LIMITS, type AnyTaskKind } from '../../shared/tasks/task-kind.js';
import { runPartitioned } from './task-kinds.js';

/** How long a test waits for a job it watches to end, unless it says otherwise. */
export const JOB_TIMEOUT_MS = 120_000;

/**
 * A connection to a test cluster's coordinator (plaintext, the client's default deadline), with the
 * cluster's admin token, or another token given.
 */
export function connect(coordinator: { address: string; adminToken: string }, token = coordinator.adminToken): CoordinatorConnection {
  return new CoordinatorConnection({ address: coordinator.address, token });
}

/** Submits a job and watches it to its end: every event and the final job record. */
export async function submitAndWait(connection: CoordinatorConnection, request: SubmitJobRequest, timeoutMs = JOB_TIMEOUT_MS): Promise<WatchedJob> {
  const { jobId } = await connection.submitJob(request);
  return watchToEnd(connection, jobId, { timeoutMs });
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
export async function busySlots(addresses: readonly string[], clusterSecret: Uint8Array | undefined): Promise<number> {
  const statuses = await Promise.all(addresses.map((address) => agentStatus(address, clusterSecret)));
  return statuses.reduce((sum, status) => sum + status.busySlots, 0);
}

/** An agent's own status, asked directly over gRPC with the cluster secret's proof (as a coordinator asks). */
export function agentStatus(address: string, clusterSecret: Uint8Array | undefined): Promise<AgentStatus__Output> {
  const client = createNodeAgentClient(address, {}, {}, clusterSecret);
  return new Promise((resolve, reject) =>
    client.getStatus({}, { deadline: Date.now() + 3000 }, (error, status) => {
      client.close();
      if (error || !status) reject(error);
      else resolve(status);
    }),
  );
}

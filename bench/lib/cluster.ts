/**
 * Local clusters for the benchmarks (jobs are watched with shared/client/watch-to-end.ts).
 *
 * QUANTGRID_BENCH_CPU_PROF=<dir>: the coordinator and the agents are CPU-profiled (lib/cpu-prof-preload.ts)
 * and write their profiles into <dir> when they stop (lib/cpu-profile.ts reads them); benchmarks that
 * call recordProfileWindow also write the wall-clock windows they measured, to read only those.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Job__Output } from '../../shared/generated/quantgrid/v1/Job.js';
import { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { addShutdownHook, startLocalCluster, type AgentOptions, type LocalCluster } from '../../scripts/local-cluster/index.js';

/**
 * With QUANTGRID_BENCH_CPU_PROF set: appends a measured window (epoch ms) to <dir>/<bench>-windows.txt,
 * for `cpu-profile.js --windows` (profiles then leave out start-up, warm-up and shutdown).
 */
export function recordProfileWindow(bench: string, fromMs: number, toMs: number): void {
  const dir = process.env.QUANTGRID_BENCH_CPU_PROF;
  if (!dir) return;
  mkdirSync(resolve(dir), { recursive: true });
  appendFileSync(join(resolve(dir), `${bench}-windows.txt`), `${fromMs}-${toMs}\n`);
}

function profilingEnv(): NodeJS.ProcessEnv | undefined {
  const dir = process.env.QUANTGRID_BENCH_CPU_PROF;
  if (!dir) return undefined;
  const absolute = resolve(dir);
  mkdirSync(absolute, { recursive: true });
  // Node 20 does not allow --cpu-prof in NODE_OPTIONS; --import of a preload that runs the profiler is.
  const preload = new URL('./cpu-prof-preload.js', import.meta.url).href;
  const existing = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : '';
  return { NODE_OPTIONS: `${existing}--import=${preload}`, QUANTGRID_BENCH_CPU_PROF_DIR: absolute };
}

/** Starts a local cluster (Consul, Redis, coordinator, agents) and waits until every agent is ready in the coordinator. */
/**
 * QUANTGRID_BENCH_COORDINATOR_NODE_FLAGS: the Node flags every bench cluster's coordinator runs with instead of
 * its own (coordinator/config/node-flags.ts), space-separated, 'none' for none; undefined when not set.
 */
export function coordinatorNodeFlagsFromEnv(): string[] | undefined {
  const given = process.env.QUANTGRID_BENCH_COORDINATOR_NODE_FLAGS;
  if (given === undefined) return undefined;
  return given.trim() === 'none' ? [] : given.split(' ').filter((flag) => flag !== '');
}

export async function startBenchCluster(
  agents: AgentOptions[],
  coordinatorEnv: NodeJS.ProcessEnv = {},
  auth: 'secure' | 'none' = 'secure',
  coordinatorArgs: string[] = [],
  /** The coordinator's Node flags instead of its own (coordinator/config/node-flags.ts), for an A/B. */
  coordinatorNodeFlags: readonly string[] | undefined = coordinatorNodeFlagsFromEnv(),
): Promise<LocalCluster> {
  const env = profilingEnv();
  // Preloads of both kinds go in one NODE_OPTIONS.
  const nodeOptions = [env?.NODE_OPTIONS, coordinatorEnv.NODE_OPTIONS].filter(Boolean).join(' ');
  const cluster = await startLocalCluster({
    agents: agents.map((agent) => ({ ...agent, env: { ...env, ...agent.env } })),
    coordinatorEnv: { ...env, ...coordinatorEnv, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
    // A bench stops its cluster idle, which takes well under a second; an interrupted one may still
    // hold a WatchJob stream open, which the coordinator's graceful shutdown would wait 10 s for.
    stopTimeoutMs: 5000,
    auth,
    coordinatorArgs,
    ...(coordinatorNodeFlags ? { coordinatorNodeFlags } : {}),
  });
  try {
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready', timeoutMs: 60_000 });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** Runs body with a cluster and always stops the cluster (no orphans). */
export async function withCluster<T>(
  agents: AgentOptions[],
  body: (cluster: LocalCluster) => Promise<T>,
  coordinatorEnv: NodeJS.ProcessEnv = {},
  auth: 'secure' | 'none' = 'secure',
): Promise<T> {
  const cluster = await startBenchCluster(agents, coordinatorEnv, auth);
  // On SIGINT/SIGTERM the managed-process registry stops every process; this hook also removes the
  // cluster's temp dirs.
  const removeHook = addShutdownHook(() => cluster.stop());
  try {
    return await body(cluster);
  } finally {
    removeHook();
    await cluster.stop();
  }
}

/** pid of every process of the cluster, by role (agents by node id). */
export function clusterPids(cluster: LocalCluster): Record<string, number> {
  const pids: Record<string, number> = { coordinator: cluster.coordinator.process.pid };
  for (const agent of cluster.agents) pids[agent.nodeId] = agent.process.pid;
  pids.redis = cluster.redis.process.pid;
  pids.consul = cluster.consul.process.pid;
  pids.bench = process.pid;
  return pids;
}

/** The processes whose CPU a job costs: the coordinator and the agents (Redis and Consul do the same work on every cluster). */
export function workerPids(cluster: LocalCluster): Record<string, number> {
  const { redis: _redis, consul: _consul, bench: _bench, ...pids } = clusterPids(cluster);
  return pids;
}

/** Throws unless a noop job of n partitions completed with the checksum of every index run once. */
export function checkNoopResult(job: Job__Output, partitions: number): void {
  if (job.status !== 'JOB_STATUS_COMPLETED') throw new Error(`job ${job.id} ended ${job.status}: ${job.error}`);
  const result = JSON.parse(job.resultJson) as { partitions: number; checksum: number };
  const expected = (partitions * (partitions - 1)) / 2;
  if (result.partitions !== partitions || result.checksum !== expected) {
    throw new Error(`job ${job.id}: wrong result ${job.resultJson} (expected ${partitions} partitions, checksum ${expected})`);
  }
}

/**
 * Runs one noop job of n partitions on the cluster (no cache), checks its result, and returns its
 * partitions per second from the first PARTITION_STARTED to COMPLETED. `onSubmitted` learns the job's id first.
 */
export async function runNoopJob(cluster: LocalCluster, partitions: number, onSubmitted?: (jobId: string) => void): Promise<{ job: Job__Output; rate: number }> {
  const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken || undefined });
  try {
    const { jobId } = await connection.submitJob({ spec: { noop: { partitions } }, noCache: true });
    onSubmitted?.(jobId);
    let firstStart = 0;
    let completed = 0;
    const { job } = await watchToEnd(connection, jobId, {
      timeoutMs: 300_000,
      keep: () => false,
      onEvent: (event) => {
        if (event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && firstStart === 0) firstStart = event.timeMs;
        if (event.type === 'JOB_EVENT_TYPE_COMPLETED') completed = event.timeMs;
      },
    });
    checkNoopResult(job, partitions);
    return { job, rate: (partitions * 1000) / Math.max(1, (completed || job.finishedAtMs) - (firstStart || job.startedAtMs)) };
  } finally {
    connection.close();
  }
}

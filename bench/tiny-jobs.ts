/**
 * Tiny jobs end to end over gRPC: 1,000 noop jobs of one partition (workMs 0), one after another,
 * each submitted (SubmitJob) and watched (WatchJob, as the CLI's `submit --watch` does) until its
 * COMPLETED event, on a local cluster of 2 agents × 1 slot. Per job: submit → COMPLETED received
 * (p50, p99, max), the SubmitJob call alone, and how many watches ended more than 1 s after the
 * job did (the watch race of issue 13: a COMPLETED missed until the periodic status check). Baseline
 * in the same run: a bare unary GetJob round trip to the same coordinator, right before. Also, over
 * the timed jobs (less sensitive to the machine's load than the latencies): CPU time per job of the
 * coordinator, the agents, Redis and this process (the client), and Redis commands per job (INFO
 * commandstats: each command a client sent, plus those BullMQ's scripts ran inside Redis).
 * Goals (issue 13): p50 ≤ 5 ms, p99 ≤ 20 ms.
 *
 * Run: node dist/bench/run-all.js tiny-jobs   (QUANTGRID_BENCH_QUICK=1 for 100 jobs)
 */
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { watchToEnd } from '../shared/client/watch-to-end.js';
import { checkNoopResult, clusterPids, withCluster } from './lib/cluster.js';
import { cpuDelta, snapshotCpu } from './lib/proc.js';
import { isMain, logProgress, measureBench, runBench, size, type Headline } from './lib/harness.js';
import { fmt, fmtMs, summarize } from './lib/stats.js';

const BENCH = 'tiny-jobs';
/** A watch that ends this long after its job finished counts as late. */
const LATE_MS = 1000;

export async function runTinyJobs(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const jobs = size(1000, 20);
  return withCluster([{ slots: 1 }, { slots: 1 }], async (cluster) => {
    const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken });
    const probe = new Redis(cluster.redis.url);
    /** Calls of each Redis command so far (the INFO call itself counts one). */
    const redisCallsByCommand = async (): Promise<Map<string, number>> =>
      new Map([...(await probe.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)].map((match) => [match[1], Number(match[2])]));
    const sum = (calls: Map<string, number>): number => [...calls.values()].reduce((total, n) => total + n, 0);
    const { consul: _consul, ...pids } = clusterPids(cluster);
    try {
      // Warm-up: connections, the worker's first job, JIT.
      for (let i = 0; i < 20; i++) {
        const { jobId } = await connection.submitJob({ spec: { noop: { partitions: 1, workMs: 0 } } });
        await watchToEnd(connection, jobId, { timeoutMs: 30_000 });
      }
      const load = loadavg()[0];
      const { jobId: probeJob } = await connection.submitJob({ spec: { noop: { partitions: 1, workMs: 0 } } });
      await watchToEnd(connection, probeJob, { timeoutMs: 30_000 });
      const getJobMs: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now();
        await connection.getJob(probeJob);
        getJobMs.push(performance.now() - t0);
      }
      const totalMs: number[] = [];
      const submitMs: number[] = [];
      /** COMPLETED received − the job's finishedAtMs (coordinator clock, same machine). */
      const afterFinishMs: number[] = [];
      /** Late watches ended by the periodic status check rather than by reading the COMPLETED event (the watch race). */
      let endedByStatusCheck = 0;
      const callsBefore = await redisCallsByCommand();
      const cpuBefore = snapshotCpu(pids);
      for (let i = 0; i < jobs; i++) {
        const t0 = performance.now();
        const { jobId } = await connection.submitJob({ spec: { noop: { partitions: 1, workMs: 0 } } });
        submitMs.push(performance.now() - t0);
        const { job, events } = await watchToEnd(connection, jobId, { timeoutMs: 30_000 });
        totalMs.push(performance.now() - t0);
        const after = Date.now() - Number(job.finishedAtMs);
        afterFinishMs.push(after);
        // A COMPLETED read from the log has an id of its own; one made by the watch's periodic status
        // check (the job's end not seen in the log) repeats the id of the event before it.
        const last = events.at(-1);
        if (after > LATE_MS && events.length > 1 && last?.eventId === events.at(-2)?.eventId) endedByStatusCheck++;
        checkNoopResult(job, 1);
        if ((i + 1) % 200 === 0) logProgress(BENCH, `${i + 1}/${jobs} jobs`);
      }
      const cpuUsed = cpuDelta(cpuBefore, snapshotCpu(pids));
      const callsAfter = await redisCallsByCommand();
      const redisCommandsPerJob = (sum(callsAfter) - sum(callsBefore) - 1) / jobs;
      /** Per job, each command's calls (those of at least 0.05 per job), most first. */
      const redisCommandsPerJobByCommand = Object.fromEntries(
        [...callsAfter]
          .map(([name, calls]) => [name, (calls - (callsBefore.get(name) ?? 0) - (name === 'info' ? 1 : 0)) / jobs] as const)
          .filter(([, perJob]) => perJob >= 0.05)
          .sort((a, b) => b[1] - a[1])
          .map(([name, perJob]) => [name, Math.round(perJob * 100) / 100]),
      );
      logProgress(BENCH, `Redis commands per job: ${JSON.stringify(redisCommandsPerJobByCommand)}`);
      const cpuPerJobMs = Object.fromEntries(Object.entries(cpuUsed).map(([name, ms]) => [name, ms / jobs]));
      const agentsCpuMs = Object.entries(cpuPerJobMs).filter(([name]) => !['coordinator', 'redis', 'bench'].includes(name)).reduce((sum, [, ms]) => sum + ms, 0);
      const total = summarize(totalMs);
      const submit = summarize(submitMs);
      const getJob = summarize(getJobMs);
      const late = afterFinishMs.filter((ms) => ms > LATE_MS).length;
      const headlines: Headline[] = [
        {
          name: `tiny job (noop, 1 partition) submit → COMPLETED over gRPC, ${jobs} jobs one after another, 2 agents × 1 slot`,
          unit: 'ms',
          median: total.p50,
          p99: total.p99,
          baseline: getJob.p50,
          baselineLabel: 'a bare GetJob round trip to the same coordinator',
          ratio: total.p50 / getJob.p50,
          goal: { op: '<=', value: 5 },
          note: `p99 ${fmtMs(total.p99)} (goal ≤ 20 ms), max ${fmtMs(total.max)}; SubmitJob alone p50 ${fmtMs(submit.p50)}; ${late} of ${jobs} watches ended > ${LATE_MS} ms after the job (${endedByStatusCheck} of them by the status check: the watch race); CPU per job: coordinator ${fmtMs(cpuPerJobMs.coordinator)}, agents ${fmtMs(agentsCpuMs)}, Redis ${fmtMs(cpuPerJobMs.redis)}, client ${fmtMs(cpuPerJobMs.bench)}; ${fmt(redisCommandsPerJob)} Redis commands per job; load ${fmt(load)}`,
        },
      ];
      return { headlines, details: { jobs, load, total, submit, getJob, late, endedByStatusCheck, afterFinish: summarize(afterFinishMs), cpuPerJobMs, redisCommandsPerJob, redisCommandsPerJobByCommand } };
    } finally {
      connection.close();
      probe.disconnect();
    }
  });
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runTinyJobs));
}

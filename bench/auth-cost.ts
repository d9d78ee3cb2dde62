/**
 * What authentication costs the dispatch path, with its own A/A control in the same run. Three
 * clusters of the same shape (2 agents × 8 slots): `secure` (tokens on the API, the cluster secret's
 * proof on every coordinator→agent call and its check on the agent), `none` (--no-auth everywhere)
 * and `control` (a second secure cluster). Each round runs the same noop job once on each, in an order
 * that cycles through all six orders of the three (so that being first or last in a round, on a
 * cooler or warmer machine, hits each cluster alike), after one unmeasured warm-up job per cluster.
 *
 * Two figures per run:
 * - throughput: partitions per second, first PARTITION_STARTED → COMPLETED;
 * - CPU per partition: user + system CPU of the cluster's coordinator and agents (/proc/<pid>/stat,
 *   all threads), from just before SubmitJob to the job's end, ÷ partitions. The machine's other work
 *   slows a run down but hardly changes what the cluster itself spends, so this is the steadier figure.
 * And, in this process, what one call proof costs to sign and to check (CPU per call, median of 9
 * batches), against one bare HMAC-SHA256 of the same length (the floor of any per-call MAC). The
 * calls run on a simulated clock, one per millisecond, so that the replay window is checked in its
 * steady state: 30 s of proofs behind it, old ones being forgotten as new ones come.
 * Each cluster figure is reported as the median of the per-round ratios secure ÷ none, with their quartiles
 * and range, next to the same for control ÷ secure (two identical clusters: how much a ratio varies
 * by itself on this machine). Goal (issue #6): secure ≥ 0.95× of none in throughput.
 *
 * Run: node dist/bench/run-all.js auth   (QUANTGRID_BENCH_QUICK=1 for sizes ÷10)
 */
import { createHmac } from 'node:crypto';
import type { LocalCluster } from '../scripts/local-cluster/index.js';
import { CallSigner, callTarget, DEFAULT_PROOF_SKEW_MS, generateClusterSecret, verifyCall } from '../shared/auth/cluster-proof.js';
import { NonceWindow } from '../shared/auth/nonce-window.js';
import { runNoopJob, startBenchCluster, workerPids } from './lib/cluster.js';
import { isMain, isQuick, logProgress, measureBench, runBench, size, sleep, type Headline } from './lib/harness.js';
import { cpuDelta, snapshotCpu } from './lib/proc.js';
import { allOrders, describeSpread, fmt, median, spread } from './lib/stats.js';

const BENCH = 'auth-cost';
const AGENTS = [{ slots: 8 }, { slots: 8 }];
const MODES = ['secure', 'none', 'control'] as const;
type Mode = (typeof MODES)[number];
/** Every order of the three clusters; round r runs ORDERS[r % 6]. */
const ORDERS: ReadonlyArray<readonly Mode[]> = allOrders(MODES);

interface Run {
  /** Partitions per second, first start → completed. */
  rate: number;
  /** Coordinator + agents CPU per partition, µs. */
  cpuUs: number;
  /** The same by process (coordinator, each agent), µs. */
  cpuUsByProcess: Record<string, number>;
}


/** One noop job of n partitions: its rate and what the cluster spent on it. */
async function runJob(cluster: LocalCluster, partitions: number): Promise<Run> {
  const pids = workerPids(cluster);
  const cpu0 = snapshotCpu(pids);
  const { rate } = await runNoopJob(cluster, partitions);
  const cpu = cpuDelta(cpu0, snapshotCpu(pids));
  const cpuUsByProcess: Record<string, number> = {};
  let total = 0;
  for (const [name, ms] of Object.entries(cpu)) {
    cpuUsByProcess[name] = (ms * 1000) / partitions;
    total += ms;
  }
  return { rate, cpuUs: (total * 1000) / partitions, cpuUsByProcess };
}

/** CPU µs per call of sign, verify and a bare HMAC, each the median of 9 batches of n. */
function proofCost(n: number): { signUs: number; verifyUs: number; hmacUs: number } {
  const secret = Buffer.from(generateClusterSecret(), 'base64url');
  const target = callTarget('127.0.0.1:7070', '/quantgrid.v1.NodeAgent/RunPartition');
  const signer = new CallSigner(secret, target);
  const nonces = new NonceWindow(DEFAULT_PROOF_SKEW_MS);
  const cpuUs = (body: () => void): number => {
    const before = process.cpuUsage();
    body();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };
  const sign: number[] = [];
  const verify: number[] = [];
  const hmac: number[] = [];
  const sample = signer.sign();
  // One call per simulated millisecond.
  let clock = Date.now();
  for (let batch = 0; batch < 10; batch++) {
    const from = clock;
    let proofs: string[] = [];
    const s = cpuUs(() => {
      proofs = Array.from({ length: n }, (_, i) => signer.sign(from + i));
    });
    const v = cpuUs(() => {
      for (let i = 0; i < n; i++) verifyCall(secret, target, proofs[i], nonces, from + i);
    });
    clock += n;
    const h = cpuUs(() => {
      for (let i = 0; i < n; i++) createHmac('sha256', secret).update(sample).digest();
    });
    // The first batch warms up the JIT.
    if (batch === 0) continue;
    sign.push(s);
    verify.push(v);
    hmac.push(h);
  }
  return { signUs: median(sign), verifyUs: median(verify), hmacUs: median(hmac) };
}

export async function runAuthCost(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const partitions = size(3000);
  // Short jobs, many rounds: the per-round ratios' median settles where a few long runs do not.
  const rounds = isQuick() ? 6 : 18;
  // 10 batches of 20 s of calls: past the first, the window holds 30 s of proofs.
  const proof = proofCost(size(20_000, 1000));
  logProgress(BENCH, `a call proof: sign ${fmt(proof.signUs)} µs, check ${fmt(proof.verifyUs)} µs, bare HMAC ${fmt(proof.hmacUs)} µs CPU`);
  const clusters = {} as Record<Mode, LocalCluster>;
  const runs: Record<Mode, Run[]> = { secure: [], none: [], control: [] };
  try {
    for (const mode of MODES) clusters[mode] = await startBenchCluster(AGENTS, {}, mode === 'none' ? 'none' : 'secure');
    for (const mode of MODES) {
      logProgress(BENCH, `warm-up on the ${mode} cluster`);
      await runJob(clusters[mode], Math.min(2000, partitions));
    }
    for (let round = 0; round < rounds; round++) {
      for (const mode of ORDERS[round % ORDERS.length]) {
        const run = await runJob(clusters[mode], partitions);
        runs[mode].push(run);
        logProgress(BENCH, `round ${round + 1}/${rounds} ${mode}: ${fmt(run.rate)} partitions/s, ${fmt(run.cpuUs)} µs CPU/partition`);
        await sleep(300);
      }
    }
  } finally {
    await Promise.all(Object.values(clusters).map((cluster) => cluster.stop()));
  }
  const perRound = (figure: (run: Run) => number, a: Mode, b: Mode): number[] => runs[a].map((run, i) => figure(run) / figure(runs[b][i]));
  const rate = (run: Run) => run.rate;
  const cpu = (run: Run) => run.cpuUs;
  const ratios = {
    rate: { auth: spread(perRound(rate, 'secure', 'none')), control: spread(perRound(rate, 'control', 'secure')) },
    cpu: { auth: spread(perRound(cpu, 'secure', 'none')), control: spread(perRound(cpu, 'control', 'secure')) },
  };
  const medianOf = (mode: Mode, figure: (run: Run) => number) => median(runs[mode].map(figure));
  const byProcess = (mode: Mode) =>
    Object.keys(runs[mode][0].cpuUsByProcess)
      .map((name) => `${name} ${fmt(median(runs[mode].map((run) => run.cpuUsByProcess[name])))}`)
      .join(', ');
  const shape = `${partitions} × noop 0 ms, 2×8 slots, ${rounds} rounds`;
  const headlines: Headline[] = [
    {
      name: `dispatch e2e with authentication: partitions/s (${shape})`,
      unit: '/s',
      median: medianOf('secure', rate),
      baseline: medianOf('none', rate),
      baselineLabel: 'the same on a --no-auth cluster, in the same rounds',
      ratio: ratios.rate.auth.median,
      ratioNote: 'median of the per-round ratios secure ÷ none',
      note: `secure ÷ none ${describeSpread(ratios.rate.auth)}; A/A control ÷ secure ${describeSpread(ratios.rate.control)}; goal: ratio ≥ 0.95`,
    },
    {
      name: `coordinator + agents CPU per partition with authentication (${shape})`,
      unit: 'µs',
      median: medianOf('secure', cpu),
      baseline: medianOf('none', cpu),
      baselineLabel: `the same on the --no-auth cluster (secure: ${byProcess('secure')}; none: ${byProcess('none')})`,
      ratio: ratios.cpu.auth.median,
      ratioNote: 'median of the per-round ratios secure ÷ none',
      note: `secure ÷ none ${describeSpread(ratios.cpu.auth)}; A/A control ÷ secure ${describeSpread(ratios.cpu.control)}`,
    },
    {
      name: 'one call proof, signed + checked in one process: CPU per call',
      unit: 'µs',
      median: proof.signUs + proof.verifyUs,
      baseline: 2 * proof.hmacUs,
      baselineLabel: 'two bare HMAC-SHA256 of the same length',
      ratio: (proof.signUs + proof.verifyUs) / (2 * proof.hmacUs),
      note: `sign ${fmt(proof.signUs)} µs, check (MAC and replay window) ${fmt(proof.verifyUs)} µs, one HMAC ${fmt(proof.hmacUs)} µs; median of 9 batches`,
    },
  ];
  return { headlines, details: { partitions, rounds, agents: AGENTS, runs, ratios, proof } };
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runAuthCost));
}

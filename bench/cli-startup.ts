/**
 * How long the `quantgrid` CLI takes from spawn to exit for `--version`, `--help` and `jobs` (against
 * a local cluster's coordinator with 1 agent, the admin token in the environment): the median of 20
 * spawns each, interleaved (version, help, jobs, version, …) so that load drifting on the machine hits
 * all alike, with the CPU time each used (bash's `time`). Baseline in the same run: a bare `node -e 0`
 * spawn, interleaved too. Goal (issue 13):
 * ≤ 100 ms each. The load average is noted: on a loaded machine every figure, the baseline included,
 * grows.
 *
 * When the environment sets NODE_EXTRA_CA_CERTS (this project's machines point it at the system's
 * whole CA bundle, 219 kB, which Node parses at every start before any script runs: most of a bare
 * start's CPU here), every case also runs without it, interleaved with the rest, and gets headlines
 * of its own: what the commands cost for a user whose environment does not set it.
 *
 * Run: node dist/bench/run-all.js cli-startup   (QUANTGRID_BENCH_QUICK=1 for 5 spawns each)
 *
 * A/B against another build: QUANTGRID_BENCH_CLI_BASELINE=<its dist/bin/quantgrid.js> adds that
 * build's `jobs`, interleaved with the rest, and the ratio of this build's `jobs` to it (wall and CPU).
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { withCluster } from './lib/cluster.js';
import { isMain, logProgress, measureBench, runBench, size, type Headline } from './lib/harness.js';
import { fmt, fmtMs, median, ratio } from './lib/stats.js';

const BENCH = 'cli-startup';
/** The CLI as users run it (the bundle, scripts/build-cli.ts). */
const CLI = fileURLToPath(new URL('../bin/quantgrid.js', import.meta.url));
/** Another build's bundle to run `jobs` with, alternated with this one's (an A/B in one run). */
const BASELINE_CLI_ENV = 'QUANTGRID_BENCH_CLI_BASELINE';
/** Node's extra CA certificates, read at every start; the cases without it are named with WITHOUT_EXTRA_CA. */
const EXTRA_CA_ENV = 'NODE_EXTRA_CA_CERTS';
const WITHOUT_EXTRA_CA = ' (no NODE_EXTRA_CA_CERTS)';

/**
 * One spawn to its exit: wall time, and the CPU time (user + system) the process used, which a
 * loaded machine inflates less (read with bash's `time`, around the same spawn). Throws when it exits non-zero.
 */
function spawnMs(args: readonly string[], env: NodeJS.ProcessEnv): { wallMs: number; cpuMs: number } {
  const command = [process.execPath, ...args].map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(' ');
  const t0 = performance.now();
  const run = spawnSync('bash', ['-c', `TIMEFORMAT='%3U %3S'; time ${command} > /dev/null`], { env, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  const [user, system] = run.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallMs, cpuMs: (user + system) * 1000 };
}

export async function runCliStartup(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const spawns = size(20, 5);
  return withCluster([{ slots: 1 }], async (cluster) => {
    const env: NodeJS.ProcessEnv = { ...process.env, QUANTGRID_COORDINATOR: cluster.coordinator.address, QUANTGRID_TOKEN: cluster.coordinator.adminToken };
    const cases: Record<string, string[]> = {
      'node -e 0': ['-e', '0'],
      '--version': [CLI, '--version'],
      '--help': [CLI, '--help'],
      jobs: [CLI, 'jobs'],
    };
    const baselineCli = process.env[BASELINE_CLI_ENV];
    if (baselineCli) cases['jobs (baseline build)'] = [baselineCli, 'jobs'];
    const envOf: Record<string, NodeJS.ProcessEnv> = Object.fromEntries(Object.keys(cases).map((name) => [name, env]));
    const extraCa = env[EXTRA_CA_ENV] !== undefined;
    if (extraCa) {
      const without: NodeJS.ProcessEnv = { ...env };
      delete without[EXTRA_CA_ENV];
      for (const name of ['node -e 0', '--version', '--help', 'jobs']) {
        cases[`${name}${WITHOUT_EXTRA_CA}`] = cases[name];
        envOf[`${name}${WITHOUT_EXTRA_CA}`] = without;
      }
    }
    // Warm the file cache.
    for (const [name, args] of Object.entries(cases)) spawnMs(args, envOf[name]);
    const load = loadavg()[0];
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
    const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
    for (let i = 0; i < spawns; i++) {
      for (const [name, args] of Object.entries(cases)) {
        const { wallMs, cpuMs } = spawnMs(args, envOf[name]);
        times[name].push(wallMs);
        cpu[name].push(cpuMs);
      }
    }
    const loadAfter = loadavg()[0];
    const suffixes = extraCa ? ['', WITHOUT_EXTRA_CA] : [''];
    const headlines: Headline[] = suffixes.flatMap((suffix) =>
      (['--version', '--help', 'jobs'] as const).map((command): Headline => {
        const name = `${command}${suffix}`;
        const bare = `node -e 0${suffix}`;
        return {
          name: `quantgrid ${name}: spawn → exit`,
          unit: 'ms',
          median: median(times[name]),
          baseline: median(times[bare]),
          baselineLabel: `a bare \`node -e 0\` spawn${suffix}, interleaved`,
          ratio: ratio(median(times[name]), median(times[bare])),
          goal: { op: '<=', value: 100 },
          note: `median of ${spawns}; range ${fmtMs(Math.min(...times[name]))}–${fmtMs(Math.max(...times[name]))}; CPU ${fmtMs(median(cpu[name]))} (node -e 0: ${fmtMs(median(cpu[bare]))}); load ${fmt(load)} → ${fmt(loadAfter)}`,
        };
      }),
    );
    if (baselineCli) {
      const [b, a] = [median(times.jobs), median(times['jobs (baseline build)'])];
      const ratios = times.jobs.map((ms, i) => ms / times['jobs (baseline build)'][i]);
      headlines.push({
        name: 'quantgrid jobs: this build against the baseline build',
        unit: 'ms',
        median: b,
        baseline: a,
        baselineLabel: `\`jobs\` of ${baselineCli}, interleaved`,
        ratio: ratio(b, a),
        note: `median of ${spawns}; pair ratios ${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))}; CPU ${fmtMs(median(cpu.jobs))} against ${fmtMs(median(cpu['jobs (baseline build)']))} (${fmt(ratio(median(cpu.jobs), median(cpu['jobs (baseline build)'])))}×); load ${fmt(load)} → ${fmt(loadAfter)}`,
      });
    }
    for (const headline of headlines) logProgress(BENCH, `${headline.name}: ${fmtMs(headline.median)} (bare: ${fmtMs(headline.baseline as number)}); ${headline.note}`);
    return { headlines, details: { spawns, load, loadAfter, times, cpu } };
  });
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runCliStartup));
}

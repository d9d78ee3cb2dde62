/**
 * `npm run demo`: a whole quantgrid cluster on this machine (Consul, Redis, the coordinator and three
 * node agents with 1, 2 and 3 slots), driven by the quantgrid CLI: list the nodes, run a parameter-sweep
 * backtest, a walk-forward optimisation and a market analysis with live progress, then shut everything down.
 *
 * Ctrl-C stops the cluster cleanly (agents drain and deregister from Consul) and exits non-zero.
 * Environment: QUANTGRID_DEMO_LOG_DIR (default .quantgrid/demo-logs), QUANTGRID_DEMO_STEP_TIMEOUT_MS
 * (default 180000, per CLI step), QUANTGRID_DEMO_CLI_ENTRY (default dist/bin/quantgrid.js).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addShutdownHook, startClusterSession, stopClusterSession, terminalOutput, waitForReadyAgents, type LocalCluster } from './local-cluster/index.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cliEntry = process.env.QUANTGRID_DEMO_CLI_ENTRY ?? join(repoRoot, 'dist', 'bin', 'quantgrid.js');
const logDir = process.env.QUANTGRID_DEMO_LOG_DIR ?? join(repoRoot, '.quantgrid', 'demo-logs');
const stepTimeoutMs = Number(process.env.QUANTGRID_DEMO_STEP_TIMEOUT_MS) > 0 ? Number(process.env.QUANTGRID_DEMO_STEP_TIMEOUT_MS) : 180_000;

const out = terminalOutput('demo');
const { say, warn, bold, dim } = out;

const SYMBOLS = 'BTCUSDT,ETHUSDT,SOLUSDT';
const STEPS: Array<{ title: string; args: string[] }> = [
  { title: 'The nodes the coordinator sees', args: ['nodes'] },
  {
    title: 'A moving-average crossover sweep: 3 symbols × 50,000 hourly bars, fast 2–60 × slow 20–240',
    args: ['submit', 'backtest', '--symbols', SYMBOLS, '--timeframe', '1h', '--bars', '50000', '--fast', '2:60:2', '--slow', '20:240:4', '--watch'],
  },
  {
    title: 'Walk-forward optimisation of the same strategy on BTCUSDT: 16 windows of 4,000 in-sample + 1,000 out-of-sample bars',
    args: ['submit', 'backtest', '--symbols', 'BTCUSDT', '--timeframe', '1h', '--bars', '20000', '--fast', '5:50:5', '--slow', '20:200:10', '--walk-forward', '4000:1000', '--watch'],
  },
  {
    title: 'A market analysis of 4 assets on 3 timeframes',
    args: ['submit', 'market-analysis', '--assets', `${SYMBOLS},BNBUSDT`, '--timeframes', '1h,4h,1d', '--watch'],
  },
];

let cluster: LocalCluster | undefined;
let currentCli: ChildProcess | undefined;
let interrupted = false;
let shuttingDown: Promise<boolean> | undefined;

/** Stops the cluster in order (see stopClusterSession); resolves false when it did not stop cleanly. */
function shutdown(): Promise<boolean> {
  shuttingDown ??= (async () => {
    if (!cluster) return true;
    const clean = await stopClusterSession(cluster, out);
    say(dim(`cluster stopped; logs are in ${logDir}`));
    return clean;
  })();
  return shuttingDown;
}

/** Runs the CLI with the terminal as its stdio; resolves with its exit code (non-zero on signal or timeout). */
function runCli(address: string, tokenFile: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    // The demo runs as the cluster's admin (the token file its coordinator wrote), like any secure cluster.
    const child = spawn(process.execPath, ['--enable-source-maps', cliEntry, '--coordinator', address, ...args], {
      stdio: 'inherit',
      cwd: repoRoot,
      env: { ...process.env, QUANTGRID_TOKEN_FILE: tokenFile },
    });
    currentCli = child;
    const timer = setTimeout(() => {
      warn(`CLI step still running after ${stepTimeoutMs} ms: interrupting it`);
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, stepTimeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      warn(`could not run the CLI: ${error.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      currentCli = undefined;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

async function clearOldLogs(): Promise<void> {
  await mkdir(logDir, { recursive: true });
  for (const name of await readdir(logDir)) {
    if (name.endsWith('.log')) await rm(join(logDir, name), { force: true });
  }
}

async function main(): Promise<number> {
  if (!existsSync(cliEntry)) {
    warn(`the CLI is not built (${cliEntry} missing): run 'bash scripts/build.sh'`);
    return 1;
  }
  // Ctrl-C (or SIGTERM): the CLI gets it from the terminal (or from us), then the cluster stops in order,
  // and the process registry exits 130 (143) once this hook is done.
  addShutdownHook(async (signal) => {
    interrupted = true;
    if (currentCli && currentCli.exitCode === null) {
      if (signal !== 'SIGINT') currentCli.kill('SIGINT');
      const cli = currentCli;
      await Promise.race([new Promise((r) => cli.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      cli.kill('SIGKILL');
    }
    await shutdown();
  });

  await clearOldLogs();
  const shownLogDir = relative(process.cwd(), logDir).startsWith('..') ? logDir : relative(process.cwd(), logDir) || '.';
  say(bold('quantgrid demo: a local cluster with 3 node agents (1, 2 and 3 slots)'));
  say(dim(`logs of every process go to ${shownLogDir}/ (consul.log, redis.log, coordinator.log, agent-*.log)`));
  say(dim('starting Consul, Redis, the coordinator and the agents …'));

  const startedAt = Date.now();
  cluster = await startClusterSession(
    {
      agents: [
        { slots: 1, nodeId: 'agent-a' },
        { slots: 2, nodeId: 'agent-b' },
        { slots: 3, nodeId: 'agent-c' },
      ],
      logDir,
    },
    out,
  );
  const address = cluster.coordinator.address;
  await waitForReadyAgents(cluster, out, startedAt);

  const failed: string[] = [];
  for (const step of STEPS) {
    if (interrupted) break;
    say(`\n${bold(`▶ ${step.title}`)}`);
    say(dim(`$ quantgrid --coordinator ${address} ${step.args.join(' ')}`));
    const code = await runCli(address, cluster.coordinator.adminTokenFile, step.args);
    if (interrupted) break;
    if (code !== 0) {
      failed.push(`${step.args.slice(0, 2).join(' ')} (exit ${code})`);
      warn(`step failed with exit code ${code}`);
      if (!cluster.coordinator.process.running) {
        warn('the coordinator has exited: skipping the remaining steps');
        break;
      }
    }
  }
  if (interrupted) return new Promise<number>(() => undefined); // the shutdown hook exits

  const clean = await shutdown();
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  if (failed.length > 0) {
    warn(`failed steps: ${failed.join('; ')}`);
    return 1;
  }
  if (!clean) return 1;
  say(bold(`\ndemo finished in ${seconds} s`));
  return 0;
}

main().then(
  (code) => process.exit(code),
  async (error: Error) => {
    if (interrupted) return; // the shutdown hook reports and exits
    warn(error.message);
    await shutdown().catch(() => undefined);
    process.exit(1);
  },
);

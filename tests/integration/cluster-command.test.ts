/**
 * `npm run cluster` (dist/scripts/cluster.js) as a person uses it: start it on a data dir, point the
 * CLI at the address it prints, stop it with Ctrl-C (SIGINT), and find every process it started gone;
 * start it again on the same data dir and find the earlier job still there (Redis's append-only file).
 */
import { after, before, it } from 'node:test';
import { isGone } from '../helpers/processes.js';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, spawnManaged, type ManagedProcess } from '../../scripts/local-cluster/index.js';

const CLUSTER = fileURLToPath(new URL('../../scripts/cluster.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/quantgrid.js', import.meta.url));
const READY = /export QUANTGRID_COORDINATOR=(\S+)/;
const run = promisify(execFile);

let dataDir: string;
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'quantgrid-cluster-command-'));
});
after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});


/** Every process descended from pid, with its command line. */
async function descendants(pid: number): Promise<Array<{ pid: number; command: string }>> {
  const { stdout } = await run('ps', ['-eo', 'pid=,ppid=,args=']);
  const rows = stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), command: m[3] }));
  const found: Array<{ pid: number; command: string }> = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop()!;
    for (const row of rows.filter((r) => r.ppid === parent)) {
      found.push({ pid: row.pid, command: row.command });
      parents.push(row.pid);
    }
  }
  return found;
}

async function startCluster(): Promise<{ cluster: ManagedProcess; address: string }> {
  const cluster = spawnManaged('cluster', process.execPath, [CLUSTER, '--data-dir', dataDir, '--port', String(await freePort())], {
    logFile: join(dataDir, 'cluster-command.log'),
  });
  const match = await cluster.waitForLine(READY, 60_000);
  return { cluster, address: match[1] };
}

function cli(address: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  // The admin token file the cluster prints: kept under the data dir, so it works again after a restart.
  const tokenFile = join(dataDir, 'secrets', 'admin.token');
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, QUANTGRID_COORDINATOR: address, QUANTGRID_TOKEN_FILE: tokenFile, NO_COLOR: '1' }, timeout: 30_000 });
}

/**
 * Sends signal to the cluster's process group and to it (a terminal's Ctrl-C and a tool's signal at once),
 * waits for the exit, checks it stopped in order and that nothing it started is left.
 */
async function stopCluster(cluster: ManagedProcess, signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  const started = await descendants(cluster.pid);
  const names = started.map((p) => p.command).join('\n');
  for (const part of ['redis-server', 'consul agent', 'coordinator/main.js', 'node-agent/main.js']) {
    assert.ok(names.includes(part), `the cluster runs ${part}:\n${names}`);
  }
  cluster.kill(signal);
  const status = await cluster.exited;
  assert.deepEqual(status, { code: signal === 'SIGINT' ? 130 : 143, signal: null }, cluster.outputTail(40));
  const output = cluster.outputTail(200);
  assert.match(output, /stopping the cluster: agents, coordinator/, output);
  assert.doesNotMatch(output, /registrations left|again, killing|exited on its own/, output);
  const deadline = Date.now() + 5000;
  let left = started.filter((p) => !isGone(p.pid));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = left.filter((p) => !isGone(p.pid));
  }
  assert.deepEqual(left, [], 'no process of the cluster outlives it');
}

it('runs until Ctrl-C, serves the CLI at the printed address, and keeps its jobs across a restart', { timeout: 120_000 }, async () => {
  const first = await startCluster();
  const nodes = await cli(first.address, ['nodes']);
  assert.match(nodes.stdout, /agent-a/);
  assert.match(nodes.stdout, /agent-b/);
  const submitted = await cli(first.address, ['submit', 'noop', '--partitions', '4', '--watch']);
  const jobId = /submitted job (\S+)/.exec(submitted.stdout)?.[1];
  assert.ok(jobId, submitted.stdout);
  assert.match(submitted.stdout, new RegExp(`job ${jobId} completed`));
  await stopCluster(first.cluster, 'SIGINT');

  const second = await startCluster();
  const jobs = await cli(second.address, ['jobs']);
  assert.match(jobs.stdout, new RegExp(`${jobId}.*completed`));
  await stopCluster(second.cluster, 'SIGTERM');
});

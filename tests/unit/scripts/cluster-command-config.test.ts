import { test } from 'node:test';
import { exitOf } from '../../helpers/command-line.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLUSTER_OPTIONS, clusterAgents, parseClusterCommandConfig } from '../../../scripts/local-cluster/cluster-command-config.js';
import { lockDataDir } from '../../../scripts/local-cluster/data-dir-lock.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

test('defaults: 2 agents × 1 slot, free ports (the coordinator 7000 when free), data in .quantgrid/ of the repository', () => {
  assert.deepEqual(parseClusterCommandConfig([], {}), {
    agents: 2,
    slots: 1,
    coordinatorPort: undefined,
    redisPort: undefined,
    consulPort: undefined,
    dataDir: join(REPO_ROOT, '.quantgrid'),
  });
});

test('flags and environment variables', () => {
  const config = parseClusterCommandConfig(['--agents', '3', '--slots=2', '--port', '7100', '--consul-port', '8600', '--data-dir', 'some/dir'], {
    QUANTGRID_CLUSTER_REDIS_PORT: '6380',
    QUANTGRID_CLUSTER_AGENTS: '5',
  });
  assert.deepEqual(config, { agents: 3, slots: 2, coordinatorPort: 7100, redisPort: 6380, consulPort: 8600, dataDir: resolve('some/dir') });
});

test('bad values name the flag; 6379 is refused for Redis', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--agents', '0'], /^--agents: "0" must be an integer from 1 to 26$/],
    [['--slots', 'two'], /^--slots: /],
    [['--port', '70000'], /^--port: /],
    [['--redis-port', '6379'], /^--redis-port: 6379 belongs to the machine's own Redis/],
    [['--data-dir', ' '], /^--data-dir: must not be empty$/],
    [['--nodes', '2'], /unknown option '--nodes'/],
  ];
  for (const [argv, message] of cases) {
    const exit = exitOf(() => parseClusterCommandConfig(argv, {}));
    assert.equal(exit.exitCode, 2, argv.join(' '));
    assert.match(exit.message, message, argv.join(' '));
  }
});

test('--help explains every flag with its environment variable and default', () => {
  let help = '';
  const stdoutWrite = process.stdout.write;
  process.stdout.write = ((text: string) => ((help += text), true)) as typeof process.stdout.write;
  try {
    assert.equal(exitOf(() => parseClusterCommandConfig(['--help'], {})).exitCode, 0);
  } finally {
    process.stdout.write = stdoutWrite;
  }
  for (const option of CLUSTER_OPTIONS) {
    assert.ok(help.includes(option.long!), option.long);
    assert.ok(help.includes(option.envVar!), option.envVar);
    assert.ok(option.defaultValueDescription, `${option.long} describes its default`);
  }
  assert.match(help, /until Ctrl-C/);
});

test('the agents: agent-a, agent-b, …, each with its own dataset cache in the data dir', () => {
  const agents = clusterAgents({ agents: 2, slots: 3, coordinatorPort: undefined, redisPort: undefined, consulPort: undefined, dataDir: '/data' });
  assert.deepEqual(agents, [
    { nodeId: 'agent-a', slots: 3, extraArgs: ['--dataset-cache-dir', '/data/dataset-cache/agent-a'] },
    { nodeId: 'agent-b', slots: 3, extraArgs: ['--dataset-cache-dir', '/data/dataset-cache/agent-b'] },
  ]);
});

test('one cluster per data dir: a live owner keeps the lock, a dead one\'s lock is taken over', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'quantgrid-lock-test-'));
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    await writeFile(join(dir, 'cluster.pid'), `${other.pid}\n`);
    await assert.rejects(lockDataDir(dir), new RegExp(`in use by another cluster \\(pid ${other.pid}\\)`));
    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    const unlock = await lockDataDir(dir);
    assert.equal((await readFile(join(dir, 'cluster.pid'), 'utf8')).trim(), String(process.pid));
    await unlock();
    await assert.rejects(readFile(join(dir, 'cluster.pid')), /ENOENT/);
  } finally {
    other.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

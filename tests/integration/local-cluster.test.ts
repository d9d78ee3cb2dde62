/**
 * The local-cluster harness itself: free ports, managed processes (and their no-orphans registry),
 * the Consul dev agent, the Redis server, and startLocalCluster's orchestration. The orchestration
 * test runs against small stand-in coordinator/agent scripts that keep the documented contract
 * (ready lines, Consul registration, deregistration on SIGTERM) so it tests this harness only,
 * not the real coordinator or agent.
 */
import { after, before, describe, it } from 'node:test';
import { isGone } from '../helpers/processes.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  freePort,
  isPortFree,
  liveManagedProcesses,
  spawnManaged,
  startConsulDevAgent,
  startLocalCluster,
  startRedisServer,
  type ManagedProcess,
} from '../../scripts/local-cluster/index.js';

const MANAGED_PROCESS_URL = new URL('../../scripts/local-cluster/managed-process.js', import.meta.url).href;


async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out after ${timeoutMs} ms waiting until ${what}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let fixtures: string;
before(async () => {
  fixtures = await mkdtemp(join(tmpdir(), 'quantgrid-harness-test-'));
});
after(async () => {
  await rm(fixtures, { recursive: true, force: true });
});

describe('freePort', () => {
  it('returns distinct bindable ports', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort({ udp: true })]);
    assert.equal(new Set(ports).size, 3);
    for (const port of ports) {
      assert.ok(port > 0 && port !== 6379 && port !== 8500);
      assert.ok(await isPortFree(port), `port ${port} should be free`);
    }
  });
});

describe('spawnManaged', () => {
  const started: ManagedProcess[] = [];
  after(async () => {
    await Promise.all(started.map((p) => p.stop(2000)));
  });

  it('waits for a stdout line (also one printed earlier), writes the log file and stops with SIGTERM', async () => {
    const logFile = join(fixtures, 'logs', 'hello.log');
    const p = spawnManaged(
      'hello',
      process.execPath,
      ['-e', "console.log('hello 42'); console.error('to stderr'); setInterval(() => {}, 1000)"],
      { logFile, env: { QG_TEST_MARKER: 'x' } },
    );
    started.push(p);
    assert.ok(p.pid > 0);
    const match = await p.waitForLine(/hello (\d+)/, 10_000);
    assert.equal(match[1], '42');
    // Matching again finds the line in the history.
    assert.equal((await p.waitForLine(/hello/, 10))[0], 'hello');
    await eventually('stderr is read', () => p.stderrTail().includes('to stderr'));
    const status = await p.stop();
    assert.deepEqual(status, { code: null, signal: 'SIGTERM' });
    assert.equal(p.running, false);
    assert.ok(isGone(p.pid));
    const log = await readFile(logFile, 'utf8');
    assert.match(log, /hello 42/);
    assert.match(log, /to stderr/);
  });

  it('rejects waitForLine with the last stderr lines when the process exits first', async () => {
    const p = spawnManaged('crasher', process.execPath, [
      '-e',
      "console.error('first problem'); console.error('boom-marker'); process.exit(3)",
    ]);
    started.push(p);
    await assert.rejects(p.waitForLine(/ready/, 10_000), (error: Error) => {
      assert.match(error.message, /crasher exited with code 3/);
      assert.match(error.message, /boom-marker/);
      return true;
    });
    assert.deepEqual(await p.exited, { code: 3, signal: null });
  });

  it('rejects waitForLine on timeout, and when the command does not exist', async () => {
    const p = spawnManaged('silent', 'sleep', ['30']);
    started.push(p);
    await assert.rejects(p.waitForLine(/never/, 200), /printed no line matching \/never\/ within 200 ms/);
    await p.stop();
    const missing = spawnManaged('missing', join(fixtures, 'no-such-binary'), []);
    await assert.rejects(missing.waitForLine(/x/, 5000), /could not be started/);
    assert.equal(missing.pid, -1);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const p = spawnManaged('stubborn', process.execPath, [
      '-e',
      "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)",
    ]);
    started.push(p);
    await p.waitForLine(/up/, 10_000);
    const begin = Date.now();
    const status = await p.stop(500);
    assert.equal(status.signal, 'SIGKILL');
    assert.ok(Date.now() - begin < 5000);
    assert.ok(isGone(p.pid));
  });

  it('kill() and stop() reach the whole process group', async () => {
    const script = 'sleep 300 & echo "grandchild=$!"; wait';
    const p = spawnManaged('shell', 'sh', ['-c', script]);
    started.push(p);
    const grandchild = Number((await p.waitForLine(/grandchild=(\d+)/, 10_000))[1]);
    assert.ok(!isGone(grandchild));
    p.kill('SIGKILL');
    await p.exited;
    await eventually('the grandchild is gone', () => isGone(grandchild));

    // The shell exits on SIGTERM while its background sleep would live on: the sweep kills it.
    const q = spawnManaged('shell2', 'sh', ['-c', script]);
    started.push(q);
    const grandchild2 = Number((await q.waitForLine(/grandchild=(\d+)/, 10_000))[1]);
    await q.stop(2000);
    await eventually('the second grandchild is gone', () => isGone(grandchild2));
  });
});

describe('process registry: no orphans when the parent goes away', () => {
  const parentScript = () => join(fixtures, 'parent.mjs');
  before(async () => {
    await writeFile(
      parentScript(),
      `import { spawnManaged } from ${JSON.stringify(MANAGED_PROCESS_URL)};
const mode = process.argv[2];
const sleeper = spawnManaged('sleeper', 'sleep', ['300']);
const shell = spawnManaged('shell', 'sh', ['-c', 'sleep 300 & echo "grandchild=$!"; wait']);
const ignorer = spawnManaged('ignorer', process.execPath, ['-e', "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000)"]);
const grandchild = Number((await shell.waitForLine(/grandchild=(\\d+)/, 10000))[1]);
await ignorer.waitForLine(/up/, 10000);
console.log(JSON.stringify({ pids: [sleeper.pid, shell.pid, grandchild, ignorer.pid] }));
if (mode === 'exit') setTimeout(() => process.exit(0), 100);
else if (mode === 'throw') setTimeout(() => { throw new Error('deliberate crash'); }, 100);
else setInterval(() => {}, 1000);
`,
    );
  });

  async function runParent(mode: string): Promise<{ parent: ReturnType<typeof spawn>; pids: number[] }> {
    // The ignorer ignores SIGTERM: a short grace period keeps the signal cases quick.
    const parent = spawn(process.execPath, [parentScript(), mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, QUANTGRID_SIGNAL_STOP_MS: '1000' },
    });
    let out = '';
    let err = '';
    parent.stderr!.on('data', (d) => (err += d));
    const pids = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`parent printed no pids; stderr: ${err}`)), 15_000);
      parent.stdout!.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line).pids);
        }
      });
      parent.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`parent exited (${code}) before printing pids; stderr: ${err}`));
      });
    });
    for (const pid of pids) assert.ok(!isGone(pid), `pid ${pid} should be running`);
    return { parent, pids };
  }

  for (const [mode, how] of [
    ['SIGTERM', 'gets SIGTERM'],
    ['SIGINT', 'gets SIGINT (Ctrl-C)'],
    ['SIGKILL', 'is SIGKILLed (the reaper cleans up)'],
    ['exit', 'calls process.exit()'],
    ['throw', 'dies of an uncaught exception'],
  ] as const) {
    it(`kills children and grandchildren when the parent ${how}`, async () => {
      const { parent, pids } = await runParent(mode);
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        parent.once('exit', (code, signal) => resolve({ code, signal })),
      );
      if (mode === 'SIGTERM' || mode === 'SIGINT' || mode === 'SIGKILL') parent.kill(mode);
      const status = await exited;
      if (mode === 'SIGTERM') assert.equal(status.code, 143);
      if (mode === 'SIGINT') assert.equal(status.code, 130);
      if (mode === 'SIGKILL') assert.equal(status.signal, 'SIGKILL');
      if (mode === 'exit') assert.equal(status.code, 0);
      await eventually(`pids ${pids.join(', ')} are gone`, () => pids.every(isGone), 8000);
    });
  }
});

describe('startConsulDevAgent', () => {
  it('starts a dev agent with a leader on free ports and cleans up on stop', async () => {
    const consul = await startConsulDevAgent();
    try {
      assert.match(consul.httpAddress, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(consul.httpPort, 8500);
      const response = await fetch(`${consul.httpAddress}/v1/status/leader`);
      assert.equal(response.status, 200);
      const leader = (await response.json()) as string;
      assert.match(leader, /^127\.0\.0\.1:\d+$/);
      assert.ok(existsSync(consul.dir));
    } finally {
      await consul.stop();
    }
    assert.equal(consul.process.running, false);
    assert.ok(isGone(consul.process.pid));
    assert.ok(await isPortFree(consul.httpPort), 'HTTP port released');
    assert.ok(!existsSync(consul.dir), 'temp dir removed');
    await consul.stop(); // idempotent
  });
});

describe('startRedisServer', () => {
  it('answers PING, keeps data across restarts with appendOnly, and cleans up on stop', async () => {
    const redis = await startRedisServer({ appendOnly: true });
    const connect = () => new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      assert.match(redis.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(redis.port, 6379);
      let client = connect();
      assert.equal(await client.ping(), 'PONG');
      await client.set('harness:clean', 'kept');
      await client.quit();

      const firstPid = redis.process.pid;
      await redis.restart();
      assert.notEqual(redis.process.pid, firstPid);
      assert.ok(isGone(firstPid));
      client = connect();
      assert.equal(await client.get('harness:clean'), 'kept');
      await client.set('harness:crash', 'kept too');
      await client.quit();

      await redis.restart({ hard: true });
      client = connect();
      assert.equal(await client.get('harness:crash'), 'kept too');
      assert.equal(await client.get('harness:clean'), 'kept');
      await client.quit();
    } finally {
      await redis.stop();
    }
    assert.ok(isGone(redis.process.pid));
    assert.ok(await isPortFree(redis.port), 'port released');
    assert.ok(!existsSync(redis.dir), 'temp dir removed');
  });
});

describe('startLocalCluster (with stand-in coordinator and agent scripts)', () => {
  const stubCoordinator = () => join(fixtures, 'stub-coordinator.mjs');
  const stubAgent = () => join(fixtures, 'stub-agent.mjs');
  const crashingCoordinator = () => join(fixtures, 'crashing-coordinator.mjs');

  before(async () => {
    const argParser = `
const flags = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a.startsWith('--')) { const n = process.argv[i + 1]; if (n !== undefined && !n.startsWith('--')) { flags[a.slice(2)] = n; i++; } else flags[a.slice(2)] = true; }
}
`;
    await writeFile(
      stubCoordinator(),
      `import { createServer } from 'node:net';
${argParser}
for (const f of ['listen', 'consul', 'redis']) if (!flags[f]) { console.error('missing --' + f); process.exit(2); }
const [host, port] = flags.listen.split(':');
const server = createServer((s) => s.end()).listen(Number(port), host, () => {
  console.error(JSON.stringify({ msg: 'stub coordinator', flags }));
  console.log('quantgrid-coordinator ready address=' + host + ':' + server.address().port);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
    );
    await writeFile(
      stubAgent(),
      `import { createServer } from 'node:net';
${argParser}
for (const f of ['consul', 'node-id', 'host', 'port', 'slots']) if (!flags[f]) { console.error('missing --' + f); process.exit(2); }
const id = flags['node-id'];
const server = createServer((s) => s.end()).listen(Number(flags.port), flags.host, async () => {
  const port = server.address().port;
  const res = await fetch(flags.consul + '/v1/agent/service/register', { method: 'PUT', body: JSON.stringify({
    ID: id, Name: 'quantgrid-stub-agent', Address: flags.host, Port: port,
    Meta: { slots: String(flags.slots), capabilities: String(flags.capabilities ?? ''), extra: String(flags.extra ?? '') } }) });
  if (!res.ok) { console.error('register failed ' + res.status); process.exit(1); }
  console.log('quantgrid-agent ready node=' + id + ' address=' + flags.host + ':' + port);
});
process.on('SIGTERM', async () => {
  await fetch(flags.consul + '/v1/agent/service/deregister/' + encodeURIComponent(id), { method: 'PUT' });
  server.close(() => process.exit(0));
});
`,
    );
    await writeFile(
      crashingCoordinator(),
      `console.error('cannot reach the thing: coordinator-crash-marker'); process.exit(1);\n`,
    );
  });

  async function registeredAgents(consulAddress: string): Promise<Record<string, { Meta: Record<string, string> }>> {
    const response = await fetch(`${consulAddress}/v1/agent/services`);
    return (await response.json()) as Record<string, { Meta: Record<string, string> }>;
  }

  it('starts Consul, Redis, the coordinator and agents, manages agents, and stops in order', async () => {
    const logDir = join(fixtures, 'cluster-logs');
    const cluster = await startLocalCluster({
      agents: [{ slots: 1 }, { slots: 2, capabilities: ['backtest', 'analysis'] }, { slots: 3, extraArgs: ['--extra', 'yes'] }],
      coordinatorArgs: ['--something', 'passed-through'],
      logDir,
      coordinatorEntry: stubCoordinator(),
      agentEntry: stubAgent(),
    });
    const pids: number[] = [];
    try {
      assert.match(cluster.coordinator.address, /^127\.0\.0\.1:\d+$/);
      assert.deepEqual(
        cluster.agents.map((a) => a.nodeId),
        ['agent-a', 'agent-b', 'agent-c'],
      );
      for (const a of cluster.agents) assert.match(a.address, /^127\.0\.0\.1:\d+$/);
      pids.push(cluster.consul.process.pid, cluster.redis.process.pid, cluster.coordinator.process.pid);
      pids.push(...cluster.agents.map((a) => a.process.pid));

      const coordinatorLog = await readFile(join(logDir, 'coordinator.log'), 'utf8');
      assert.match(coordinatorLog, /"something":"passed-through"/);
      assert.ok(coordinatorLog.includes(`"consul":"${cluster.consul.httpAddress}"`));
      assert.ok(coordinatorLog.includes(`"redis":"${cluster.redis.url}"`));

      let services = await registeredAgents(cluster.consul.httpAddress);
      assert.deepEqual(Object.keys(services).filter((k) => k.startsWith('agent-')).sort(), ['agent-a', 'agent-b', 'agent-c']);
      assert.equal(services['agent-b'].Meta.slots, '2');
      assert.equal(services['agent-b'].Meta.capabilities, 'backtest,analysis');
      assert.equal(services['agent-c'].Meta.extra, 'yes');

      const added = await cluster.addAgent({ slots: 4 });
      assert.equal(added.nodeId, 'agent-d');
      pids.push(added.process.pid);
      await assert.rejects(cluster.addAgent({ slots: 1, nodeId: 'agent-a' }), /already running/);

      assert.deepEqual(await cluster.stopAgent('agent-a'), { code: 0, signal: null });
      services = await registeredAgents(cluster.consul.httpAddress);
      assert.equal(services['agent-a'], undefined, 'a gracefully stopped agent deregisters');

      const victim = cluster.agent('agent-b')!;
      await cluster.killAgent('agent-b');
      assert.equal(victim.process.exitStatus?.signal, 'SIGKILL');
      assert.equal(cluster.agent('agent-b'), undefined);
      assert.deepEqual(
        cluster.agents.map((a) => a.nodeId),
        ['agent-c', 'agent-d'],
      );
      await assert.rejects(cluster.stopAgent('agent-b'), /no running agent with node id agent-b/);

      // A paused agent still stops: stop() sends SIGCONT before SIGTERM.
      await cluster.killAgent('agent-c', 'SIGSTOP');
      await sleep(100);
      assert.deepEqual(await cluster.stopAgent('agent-c'), { code: 0, signal: null });

      // The same node id can come back once its process is gone.
      const again = await cluster.addAgent({ slots: 1, nodeId: 'agent-a' });
      pids.push(again.process.pid);
    } finally {
      await cluster.stop();
    }
    for (const pid of pids) assert.ok(isGone(pid), `pid ${pid} is gone after stop()`);
    assert.ok(await isPortFree(cluster.redis.port));
    assert.ok(await isPortFree(cluster.consul.httpPort));
    assert.ok(!existsSync(cluster.consul.dir) && !existsSync(cluster.redis.dir), 'temp dirs removed');
    assert.ok(existsSync(join(logDir, 'agent-d.log')), 'logs kept in the given logDir');
    await cluster.stop(); // idempotent
  });

  it('fails with the tail of the log when the coordinator dies, leaving nothing behind', async () => {
    await assert.rejects(
      startLocalCluster({ agents: [{ slots: 1 }], coordinatorEntry: crashingCoordinator(), agentEntry: stubAgent() }),
      (error: Error) => {
        assert.match(error.message, /coordinator did not become ready/);
        assert.match(error.message, /coordinator-crash-marker/);
        return true;
      },
    );
    await assert.rejects(
      startLocalCluster({ agents: [], coordinatorEntry: join(fixtures, 'nope.js') }),
      /coordinator entry point not found/,
    );
    await eventually('no managed process is left running', () => liveManagedProcesses().length === 0);
  });
});

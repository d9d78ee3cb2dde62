import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import { toDiscoveredNode } from '../../../coordinator/nodes/node-discovery.js';
import {
  agentCheckNote,
  ConsulRegistration,
  ConsulRequestError,
  agentServiceMeta,
  type AgentServiceRegistration,
  type ConsulAgentApi,
} from '../../../node-agent/consul-registration.js';

const logger = pino({ level: 'silent' });

const service: AgentServiceRegistration = {
  id: 'node-a',
  address: '127.0.0.1',
  port: 7070,
  meta: agentServiceMeta({ cores: 8, slots: 6, memoryTotalBytes: 16e9, cpuSpeedGhz: 3.2, capabilities: ['backtest', 'noop'], specialties: ['backtest'], version: '0.1.0' }),
};

/** A Consul agent in memory: `up` false = unreachable; `restart()` forgets every registration. */
class FakeConsul implements ConsulAgentApi {
  up = true;
  services = new Map<string, { service: AgentServiceRegistration; checkId: string; ttlMs: number; deregisterAfterMs: number }>();
  calls: string[] = [];
  notes: string[] = [];
  closed = false;

  private reachable(what: string): void {
    this.calls.push(what);
    if (!this.up) throw new ConsulRequestError('connect ECONNREFUSED', undefined);
  }
  async register(s: AgentServiceRegistration, check: { id: string; ttlMs: number; deregisterAfterMs: number }): Promise<void> {
    this.reachable('register');
    this.services.set(s.id, { service: s, checkId: check.id, ttlMs: check.ttlMs, deregisterAfterMs: check.deregisterAfterMs });
  }
  async pass(checkId: string, note: string): Promise<void> {
    this.reachable('pass');
    if (![...this.services.values()].some((entry) => entry.checkId === checkId)) {
      throw new ConsulRequestError(`HTTP 500: CheckID "${checkId}" does not have associated TTL`, 500);
    }
    this.notes.push(note);
  }
  async deregister(serviceId: string): Promise<void> {
    this.reachable('deregister');
    this.services.delete(serviceId);
  }
  close(): void {
    this.closed = true;
  }
  restart(): void {
    this.services.clear();
  }
}

function registration(api: FakeConsul, note = () => '{"cpu":0.5}') {
  return new ConsulRegistration({
    api,
    service,
    checkTtlMs: 3_000,
    deregisterAfterMs: 60_000,
    note,
    logger,
    consulUrl: 'http://fake',
    refreshMs: 20,
    backoffInitialMs: 10,
    backoffMaxMs: 40,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('meta carries cores, slots, memory, cpu_speed, capabilities, specialties and version as strings', () => {
  assert.deepEqual(service.meta, {
    cores: '8',
    slots: '6',
    memory: '16000000000',
    cpu_speed: '3.2',
    capabilities: 'backtest,noop',
    specialties: 'backtest',
    version: '0.1.0',
  });
  // the coordinator reads them back
  const found = toDiscoveredNode({ Service: { ID: 'n', Address: '127.0.0.1', Port: 7070, Meta: service.meta } });
  assert.deepEqual([found?.capabilities, found?.specialties], [['backtest', 'noop'], ['backtest']]);
  assert.deepEqual(toDiscoveredNode({ Service: { ID: 'n', Address: '127.0.0.1', Port: 7070, Meta: {} } })?.specialties, [], 'an agent that says nothing has none');
});

test('registers with a TTL check, refreshes it with load notes, deregisters on request', async () => {
  const consul = new FakeConsul();
  const reg = registration(consul);
  reg.start();
  assert.equal(await reg.waitUntilRegistered(1_000), true);
  const entry = consul.services.get('node-a');
  assert.ok(entry);
  assert.equal(entry.checkId, 'service:node-a');
  assert.equal(entry.ttlMs, 3_000);
  assert.equal(entry.deregisterAfterMs, 60_000);
  await sleep(100);
  assert.ok(consul.notes.length >= 2, `refreshed ${consul.notes.length} times`);
  assert.equal(consul.notes[0], '{"cpu":0.5}');
  await reg.deregister();
  assert.equal(consul.services.size, 0);
  assert.equal(reg.state, 'stopped');
  assert.ok(consul.closed);
  const callsAfterStop = consul.calls.length;
  await sleep(60);
  assert.equal(consul.calls.length, callsAfterStop, 'no calls after deregistering');
});

test('retries with backoff while Consul is unreachable, then registers', async () => {
  const consul = new FakeConsul();
  consul.up = false;
  const reg = registration(consul);
  reg.start();
  await sleep(150);
  assert.equal(reg.state, 'registering');
  const attempts = consul.calls.length;
  // 10, 20, 40, 40, ... ms: a handful of attempts in 150 ms, not a tight loop.
  assert.ok(attempts >= 3 && attempts <= 8, `${attempts} attempts`);
  consul.up = true;
  assert.equal(await reg.waitUntilRegistered(1_000), true);
  assert.ok(consul.services.has('node-a'));
  await reg.deregister();
});

test('registers again when Consul forgot the check (restart)', async () => {
  const consul = new FakeConsul();
  const reg = registration(consul);
  reg.start();
  await reg.waitUntilRegistered(1_000);
  consul.up = false;
  await sleep(60);
  consul.restart();
  consul.up = true;
  const deadline = Date.now() + 1_000;
  while (!consul.services.has('node-a') && Date.now() < deadline) await sleep(10);
  assert.ok(consul.services.has('node-a'), 're-registered after the restart');
  assert.equal(consul.calls.filter((call) => call === 'register').length, 2);
  await sleep(60);
  assert.equal(reg.state, 'registered');
  await reg.deregister();
  assert.equal(consul.services.size, 0);
});

test('a throwing note does not stop the refresh', async () => {
  const consul = new FakeConsul();
  const reg = registration(consul, () => {
    throw new Error('no sample');
  });
  reg.start();
  await reg.waitUntilRegistered(1_000);
  await sleep(60);
  assert.match(consul.notes[0], /noteError/);
  await reg.deregister();
});

test('deregister before Consul was ever reached returns promptly', async () => {
  const consul = new FakeConsul();
  consul.up = false;
  const reg = registration(consul);
  reg.start();
  await sleep(30);
  const started = performance.now();
  await reg.deregister();
  assert.ok(performance.now() - started < 100);
  assert.ok(!consul.calls.includes('deregister'));
  assert.equal(await reg.waitUntilRegistered(10), false);
});

/** A logger that keeps every line (as parsed JSON). */
function capturingLogger(): { logger: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

test('a refused token (403) is logged once, naming --consul-token-file, retried, and registration follows once accepted', async () => {
  const api = new FakeConsul();
  let refuse = true;
  const register = api.register.bind(api);
  api.register = async (s, check) => {
    if (refuse) {
      api.calls.push('register');
      throw new ConsulRequestError('HTTP 403: ACL not found', 403);
    }
    return register(s, check);
  };
  const { logger: captured, lines } = capturingLogger();
  const r = new ConsulRegistration({
    api,
    service,
    checkTtlMs: 3_000,
    deregisterAfterMs: 60_000,
    note: () => '{}',
    logger: captured,
    consulUrl: 'http://fake',
    tokenConfigured: true,
    refreshMs: 20,
    backoffInitialMs: 5,
    backoffMaxMs: 10,
  });
  r.start();
  await sleep(150);
  assert.ok(api.calls.filter((c) => c === 'register').length >= 3, 'kept retrying');
  const refusals = lines.filter((line) => line.msg.includes('refused'));
  assert.equal(refusals.length, 1, 'logged once while nothing changes');
  assert.equal(refusals[0].level, 50);
  assert.equal(refusals[0].msg, 'Consul refused the token from --consul-token-file: HTTP 403: ACL not found; retrying');
  assert.equal(r.state, 'registering');

  refuse = false;
  assert.ok(await r.waitUntilRegistered(1_000));
  assert.ok(lines.some((line) => line.msg === 'registered with Consul'));
  await r.deregister();
});

test('without a token the refusal line says none was given; a refused refresh is a refusal too', async () => {
  const api = new FakeConsul();
  let refusePass = false;
  const pass = api.pass.bind(api);
  api.pass = async (checkId, note) => {
    if (refusePass) throw new ConsulRequestError('HTTP 403: Permission denied: Missing service:write on quantgrid-agent', 403);
    return pass(checkId, note);
  };
  const { logger: captured, lines } = capturingLogger();
  const r = new ConsulRegistration({ api, service, checkTtlMs: 3_000, deregisterAfterMs: 60_000, note: () => '{}', logger: captured, consulUrl: 'http://fake', refreshMs: 10, backoffInitialMs: 5, backoffMaxMs: 10 });
  r.start();
  assert.ok(await r.waitUntilRegistered(1_000));
  refusePass = true;
  const register = api.register.bind(api);
  api.register = async () => {
    throw new ConsulRequestError('HTTP 403: Permission denied: Missing service:write on quantgrid-agent', 403);
  };
  await sleep(120);
  const refusals = lines.filter((line) => line.msg.includes('refused'));
  assert.deepEqual(
    refusals.map((line) => line.msg),
    ['Consul refused the request without a token (no --consul-token-file given): HTTP 403: Permission denied: Missing service:write on quantgrid-agent; retrying'],
  );
  api.register = register;
  await r.deregister();
});

test('the TTL note changes with the agent state only (a changed note wakes every coordinator\'s discovery)', () => {
  const idle = { busySlots: 0, slots: 4, draining: false };
  assert.equal(agentCheckNote(idle), agentCheckNote({ ...idle }));
  assert.deepEqual(JSON.parse(agentCheckNote(idle)), { busy: 0, slots: 4, draining: false });
  assert.notEqual(agentCheckNote({ ...idle, busySlots: 1 }), agentCheckNote(idle));
  assert.notEqual(agentCheckNote({ ...idle, draining: true }), agentCheckNote(idle));
});

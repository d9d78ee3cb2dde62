/**
 * The real node agent process against a real Consul dev agent: registration with meta, RunPartition,
 * GetStatus and gRPC health over the wire, draining on SIGTERM (leaves Consul, exits 0) and a
 * SIGKILLed agent's check turning critical after its TTL.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { startConsulDevAgent, spawnManaged, type ConsulDevAgent, type ManagedProcess } from '../../scripts/local-cluster/index.js';
import { readClusterSecretFile, writeNewClusterSecretFile } from '../../shared/auth/cluster-secret-file.js';
import { createNodeAgentClient, type NodeAgentClient } from '../../shared/grpc/clients.js';
import type { PartitionEvent__Output } from '../../shared/generated/quantgrid/v1/PartitionEvent.js';
import type { AgentStatus__Output } from '../../shared/generated/quantgrid/v1/AgentStatus.js';
import type { RunPartitionRequest } from '../../shared/generated/quantgrid/v1/RunPartitionRequest.js';
import { QUANTGRID_VERSION } from '../../shared/version.js';
import { sampleValue, scrape } from '../helpers/metrics.js';
import { OWN_CONNECTION } from '../helpers/own-connection.js';

const AGENT_MAIN = fileURLToPath(new URL('../../node-agent/main.js', import.meta.url));
const READY = /^quantgrid-agent ready node=(\S+) address=(\S+) metrics=(\S+)$/;

let consul: ConsulDevAgent;
const started: ManagedProcess[] = [];
let secretsDir: string;
let secretFile: string;
let secret: Uint8Array;

before(async () => {
  consul = await startConsulDevAgent();
  secretsDir = await mkdtemp(join(tmpdir(), 'quantgrid-agent-secret-'));
  secretFile = join(secretsDir, 'cluster.secret');
  await writeNewClusterSecretFile(secretFile);
  secret = (await readClusterSecretFile(secretFile)).secret;
});

after(async () => {
  for (const child of started) if (child.running) await child.stop(2_000);
  await consul?.stop();
  await rm(secretsDir, { recursive: true, force: true });
});

/** A client of the agent that proves the cluster secret, as a coordinator does. */
const agentClient = (address: string): NodeAgentClient => createNodeAgentClient(address, {}, {}, secret);

interface Agent {
  process: ManagedProcess;
  nodeId: string;
  address: string;
  metricsUrl: string;
}

async function startAgent(nodeId: string, extra: string[] = []): Promise<Agent> {
  const child = spawnManaged(
    `agent-${nodeId}`,
    process.execPath,
    [AGENT_MAIN, '--consul', consul.httpAddress, '--port', '0', '--host', '127.0.0.1', '--slots', '2', '--node-id', nodeId, '--cluster-secret-file', secretFile, '--metrics-listen', '127.0.0.1:0', ...extra],
    { env: { QUANTGRID_LOG_LEVEL: 'info' } },
  );
  started.push(child);
  const match = await child.waitForLine(READY, 15_000);
  return { process: child, nodeId: match[1], address: match[2], metricsUrl: match[3] };
}

interface HealthEntry {
  Service: { ID: string; Address: string; Port: number; Meta: Record<string, string> };
  Checks: Array<{ CheckID: string; Status: string; ServiceID: string }>;
}

async function consulGet<T>(path: string): Promise<T> {
  const response = await fetch(`${consul.httpAddress}${path}`, { signal: AbortSignal.timeout(2_000) });
  assert.ok(response.ok, `${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

const passingAgents = () => consulGet<HealthEntry[]>('/v1/health/service/quantgrid-agent?passing');

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function partition(first: number, workMs: number): RunPartitionRequest {
  return {
    jobId: 'it-job',
    partition: first,
    attempt: 1,
    kind: 'noop',
    specJson: JSON.stringify({ partitions: 10, workMs, failPartition: -1 }),
    partitionJson: JSON.stringify({ first, count: 1 }),
    coordinatorVersion: QUANTGRID_VERSION,
    heartbeatMs: 100,
  };
}

function runPartition(client: NodeAgentClient, request: RunPartitionRequest): Promise<PartitionEvent__Output[]> {
  const events: PartitionEvent__Output[] = [];
  return new Promise((resolve, reject) => {
    const call = client.RunPartition(request);
    call.on('data', (event: PartitionEvent__Output) => events.push(event));
    call.on('error', reject);
    call.on('end', () => resolve(events));
  });
}

function getStatus(client: NodeAgentClient): Promise<AgentStatus__Output> {
  return new Promise((resolve, reject) => client.GetStatus({}, { deadline: Date.now() + 5_000 }, (error, value) => (error ? reject(error) : resolve(value!))));
}

type HealthClient = grpc.Client & {
  Check(request: { service: string }, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: { status: string }) => void): void;
};
const HealthClientConstructor = grpc.makeClientConstructor(healthService as unknown as grpc.ServiceDefinition, 'grpc.health.v1.Health');

function healthCheck(address: string, serviceName: string): Promise<string> {
  const client = new HealthClientConstructor(address, grpc.credentials.createInsecure()) as unknown as HealthClient;
  return new Promise<string>((resolve, reject) =>
    client.Check({ service: serviceName }, { deadline: Date.now() + 5_000 }, (error, response) => (error ? reject(error) : resolve(response!.status))),
  ).finally(() => client.close());
}

test('bad flags exit with code 2 and a one-line message', async () => {
  const child = spawnManaged('agent-bad-flags', process.execPath, [AGENT_MAIN, '--port', 'seventy']);
  started.push(child);
  const status = await child.exited;
  assert.equal(status.code, 2);
  const stderr = child.stderrTail(10).trim();
  assert.match(stderr, /--port: "seventy" must be an integer/);
  assert.equal(stderr.split('\n').length, 1, stderr);
});

test('registers in Consul, serves RunPartition/GetStatus/health, drains on SIGTERM', async () => {
  const t0 = performance.now();
  const agent = await startAgent('it-agent-a', ['--heartbeat-ms', '100']);
  assert.equal(agent.nodeId, 'it-agent-a');
  const [host, port] = agent.address.split(':');
  assert.equal(host, '127.0.0.1');

  const entry = await waitFor(
    'agent passing in Consul',
    async () => (await passingAgents()).find((candidate) => candidate.Service.ID === 'it-agent-a'),
    5_000,
  );
  assert.equal(entry.Service.Address, '127.0.0.1');
  assert.equal(entry.Service.Port, Number(port));
  const meta = entry.Service.Meta;
  assert.equal(meta.slots, '2');
  assert.equal(meta.version, QUANTGRID_VERSION);
  assert.ok(Number(meta.cores) >= 1);
  assert.ok(Number(meta.memory) > 0);
  assert.ok(Number(meta.cpu_speed) >= 0);
  assert.ok(meta.capabilities.split(',').includes('noop'));
  // Prometheus' Consul discovery finds the metrics endpoint by these (docs/deployment.md).
  assert.equal(meta.metrics_port, new URL(agent.metricsUrl).port);
  assert.equal(meta.metrics_scheme, 'http');
  assert.ok(entry.Checks.some((check) => check.CheckID === 'service:it-agent-a' && check.Status === 'passing'));

  assert.equal(await healthCheck(agent.address, ''), 'SERVING');
  assert.equal(await healthCheck(agent.address, 'quantgrid.v1.NodeAgent'), 'SERVING');

  const client = agentClient(agent.address);
  try {
    const events = await runPartition(client, partition(7, 300));
    assert.ok(events.filter((event) => event.event === 'heartbeat').length >= 2);
    const last = events.at(-1)!;
    assert.equal(last.event, 'result');
    assert.deepEqual(JSON.parse(last.result!.resultJson), { count: 1, sum: 7 });

    const status = await getStatus(client);
    assert.equal(status.nodeId, 'it-agent-a');
    assert.equal(status.version, QUANTGRID_VERSION);
    assert.equal(status.slots, 2);
    assert.equal(status.busySlots, 0);
    assert.equal(status.partitionsCompleted, 1);
    assert.equal(status.partitionsFailed, 0);
    assert.ok(status.cores >= 1 && status.memoryTotalBytes > 0 && status.memoryAvailableBytes > 0);
    assert.ok(status.cpuLoad >= 0 && status.cpuLoad <= 1);
    assert.ok(status.netSpeedMbps > 0);
    assert.ok(status.capabilities.includes('noop'));
    assert.equal(status.draining, false);

    // A partition whose code warns, then throws: the warning arrives as a log event, the error with
    // the worker's stack trace; the metrics count both outcomes.
    const failing = await runPartition(client, { ...partition(7, 0), specJson: JSON.stringify({ partitions: 10, workMs: 0, failPartition: 7 }) });
    assert.deepEqual(failing.filter((event) => event.event === 'log').map((event) => event.log), [{ level: 'warn', message: 'noop partition 7 is about to fail on purpose' }]);
    const thrown = failing.at(-1)!.error!;
    assert.equal(thrown.code, 'TASK_ERROR');
    assert.match(thrown.stack, /^Error: noop partition 7 fails on purpose\n\s+at .*tasks\/noop\/index\.(js|ts)/);
    const metrics = await scrape(agent.metricsUrl);
    assert.equal(sampleValue(metrics, 'quantgrid_agent_partitions_total', { outcome: 'completed' }), 1);
    assert.equal(sampleValue(metrics, 'quantgrid_agent_partitions_total', { outcome: 'failed' }), 1);
    assert.equal(sampleValue(metrics, 'quantgrid_agent_partition_compute_seconds_count', { kind: 'noop' }), 1);
    assert.equal(sampleValue(metrics, 'quantgrid_agent_slots'), 2);
    assert.ok((sampleValue(metrics, 'process_resident_memory_bytes') ?? 0) > 0);
    assert.ok(sampleValue(metrics, 'nodejs_eventloop_lag_seconds') !== undefined);
    const notFound = await fetch(new URL('/', agent.metricsUrl));
    assert.equal(notFound.status, 404);

    // Without the cluster secret, or with another: refused before anything runs or is dialled.
    for (const stranger of [createNodeAgentClient(agent.address, {}, OWN_CONNECTION), createNodeAgentClient(agent.address, {}, OWN_CONNECTION, Buffer.alloc(32, 9))]) {
      await assert.rejects(getStatus(stranger), (error: grpc.ServiceError) => error.code === grpc.status.UNAUTHENTICATED);
      await assert.rejects(
        runPartition(stranger, { ...partition(9, 1_000_000_000), datasetSource: '127.0.0.2:9' }),
        (error: grpc.ServiceError) => error.code === grpc.status.UNAUTHENTICATED,
      );
      stranger.close();
    }
    assert.equal((await getStatus(client)).busySlots, 0, 'the refused 10⁹ ms no-op holds no slot');
    assert.match(agent.process.stderrTail(50), /call refused: no valid proof of the cluster secret/);

    // SIGTERM with a partition running: it leaves Consul at once, refuses new work, finishes the
    // running partition, then exits 0.
    const long = runPartition(client, partition(8, 1_500));
    await waitFor('partition running', async () => ((await getStatus(client)).busySlots === 1 ? true : undefined), 2_000);
    const termAt = performance.now();
    agent.process.kill('SIGTERM');
    await waitFor(
      'agent gone from Consul',
      async () => ((await consulGet<HealthEntry[]>('/v1/health/service/quantgrid-agent')).some((e) => e.Service.ID === 'it-agent-a') ? undefined : true),
      1_000,
    );
    const leftConsulMs = performance.now() - termAt;
    assert.equal(await healthCheck(agent.address, 'quantgrid.v1.NodeAgent'), 'NOT_SERVING');
    const refused = (await runPartition(client, partition(9, 0))).at(-1)!;
    assert.equal(refused.error?.code, 'DRAINING');
    assert.equal(refused.error?.deterministic, false);
    const longLast = (await long).at(-1)!;
    assert.equal(longLast.event, 'result', 'the running partition finished during the drain');
    const exit = await agent.process.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(leftConsulMs < 1_000, `left Consul ${leftConsulMs.toFixed(0)} ms after SIGTERM`);
    console.log(`agent up→drained in ${(performance.now() - t0).toFixed(0)} ms; left Consul ${leftConsulMs.toFixed(0)} ms after SIGTERM`);
  } finally {
    client.close();
  }
});

test('a SIGKILLed agent stays registered but its check turns critical after the TTL', async () => {
  const agent = await startAgent('it-agent-b', ['--check-ttl', '2s']);
  await waitFor(
    'agent passing in Consul',
    async () => ((await passingAgents()).some((e) => e.Service.ID === 'it-agent-b') ? true : undefined),
    5_000,
  );
  const killedAt = performance.now();
  agent.process.kill('SIGKILL');
  await agent.process.exited;
  const checkStatus = async () => {
    const entries = await consulGet<HealthEntry[]>('/v1/health/service/quantgrid-agent');
    return entries.find((e) => e.Service.ID === 'it-agent-b')?.Checks.find((c) => c.CheckID === 'service:it-agent-b')?.Status;
  };
  await waitFor('check critical', async () => ((await checkStatus()) === 'critical' ? true : undefined), 4_000);
  const criticalAfterMs = performance.now() - killedAt;
  // The last refresh was at most ~1 s before the kill, so the 2 s TTL expires 1..2 s after it.
  assert.ok(criticalAfterMs >= 700, `critical only after the TTL (${criticalAfterMs.toFixed(0)} ms)`);
  assert.equal((await passingAgents()).some((e) => e.Service.ID === 'it-agent-b'), false);
  console.log(`SIGKILLed agent's check critical ${criticalAfterMs.toFixed(0)} ms after the kill`);
});

test('past the drain timeout running partitions end with DRAINING; a second signal exits at once', async () => {
  const patient = await startAgent('it-agent-c', ['--drain-timeout', '400ms']);
  const impatient = await startAgent('it-agent-d');
  const clientC = agentClient(patient.address);
  const clientD = agentClient(impatient.address);
  try {
    const longC = runPartition(clientC, partition(1, 60_000));
    const longD = runPartition(clientD, partition(2, 60_000)).catch((error: grpc.ServiceError) => error);
    await waitFor('partitions running', async () => {
      const [c, d] = await Promise.all([getStatus(clientC), getStatus(clientD)]);
      return c.busySlots === 1 && d.busySlots === 1 ? true : undefined;
    }, 3_000);

    const termAt = performance.now();
    patient.process.kill('SIGTERM');
    const lastC = (await longC).at(-1)!;
    assert.equal(lastC.error?.code, 'DRAINING');
    assert.equal(lastC.error?.deterministic, false);
    assert.deepEqual(await patient.process.exited, { code: 0, signal: null });
    const drainMs = performance.now() - termAt;
    assert.ok(drainMs >= 400 && drainMs < 3_000, `drained in ${drainMs.toFixed(0)} ms`);

    // kill() signals the process group and the process: one stop request delivered twice, which
    // the agent must take as one. Only a signal some time later means "stop now".
    impatient.process.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(impatient.process.running, 'still draining after the first signal');
    const secondAt = performance.now();
    impatient.process.kill('SIGTERM');
    assert.deepEqual(await impatient.process.exited, { code: 143, signal: null });
    assert.ok(performance.now() - secondAt < 1_000);
    assert.ok((await longD) instanceof Error, 'the stream broke when the process exited');
  } finally {
    clientC.close();
    clientD.close();
  }
});

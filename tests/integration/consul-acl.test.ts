/**
 * Consul with ACLs enabled and default deny (a Consul 1.8 dev agent with a generated management
 * token): agents register with the token of --consul-token-file, the coordinator discovers them with
 * its read-only token, and what Consul refuses is refused, and said in one clear line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { listCoordinatorNodes, startLocalCluster, writeTokenFile, type ClusterAgent, type LocalCluster } from '../../scripts/local-cluster/index.js';
import { connect, eventually, sleep, submitAndWait } from '../helpers/jobs.js';

const NO_TOKEN_LINE = 'Consul refused the request without a token (no --consul-token-file given): HTTP 403: Permission denied';
const BAD_TOKEN_LINE = 'Consul refused the token from --consul-token-file: HTTP 403: ACL not found';

/** The log lines (JSON on stderr, in the process's log file) whose msg contains text. */
async function logLines(file: string, text: string): Promise<string[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  return lines.filter((line) => line.includes(text));
}

function waitForLogLine(file: string, text: string, timeoutMs = 15_000): Promise<string[]> {
  return eventually(async () => ((await logLines(file, text)).length > 0 ? logLines(file, text) : undefined), timeoutMs, `"${text}" in ${file}`);
}

async function consulGet(cluster: LocalCluster, path: string): Promise<unknown> {
  const response = await fetch(`${cluster.consul.httpAddress}${path}`, { headers: { 'X-Consul-Token': cluster.consul.managementToken! } });
  assert.equal(response.status, 200, `GET ${path}`);
  return response.json();
}

describe('Consul with ACLs (default deny)', { timeout: 90_000 }, () => {
  let cluster: LocalCluster;
  let tokens: { agent: string; coordinator: string };

  before(async () => {
    cluster = await startLocalCluster({ consulAcl: true, agents: [{ slots: 2, nodeId: 'with-token' }] });
    const files = cluster.consulTokenFiles!;
    tokens = { agent: (await readFile(files.agent, 'utf8')).trim(), coordinator: (await readFile(files.coordinator, 'utf8')).trim() };
  });
  after(async () => {
    await cluster?.stop();
  });

  test('Consul refuses a registration of quantgrid-agent without a token (403)', async () => {
    const response = await fetch(`${cluster.consul.httpAddress}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({ ID: 'sneaky', Name: 'quantgrid-agent', Address: '127.0.0.1', Port: 1 }),
    });
    assert.equal(response.status, 403);
    assert.match(await response.text(), /Permission denied/);
    // The coordinator's read-only token may not register either.
    const withReadToken = await fetch(`${cluster.consul.httpAddress}/v1/agent/service/register`, {
      method: 'PUT',
      headers: { 'X-Consul-Token': tokens.coordinator },
      body: JSON.stringify({ ID: 'sneaky', Name: 'quantgrid-agent', Address: '127.0.0.1', Port: 1 }),
    });
    assert.equal(withReadToken.status, 403);
    const services = (await consulGet(cluster, '/v1/agent/services')) as Record<string, unknown>;
    assert.ok(!('sneaky' in services), 'nothing was registered');
  });

  test('an agent with its token registers, the coordinator with its token discovers it, and a job runs', async () => {
    await cluster.waitForNodes({ nodeIds: ['with-token'], accept: (node) => node.state === 'ready' });
    const connection = connect(cluster.coordinator);
    try {
      const { job } = await submitAndWait(connection, { spec: { noop: { partitions: 4 } } }, 30_000);
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      assert.deepEqual(JSON.parse(job.resultJson), { partitions: 4, checksum: 6 });
    } finally {
      connection.close();
    }
    // Registered with the agent token; its TTL refreshes (same token) keep the check passing.
    const health = (await consulGet(cluster, '/v1/health/service/quantgrid-agent?passing=1')) as Array<{ Service: { ID: string } }>;
    assert.deepEqual(
      health.map((entry) => entry.Service.ID),
      ['with-token'],
    );
  });

  test('no token appears on a command line or in a log', async () => {
    // The management token is in Consul's config file (mode 0600), not on its command line.
    assert.ok(!cluster.consul.process.args.join(' ').includes(cluster.consul.managementToken!), 'consul: no token in argv');
    const processes = [cluster.coordinator, ...cluster.agents];
    for (const { process, logFile } of processes) {
      const argv = process.args.join(' ');
      const cmdline = await readFile(`/proc/${process.pid}/cmdline`, 'utf8').catch(() => argv);
      const log = await readFile(logFile, 'utf8');
      for (const secret of [tokens.agent, tokens.coordinator, cluster.consul.managementToken!]) {
        assert.ok(!argv.includes(secret) && !cmdline.includes(secret), `${process.name}: no token in argv`);
        assert.ok(!log.includes(secret), `${process.name}: no token in its log`);
      }
    }
  });

  test('an agent without a token, or with an unknown one, never becomes a node and says why once', async () => {
    const bogusFile = join(dirname(cluster.consulTokenFiles!.agent), 'bogus.token');
    await writeTokenFile(bogusFile, randomUUID());
    const [without, bogus]: ClusterAgent[] = await Promise.all([
      cluster.addAgent({ slots: 1, nodeId: 'no-token', withoutConsulToken: true }),
      cluster.addAgent({ slots: 1, nodeId: 'bogus-token', withoutConsulToken: true, extraArgs: ['--consul-token-file', bogusFile] }),
    ]);
    await waitForLogLine(without.logFile, NO_TOKEN_LINE);
    await waitForLogLine(bogus.logFile, BAD_TOKEN_LINE);
    // The agents keep retrying (backoff up to 5 s) but say so only once while nothing changes.
    await sleep(2_000);
    assert.equal((await logLines(without.logFile, 'Consul refused')).length, 1, 'one refusal line (no token)');
    assert.equal((await logLines(bogus.logFile, 'Consul refused')).length, 1, 'one refusal line (unknown token)');
    const nodes = await listCoordinatorNodes(cluster.coordinator.address, 5000, cluster.coordinator.adminToken);
    assert.deepEqual(
      nodes.map((node) => node.id).sort(),
      ['with-token'],
    );
    const services = (await consulGet(cluster, '/v1/agent/services')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(services), ['with-token']);
  });

  test('a coordinator with an unknown token says so in one line naming the flag', async () => {
    const bogusFile = join(dirname(cluster.consulTokenFiles!.agent), 'bogus-coordinator.token');
    await writeTokenFile(bogusFile, randomUUID());
    // The last --consul-token-file wins over the cluster's own.
    const second = await cluster.addCoordinator(['--consul-token-file', bogusFile]);
    await waitForLogLine(second.logFile, BAD_TOKEN_LINE);
    assert.deepEqual(await listCoordinatorNodes(second.address, 5000, second.adminToken), []);
    await sleep(1_000);
    assert.equal((await logLines(second.logFile, 'Consul refused')).length, 1, 'one refusal line while the watch retries');
  });

  test('a stopping agent deregisters with its token', async () => {
    const agent = cluster.agent('with-token')!;
    const status = await cluster.stopAgent('with-token');
    assert.equal(status.code, 0);
    assert.equal((await logLines(agent.logFile, 'deregistered from Consul')).length, 1);
    const services = (await consulGet(cluster, '/v1/agent/services')) as Record<string, unknown>;
    assert.ok(!('with-token' in services), 'gone from Consul at once, not after the TTL');
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';

/** A CA, and a server and a client certificate it signed (for 127.0.0.1 and localhost). */
function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=quantgrid test CA');
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=quantgrid ${name}`);
    const ext = name === 'server' ? ['-extfile', 'server.ext'] : [];
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', ...ext);
  }
}

describe('mutual TLS between CLI, coordinator and agents', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'quantgrid-tls-'));
  const file = (name: string) => path.join(dir, name);
  let cluster: LocalCluster;

  before(async () => {
    makeCertificates(dir);
    const serverTls = ['--tls-cert', file('server.crt'), '--tls-key', file('server.key'), '--tls-ca', file('ca.crt')];
    cluster = await startLocalCluster({
      agents: [
        {
          slots: 2,
          extraArgs: [
            ...serverTls,
            '--coordinator-tls-ca', file('ca.crt'),
            '--coordinator-tls-cert', file('client.crt'),
            '--coordinator-tls-key', file('client.key'),
          ],
        },
      ],
      coordinatorArgs: [
        ...serverTls,
        '--agent-tls-ca', file('ca.crt'),
        '--agent-tls-cert', file('client.crt'),
        '--agent-tls-key', file('client.key'),
      ],
    });
  });

  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a client with a certificate runs a job end to end over TLS', async () => {
    const connection = new CoordinatorConnection({
      address: cluster.coordinator.address,
      timeoutMs: 10_000,
      tls: { caFile: file('ca.crt'), certFile: file('client.crt'), keyFile: file('client.key') },
      token: cluster.coordinator.adminToken,
    });
    try {
      const { jobId } = await connection.submitJob({ spec: { noop: { partitions: 6 } } });
      const { job } = await watchToEnd(connection, jobId, { timeoutMs: 60_000 });
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      assert.deepEqual(JSON.parse(job.resultJson), { partitions: 6, checksum: 15 });
    } finally {
      connection.close();
    }
  });

  test('an imported dataset is fetched by the agent over mutual TLS', async () => {
    const connection = new CoordinatorConnection({
      address: cluster.coordinator.address,
      timeoutMs: 10_000,
      tls: { caFile: file('ca.crt'), certFile: file('client.crt'), keyFile: file('client.key') },
      token: cluster.coordinator.adminToken,
    });
    try {
      const lines = ['timestamp,open,high,low,close,volume'];
      for (let i = 0; i < 400; i++) {
        const price = 100 + 10 * Math.sin(i / 15);
        lines.push(`${Date.UTC(2024, 0, 1) + i * 3_600_000},${price},${price + 1},${price - 1},${price + 0.5},${100 + i}`);
      }
      const info = await connection.importDataset({ symbol: 'TLSUSD', timeframe: '1h', content: Buffer.from(lines.join('\n')) });
      const { jobId } = await connection.submitJob({
        spec: { backtest: { symbols: ['TLSUSD'], timeframe: '1h', dataset: { name: `sha256:${info.id}` }, params: { fast: { start: 5, stop: 5 }, slow: { start: 20, stop: 20 } } } },
      });
      const { job } = await watchToEnd(connection, jobId, { timeoutMs: 60_000 });
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      assert.equal(JSON.parse(job.resultJson).evaluated, 1);
    } finally {
      connection.close();
    }
  });

  test('plaintext clients and clients without a certificate are refused', async () => {
    for (const tls of [{}, { caFile: file('ca.crt') }]) {
      const connection = new CoordinatorConnection({ address: cluster.coordinator.address, timeoutMs: 3000, tls, token: cluster.coordinator.adminToken });
      try {
        await assert.rejects(connection.listNodes());
      } finally {
        connection.close();
      }
    }
  });
});

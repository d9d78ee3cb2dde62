import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentStatus__Output } from '../../../shared/generated/quantgrid/v1/AgentStatus.js';
import type { PartitionEvent__Output } from '../../../shared/generated/quantgrid/v1/PartitionEvent.js';
import { decodeDataset, encodeDataset } from '../../../shared/quant/dataset-codec.js';
import { QUANTGRID_VERSION } from '../../../shared/version.js';
import type { DatasetSource } from '../../../node-agent/agent-service.js';
import type { DatasetCacheStats } from '../../../node-agent/dataset-cache.js';
import { startTestAgent, type TestAgent } from '../../helpers/test-agent.js';

const ID = 'a1'.repeat(32);
const log: string[] = [];
const STATS: DatasetCacheStats = { hits: 1, diskHits: 1, misses: 2, bytesFetched: 300, memoryBytes: 48, entries: 1, diskBytes: 4096, diskEntries: 3, diskEvictions: 5 };
const source: DatasetSource = {
  async get(id) {
    log.push(`get ${id.slice(0, 4)}`);
    return decodeDataset(encodeDataset({ symbol: 'X', timeframe: '1h', time: [0], open: [1], high: [1], low: [1], close: [1], volume: [1] }), { shared: true });
  },
  stats: () => STATS,
  pin(id) {
    log.push(`pin ${id.slice(0, 4)}`);
    return () => log.push(`unpin ${id.slice(0, 4)}`);
  },
};

let client: TestAgent['client'];
let agent: TestAgent;

before(async () => {
  agent = await startTestAgent({ capabilities: ['noop', 'market-analysis'], datasets: source });
  client = agent.client;
});

after(() => agent.close());

test('a partition pins its stored dataset from before loading it until it ends', async () => {
  const call = client.RunPartition({
    jobId: 'job-1',
    partition: 0,
    attempt: 1,
    // The coordinator says which stored datasets the spec reads (its kind's datasets(spec)).
    kind: 'market-analysis',
    datasetIds: [ID],
    specJson: JSON.stringify({ assets: ['X'], timeframes: ['1h'], dataset: { name: `sha256:${ID}`, bars: 1, seed: 0 }, indicators: ['rsi'], includeSeries: false }),
    partitionJson: JSON.stringify({ first: 0, count: 1 }),
    coordinatorVersion: QUANTGRID_VERSION,
    heartbeatMs: 0,
  });
  const events: PartitionEvent__Output[] = [];
  await new Promise<void>((resolve, reject) => {
    call.on('data', (event: PartitionEvent__Output) => {
      events.push(event);
      if (event.event === 'result') log.push('result');
    });
    call.on('error', reject);
    call.on('end', resolve);
  });
  assert.equal(events.at(-1)?.event, 'result', JSON.stringify(events.at(-1)));
  assert.deepEqual(log, ['pin a1a1', 'get a1a1', 'unpin a1a1', 'result']);
});

test('GetStatus reports the dataset cache, disk use and evictions included', async () => {
  const status = await new Promise<AgentStatus__Output>((resolve, reject) => client.GetStatus({}, (error, value) => (error ? reject(error) : resolve(value!))));
  assert.deepEqual(
    [status.datasetCacheHits, status.datasetCacheMisses, status.datasetCacheMemoryBytes, status.datasetCacheDiskBytes, status.datasetCacheDiskEntries, status.datasetCacheDiskEvictions].map(Number),
    [1, 2, 48, 4096, 3, 5],
  );
});

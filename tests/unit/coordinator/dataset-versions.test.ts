import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { appendPlan, chunkCount, CHUNK_VALUES, ColumnChunker } from '../../../coordinator/datasets/dataset-chunks.js';
import { expiredDatasets } from '../../../coordinator/datasets/dataset-retention.js';
import { followProblem, type StoredDatasetInfo } from '../../../coordinator/datasets/dataset-store.js';
import { describeUse, jobDatasetIds, templateDatasetId, templateDatasetName } from '../../../coordinator/datasets/dataset-usage.js';
import type { SubmitJobRequest__Output } from '../../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { isDatasetTag } from '../../../shared/quant/dataset-tag.js';

/** The chunks a chunker writes for values pushed in the given pieces, as arrays of numbers. */
async function chunksOf(pieces: Float64Array[]): Promise<number[][]> {
  const chunks: number[][] = [];
  const chunker = new ColumnChunker(async (bytes) => {
    chunks.push(Array.from(new Float64Array(bytes.slice().buffer)));
  });
  for (const piece of pieces) await chunker.push(piece);
  await chunker.finish();
  return chunks;
}

describe('column chunks', () => {
  it('cut any stream of values into chunks of CHUNK_VALUES, the last shorter, whatever pieces the values come in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 * CHUNK_VALUES + 7 }), fc.array(fc.integer({ min: 1, max: CHUNK_VALUES + 3 }), { minLength: 1, maxLength: 8 }), async (total, cuts) => {
        const values = Float64Array.from({ length: total }, (_, i) => i * 0.5);
        const pieces: Float64Array[] = [];
        for (let at = 0, k = 0; at < total; k++) {
          const n = Math.min(cuts[k % cuts.length], total - at);
          pieces.push(values.subarray(at, at + n));
          at += n;
        }
        const chunks = await chunksOf(pieces);
        assert.equal(chunks.length, chunkCount(total));
        for (const [i, chunk] of chunks.entries()) {
          const start = i * CHUNK_VALUES;
          assert.deepEqual(chunk, Array.from(values.subarray(start, Math.min(total, start + CHUNK_VALUES))));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('an append keeps the parent\'s full chunks and rewrites its partial last one', () => {
    assert.deepEqual(appendPlan(0), { keptChunks: 0, tailValues: 0 });
    assert.deepEqual(appendPlan(CHUNK_VALUES - 1), { keptChunks: 0, tailValues: CHUNK_VALUES - 1 });
    assert.deepEqual(appendPlan(CHUNK_VALUES), { keptChunks: 1, tailValues: 0 });
    assert.deepEqual(appendPlan(2 * CHUNK_VALUES + 5), { keptChunks: 2, tailValues: 5 });
    // The kept chunks and the tail rebuild the parent's column: kept × CHUNK_VALUES + tail = its bars.
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (bars) => {
      const { keptChunks, tailValues } = appendPlan(bars);
      return keptChunks * CHUNK_VALUES + tailValues === bars && tailValues < CHUNK_VALUES && keptChunks <= chunkCount(bars);
    }));
  });
});

describe('appended bars follow the stored ones', () => {
  const hour = 3_600_000;
  const parent = { lastTimeMs: Date.UTC(2024, 0, 1, 23), timeframe: '1h' as const };
  it('at least one timeframe after the last bar; not at or before it', () => {
    assert.equal(followProblem(parent, parent.lastTimeMs + hour), undefined);
    assert.equal(followProblem(parent, parent.lastTimeMs + 5 * hour), undefined, 'a gap is fine');
    assert.match(followProblem(parent, parent.lastTimeMs)!, /^the first new bar \(2024-01-01T23:00:00.000Z\) is not after the dataset's last bar \(2024-01-01T23:00:00.000Z\)/);
    assert.match(followProblem(parent, parent.lastTimeMs - hour)!, /is not after the dataset's last bar/);
    assert.match(followProblem(parent, parent.lastTimeMs + hour / 2)!, /does not follow the dataset's last bar .* on the 1h grid/);
  });
  it('a 1M bar in a later month', () => {
    const monthly = { lastTimeMs: Date.UTC(2024, 0, 1), timeframe: '1M' as const };
    assert.equal(followProblem(monthly, Date.UTC(2024, 1, 1)), undefined);
    assert.match(followProblem(monthly, Date.UTC(2024, 0, 15))!, /does not follow/);
  });
});

describe('tag names', () => {
  it('start with a letter, 1 to 64 of A-Z a-z 0-9 . _ -, never a content id or the synthetic dataset', () => {
    for (const name of ['BTCUSDT-1h', 'a', 'btc.daily_v2', 'x'.repeat(64), 'abc', 'cafe12345ab']) assert.ok(isDatasetTag(name), name);
    for (const name of ['', '1h-btc', '-x', 'a b', 'a/b', 'sha256:abc', 'x'.repeat(65), 'f'.repeat(64), 'abcdef012345', 'ABCDEF012345', 'synthetic', 42]) {
      assert.ok(!isDatasetTag(name), String(name));
    }
  });
});

describe('what uses a dataset', () => {
  const ID = 'ab'.repeat(32);
  const template = (name: string): SubmitJobRequest__Output => ({ spec: { kind: 'backtest', backtest: { dataset: { name } } } }) as unknown as SubmitJobRequest__Output;
  it('a template names a dataset by id or tag; through the tags, it is one version', () => {
    assert.equal(templateDatasetName(template(`sha256:${ID}`)), `sha256:${ID}`);
    assert.equal(templateDatasetId(template(`sha256:${ID}`), new Map()), ID);
    assert.equal(templateDatasetId(template('BTC-1h'), new Map([['BTC-1h', ID]])), ID);
    assert.equal(templateDatasetId(template('BTC-1h'), new Map()), undefined);
    assert.equal(templateDatasetId({ spec: { kind: 'noop', noop: {} } } as unknown as SubmitJobRequest__Output, new Map()), undefined);
    assert.equal(templateDatasetName({ spec: null } as unknown as SubmitJobRequest__Output), undefined);
  });
  it('a queued job reads the datasets its kind says its spec reads', () => {
    const dataset = { name: `sha256:${ID}`, bars: 500, seed: 0 };
    assert.deepEqual(jobDatasetIds({ data: { kind: 'backtest', kindSpec: { dataset } } as never }), [ID]);
    assert.deepEqual(jobDatasetIds({ data: { kind: 'noop', kindSpec: { partitions: 1 } } as never }), []);
    assert.deepEqual(jobDatasetIds({ data: { kind: 'retired-kind', kindSpec: {} } as never }), []);
  });
  it('a use is told in one line', () => {
    assert.equal(describeUse({ runningJobs: ['7'], schedules: ['nightly'], tags: ['BTC-1h'] }), 'job 7, schedule nightly, tag BTC-1h');
    assert.equal(describeUse({ runningJobs: [], schedules: [], tags: [] }), '');
  });
});

describe('dataset retention', () => {
  const DAY = 86_400_000;
  const info = (id: string, importedAtMs: number) => ({ id, importedAtMs }) as StoredDatasetInfo;
  it('removes versions stored longer than the retention ago that nothing refers to, and only those', () => {
    const now = 100 * DAY;
    const all = [info('old-unused', now - 8 * DAY), info('old-used', now - 30 * DAY), info('new-unused', now - DAY), info('exactly', now - 7 * DAY)];
    assert.deepEqual(expiredDatasets(all, new Set(['old-used']), 7 * DAY, now).map((d) => d.id), ['old-unused']);
    assert.deepEqual(expiredDatasets(all, new Set(), 7 * DAY, now).map((d) => d.id), ['old-unused', 'old-used']);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { importDatasetStream } from '../../../coordinator/datasets/dataset-stream-import.js';
import { DatasetStore, type ImportHeader } from '../../../coordinator/datasets/dataset-store.js';
import { FailedPrecondition, ValidationError } from '../../../shared/errors.js';
import type { ImportDatasetChunk__Output } from '../../../shared/generated/quantgrid/v1/ImportDatasetChunk.js';
import type { OhlcvColumnBlocks } from '../../../shared/quant/data-import/ohlcv-column-blocks.js';

/** A store whose writes are recorded, not sent to Redis (the checks of the header are the real ones). */
class RecordingStore extends DatasetStore {
  stored: Array<{ bars: number }> = [];
  constructor() {
    super({} as Redis, 'test');
  }
  override async putColumns(header: Pick<ImportHeader, 'symbol' | 'timeframe'>, bars: OhlcvColumnBlocks) {
    this.stored.push({ bars: bars.length });
    return { id: 'x', symbol: header.symbol, timeframe: header.timeframe, bars: bars.length, firstTimeMs: bars.first, lastTimeMs: bars.last, bytes: 0, importedAtMs: 0, alreadyPresent: false };
  }
}

const CSV = Buffer.from('timestamp,open,high,low,close,volume\n1699999200000,1,2,0.5,1,1\n1700002800000,1,2,0.5,1,1\n');
const header = (extra: object = {}): ImportDatasetChunk__Output => ({ part: 'header', header: { symbol: 'ABC', timeframe: '1h', format: '', totalBytes: 0, allowNonPositive: false, dataset: '', ...extra } });
const content = (data: Buffer): ImportDatasetChunk__Output => ({ part: 'content', content: data });
const end = (value = true): ImportDatasetChunk__Output => ({ part: 'end', end: value });

async function* messages(list: ImportDatasetChunk__Output[], breakOff = false): AsyncGenerator<ImportDatasetChunk__Output> {
  yield* list;
  if (breakOff) throw new Error('Premature close');
}

async function fieldOf(list: ImportDatasetChunk__Output[]): Promise<string> {
  const store = new RecordingStore();
  try {
    await importDatasetStream(store, messages(list), () => false);
  } catch (error) {
    assert.equal(store.stored.length, 0, 'nothing stored');
    assert.ok(error instanceof ValidationError, String(error));
    return error.field;
  }
  assert.fail('expected a ValidationError');
}

describe('ImportDatasetStream', () => {
  it('a whole file, however it is cut, with an end message or its declared size', async () => {
    for (const list of [
      [header(), content(CSV), end()],
      [header(), content(CSV.subarray(0, 2)), content(CSV.subarray(2, 3)), content(CSV.subarray(3)), end()],
      [header({ totalBytes: CSV.length }), content(CSV)],
    ]) {
      const store = new RecordingStore();
      const info = await importDatasetStream(store, messages(list), () => false);
      assert.equal(info.bars, 2);
      assert.deepEqual(store.stored, [{ bars: 2 }]);
    }
  });

  it('refuses, naming the field, and stores nothing', async () => {
    assert.equal(await fieldOf([content(CSV), end()]), 'header');
    assert.equal(await fieldOf([header(), header(), content(CSV), end()]), 'header');
    assert.equal(await fieldOf([{ part: 'header', header: { symbol: 'a b', timeframe: '1h', format: '', totalBytes: 0, allowNonPositive: false, dataset: '' } }, content(CSV), end()]), 'symbol');
    assert.equal(await fieldOf([header(), content(Buffer.alloc(1024 * 1024 + 1)), end()]), 'content');
    assert.equal(await fieldOf([header({ totalBytes: 10 }), content(CSV), end()]), 'content');
    assert.equal(await fieldOf([header({ totalBytes: CSV.length + 1 }), content(CSV), end()]), 'content');
    assert.equal(await fieldOf([header(), content(CSV)]), 'end');
    assert.equal(await fieldOf([header(), content(CSV), end(false)]), 'end');
    assert.equal(await fieldOf([header(), content(CSV), end(), content(CSV)]), 'end');
    assert.equal(await fieldOf([header(), end()]), 'content');
    assert.equal(await fieldOf([header({ format: 'binance' }), content(Buffer.from('PAR1xxxx')), end()]), 'content');
    assert.equal(await fieldOf([header(), content(Buffer.from('timestamp,open\n1,2\n')), end()]), 'content');
  });

  it('a price of 0 or below is refused on content unless the header allows it; bars much coarser than the timeframe on the timeframe', async () => {
    const zero = Buffer.from('timestamp,open,high,low,close,volume\n1699999200000,1,2,0.5,1,1\n1700002800000,1,2,0,1,1\n');
    assert.equal(await fieldOf([header(), content(zero), end()]), 'content');
    const store = new RecordingStore();
    assert.equal((await importDatasetStream(store, messages([header({ allowNonPositive: true }), content(zero), end()]), () => false)).bars, 2);
    const hours = Buffer.from(['timestamp,open,high,low,close,volume', ...Array.from({ length: 10 }, (_, i) => `${1699999200000 + i * 3_600_000},1,2,0.5,1,1`)].join('\n'));
    assert.equal(await fieldOf([header({ timeframe: '5m' }), content(hours), end()]), 'timeframe');
    assert.equal(await fieldOf([header({ allowNonPositive: 'yes' }), content(CSV), end()]), 'allow_non_positive');
  });

  it('a stream that breaks off or was cancelled stores nothing', async () => {
    const store = new RecordingStore();
    await assert.rejects(importDatasetStream(store, messages([header(), content(CSV)], true), () => false), FailedPrecondition);
    await assert.rejects(importDatasetStream(store, messages([header(), content(CSV), end()]), () => true), FailedPrecondition);
    assert.equal(store.stored.length, 0);
  });
});

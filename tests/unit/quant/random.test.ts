import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hash32, mulberry32, normalSampler, seededRandom } from '../../../shared/quant/random.js';

describe('random', () => {
  it('mulberry32 is deterministic per seed and uniform in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const c = mulberry32(124);
    const n = 50_000;
    let sum = 0;
    let differs = 0;
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) {
      const x = a();
      assert.equal(x, b());
      if (x !== c()) differs++;
      assert.ok(x >= 0 && x < 1);
      sum += x;
      buckets[Math.floor(x * 10)]++;
    }
    assert.ok(differs > n * 0.99);
    assert.ok(Math.abs(sum / n - 0.5) < 0.01);
    for (const count of buckets) assert.ok(Math.abs(count - n / 10) < n / 10 * 0.06, `bucket ${count}`);
  });

  it('the normal sampler has mean 0, variance 1 and thin tails', () => {
    const normal = normalSampler(mulberry32(99));
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let beyond3 = 0;
    for (let i = 0; i < n; i++) {
      const z = normal();
      assert.ok(Number.isFinite(z));
      sum += z;
      sumSq += z * z;
      if (Math.abs(z) > 3) beyond3++;
    }
    const mean = sum / n;
    assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
    assert.ok(Math.abs(sumSq / n - mean * mean - 1) < 0.03, `variance ${sumSq / n}`);
    // P(|Z| > 3) ≈ 0.27%.
    assert.ok(beyond3 > n * 0.0015 && beyond3 < n * 0.004, `tails ${beyond3}`);
  });

  it('seededRandom streams repeat for the same seed', () => {
    const first = seededRandom(5);
    const second = seededRandom(5);
    for (let i = 0; i < 100; i++) {
      assert.equal(first.normal(), second.normal());
      assert.equal(first.uniform(), second.uniform());
    }
  });

  it('hash32 is a deterministic unsigned 32-bit hash that separates its parts', () => {
    assert.equal(hash32(42, 'BTC', '1h'), hash32(42, 'BTC', '1h'));
    const h = hash32(42, 'BTC', '1h');
    assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff);
    assert.notEqual(hash32('ab', 'c'), hash32('a', 'bc'));
    assert.notEqual(hash32(1), hash32('1'));
    assert.notEqual(hash32(42, 'BTC', '1h'), hash32(43, 'BTC', '1h'));
    assert.notEqual(hash32(42, 'BTC', '1h'), hash32(42, 'ETH', '1h'));
    assert.notEqual(hash32(42, 'BTC', '1h'), hash32(42, 'BTC', '4h'));
  });
});

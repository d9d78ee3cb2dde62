import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from '../../../shared/metrics/hot-path-metrics.js';

const BUCKETS = [0.001, 0.01, 0.1, 1, 10];

/** The sample lines of a registry's exposition, sorted (prom-client's own metrics are the reference). */
async function samples(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((line) => line !== '' && !line.startsWith('#')).sort();
}

test('a HotHistogram and a HotCounter expose exactly what prom-client\'s Histogram and Counter do for the same observations', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom('noop', 'backtest'), fc.oneof(fc.constantFrom(...BUCKETS), fc.double({ min: 0, max: 50, noNaN: true }))), { maxLength: 60 }),
      async (observations) => {
        const hot = new Registry();
        const reference = new Registry();
        const hotHistogram = new HotHistogram('t_seconds', 'h', ['kind'], BUCKETS, hot);
        const hotCounter = new HotCounter('t_total', 'c', ['kind'], hot);
        const histogram = new Histogram({ name: 't_seconds', help: 'h', labelNames: ['kind'], buckets: BUCKETS, registers: [reference] });
        const counter = new Counter({ name: 't_total', help: 'c', labelNames: ['kind'], registers: [reference] });
        for (const [kind, value] of observations) {
          hotHistogram.child(kind).observe(value);
          hotCounter.child(kind).inc();
          histogram.observe({ kind }, value);
          counter.inc({ kind });
        }
        const [ours, theirs] = [await samples(hot), await samples(reference)];
        // Sums may differ in the last bits only by the order of additions: compare them as numbers.
        const split = (lines: string[]) => ({ exact: lines.filter((line) => !line.includes('_sum')), sums: lines.filter((line) => line.includes('_sum')) });
        assert.deepEqual(split(ours).exact, split(theirs).exact);
        split(ours).sums.forEach((line, i) => assert.ok(Math.abs(Number(line.split(' ')[1]) - Number(split(theirs).sums[i].split(' ')[1])) < 1e-9));
      },
    ),
  );
});

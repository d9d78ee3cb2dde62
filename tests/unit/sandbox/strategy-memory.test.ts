/**
 * What an agent keeps of users' strategies is bounded: its StrategyCache by count and bytes (least
 * recently used out; what it drops is fetched again), a worker thread only the sandboxes of its
 * partition (the others' isolates disposed and definitions uninstalled), and a process's installed
 * definitions as an LRU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { StrategyCache } from '../../../node-agent/strategy-cache.js';
import { strategyDefinition } from '../../../shared/quant/strategies/index.js';
import { definitionOfManifest } from '../../../shared/quant/strategies/sdk-strategy.js';
import { installUserStrategy, MAX_INSTALLED } from '../../../shared/quant/strategies/user-strategies.js';
import { installSandboxedStrategy, newPartition, sandboxedStrategyCount } from '../../../shared/sandbox/sandbox-registry.js';

const MANIFEST = { name: 'x', description: '', params: [], constraints: [] };
const idOf = (code: string) => createHash('sha256').update(code).digest('hex');
const MANIFEST_BYTES = Buffer.byteLength(JSON.stringify(MANIFEST));

function countingCache(limits: { maxEntries?: number; maxBytes?: number }) {
  const fetched: string[] = [];
  const codes = new Map<string, string>();
  const cache = new StrategyCache(async (id) => {
    fetched.push(id);
    return { code: codes.get(id)!, manifest: MANIFEST };
  }, limits);
  const add = (code: string) => {
    codes.set(idOf(code), code);
    return idOf(code);
  };
  return { cache, fetched, add };
}

test('the agent strategy cache keeps at most maxEntries bundles, least recently used out, and fetches a dropped one again', async () => {
  const { cache, fetched, add } = countingCache({ maxEntries: 2 });
  const [a, b, c] = ['var a;', 'var b;', 'var c;'].map(add);
  await cache.get(a, 's');
  await cache.get(b, 's');
  await cache.get(a, 's'); // a is now the most recent
  await cache.get(c, 's'); // b goes
  assert.equal(cache.stats.entries, 2);
  assert.deepEqual(fetched, [a, b, c]);
  await cache.get(a, 's');
  await cache.get(c, 's');
  assert.deepEqual(fetched, [a, b, c], 'a and c stayed');
  await cache.get(b, 's');
  assert.deepEqual(fetched, [a, b, c, b], 'b was dropped, so fetched again');
});

test('the agent strategy cache keeps at most maxBytes of bundles, and uses one larger than that without keeping it', async () => {
  const size = 1_000;
  const { cache, fetched, add } = countingCache({ maxBytes: 2 * (size + MANIFEST_BYTES) + 10 });
  const bundle = (letter: string, bytes: number) => `var ${letter}=${'x'.repeat(bytes - 7)};`;
  const [a, b, c] = ['a', 'b', 'c'].map((l) => add(bundle(l, size)));
  for (const id of [a, b, c]) await cache.get(id, 's');
  assert.equal(cache.stats.entries, 2);
  assert.equal(cache.stats.bytes, 2 * (size + MANIFEST_BYTES));
  const big = add(bundle('d', 3 * size));
  assert.equal((await cache.get(big, 's')).code.length, 3 * size);
  assert.deepEqual(cache.stats, { entries: 2, bytes: 2 * (size + MANIFEST_BYTES) }, 'too big to keep; the others stay');
  await cache.get(big, 's');
  assert.equal(fetched.filter((id) => id === big).length, 2);
  cache.delete(b);
  cache.delete(c);
  assert.deepEqual(cache.stats, { entries: 0, bytes: 0 });
});

test("a worker keeps only its partition's sandboxed strategies: the others are disposed and uninstalled", () => {
  const code = "var __strategyModule = { default: { sdkVersion: 1, name: 'p', params: {}, indicators: () => ({}), rule: () => 0 } };";
  const refs = ['p@1', 'p@2', 'p@3'];
  for (const ref of refs) installSandboxedStrategy(ref, code, MANIFEST);
  assert.equal(sandboxedStrategyCount(), 3);
  newPartition(['p@2']);
  assert.equal(sandboxedStrategyCount(), 1);
  assert.equal(strategyDefinition('p@1'), undefined);
  assert.equal(strategyDefinition('p@3'), undefined);
  assert.ok(strategyDefinition('p@2'));
  newPartition([]);
  assert.equal(sandboxedStrategyCount(), 0);
  assert.equal(strategyDefinition('p@2'), undefined);
});

test('installed user strategies are an LRU: one looked up stays while others are installed past the limit', () => {
  const definition = (ref: string) => definitionOfManifest(MANIFEST, () => undefined, ref);
  installUserStrategy('lru@keep', definition('lru@keep'));
  installUserStrategy('lru@drop', definition('lru@drop'));
  for (let i = 0; i < MAX_INSTALLED - 2; i++) installUserStrategy(`lru@${i}`, definition(`lru@${i}`));
  assert.ok(strategyDefinition('lru@keep'), 'looked up: now the most recent');
  installUserStrategy('lru@new', definition('lru@new'));
  assert.equal(strategyDefinition('lru@drop'), undefined, 'the least recently used went');
  assert.ok(strategyDefinition('lru@keep'));
  assert.ok(strategyDefinition('lru@new'));
});

/**
 * The metrics as registered, the table of docs/metrics.md and the Grafana dashboard agree, and the
 * names follow Prometheus' conventions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CoordinatorMetrics } from '../../../coordinator/metrics/coordinator-metrics.js';
import { AgentMetrics } from '../../../node-agent/agent-metrics.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

async function registered(): Promise<Map<string, string>> {
  const coordinator = new CoordinatorMetrics({ table: { all: () => [], stateOf: () => 'ready' }, queuedPartitions: () => 0, runningPartitions: () => 0, jobCounts: async () => ({}), redis: { ping: async () => 'PONG' } });
  const agent = new AgentMetrics({ counters: { completed: 0, failed: 0, cancelled: 0, refused: 0 }, slots: 1, busySlots: () => 0, draining: () => false, cpuLoad: () => 0, datasets: () => undefined, indicatorCache: () => ({ hits: 0, misses: 0, computedBytes: 0 }) });
  const types = new Map<string, string>();
  for (const registry of [coordinator.registry, agent.registry]) for (const metric of await registry.getMetricsAsJSON()) types.set(metric.name, String(metric.type));
  return types;
}

test('quantgrid metrics: prefixed, _total counters, base units, and each documented in docs/metrics.md', async () => {
  const types = await registered();
  const ours = [...types].filter(([name]) => name.startsWith('quantgrid_'));
  assert.ok(ours.length >= 25, `${ours.length} metrics`);
  for (const [name, type] of ours) {
    assert.match(name, /^quantgrid_[a-z][a-z0-9_]*$/);
    if (type === 'counter') assert.match(name, /_total$/, `${name}: a counter ends in _total`);
    else assert.doesNotMatch(name, /_total$/, `${name}: only counters end in _total`);
    if (type === 'histogram') assert.match(name, /_seconds$/, `${name}: histograms here measure seconds`);
    assert.doesNotMatch(name, /_(ms|milliseconds|kb|mb|mib|percent)(_|$)/, `${name}: base units`);
  }
  const doc = readFileSync(`${REPO_ROOT}docs/metrics.md`, 'utf8');
  const documented = new Map([...doc.matchAll(/^\| `(quantgrid_[a-z0-9_]+)` \| (counter|gauge|histogram) \|/gm)].map((m) => [m[1], m[2]]));
  assert.deepEqual([...documented.keys()].sort(), ours.map(([name]) => name).sort(), 'the table lists exactly the registered metrics');
  for (const [name, type] of ours) assert.equal(documented.get(name), type, `${name} is documented as a ${type}`);
});

test('the Grafana dashboard queries only metrics that exist', async () => {
  const types = await registered();
  const dashboard = JSON.parse(readFileSync(`${REPO_ROOT}deploy/grafana/quantgrid-dashboard.json`, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  assert.ok(dashboard.panels.length >= 10);
  for (const panel of dashboard.panels) {
    for (const { expr } of panel.targets) {
      const names = [...expr.matchAll(/\b((?:quantgrid|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]);
      assert.ok(names.length > 0, `${panel.title}: ${expr}`);
      for (const name of names) {
        const base = types.get(name) === undefined ? name.replace(/_(bucket|count|sum)$/, '') : name;
        assert.ok(types.has(base), `${panel.title}: ${name} is no metric`);
        if (base !== name) assert.equal(types.get(base), 'histogram', `${panel.title}: ${name}`);
      }
    }
  }
});

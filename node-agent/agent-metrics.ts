import { Gauge, Histogram, type Registry } from 'prom-client';
import { createMetricsRegistry, cumulativeCounter, METRIC_PREFIX } from '../shared/metrics/metrics-registry.js';
import type { IndicatorCacheTotals } from '../shared/quant/strategies/indicator-cache.js';
import type { AgentCounters } from './agent-service.js';
import type { DatasetCacheStats } from './dataset-cache.js';

const COMPUTE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** What the agent's metrics read when scraped. */
export interface AgentMetricsSources {
  counters: Readonly<AgentCounters>;
  slots: number;
  busySlots: () => number;
  draining: () => boolean;
  cpuLoad: () => number;
  datasets: () => DatasetCacheStats | undefined;
  indicatorCache: () => IndicatorCacheTotals;
}

/**
 * A node agent's Prometheus metrics (docs/metrics.md has the table): its partitions by outcome and
 * compute time, slots, and its dataset and indicator caches. Counts the agent keeps anyway are read
 * at scrape time; the compute-time histogram is observed once per partition.
 */
export class AgentMetrics {
  readonly registry: Registry;
  private readonly compute: Histogram<'kind'>;

  constructor(sources: AgentMetricsSources, registry: Registry = createMetricsRegistry()) {
    this.registry = registry;
    const registers = [registry];
    const p = `${METRIC_PREFIX}agent_`;
    const { counters } = sources;
    cumulativeCounter(registry, `${p}partitions_total`, 'Partitions this agent was asked to run, by outcome: completed, failed (error event), cancelled (by the coordinator), refused (before running: no free slot, draining, bad request)', ['outcome'], () => [
      [{ outcome: 'completed' }, counters.completed],
      [{ outcome: 'failed' }, counters.failed],
      [{ outcome: 'cancelled' }, counters.cancelled],
      [{ outcome: 'refused' }, counters.refused],
    ]);
    this.compute = new Histogram({ name: `${p}partition_compute_seconds`, help: 'Time run() took in the worker thread for partitions that completed, by task kind', labelNames: ['kind'], buckets: COMPUTE_BUCKETS, registers });
    new Gauge({ name: `${p}slots`, help: 'Worker threads (partitions run at once)', registers, collect() { this.set(sources.slots); } });
    new Gauge({ name: `${p}slots_in_use`, help: 'Worker threads running (or reserved for) a partition', registers, collect() { this.set(sources.busySlots()); } });
    new Gauge({ name: `${p}draining`, help: '1 while the agent drains (refuses new partitions before it stops)', registers, collect() { this.set(sources.draining() ? 1 : 0); } });
    new Gauge({ name: `${p}cpu_load_ratio`, help: "The machine's CPU use, 0..1, as the agent reports it to coordinators", registers, collect() { this.set(sources.cpuLoad()); } });

    const datasets = (): DatasetCacheStats => sources.datasets() ?? { hits: 0, diskHits: 0, misses: 0, bytesFetched: 0, memoryBytes: 0, entries: 0, diskBytes: 0, diskEntries: 0, diskEvictions: 0 };
    cumulativeCounter(registry, `${p}dataset_cache_requests_total`, 'Stored-dataset requests of partitions, by result: memory-hit, disk-hit, miss (fetched from the coordinator)', ['result'], () => {
      const stats = datasets();
      return [
        [{ result: 'memory-hit' }, stats.hits - stats.diskHits],
        [{ result: 'disk-hit' }, stats.diskHits],
        [{ result: 'miss' }, stats.misses],
      ];
    });
    cumulativeCounter(registry, `${p}dataset_fetched_bytes_total`, 'Encoded dataset bytes fetched from the coordinator', [], () => [[{}, datasets().bytesFetched]]);
    cumulativeCounter(registry, `${p}dataset_cache_disk_evictions_total`, 'Files deleted from the disk cache to keep within its byte budget', [], () => [[{}, datasets().diskEvictions]]);
    new Gauge({
      name: `${p}dataset_cache_bytes`,
      help: 'Bytes held by the stored-dataset cache, by tier: memory (decoded), disk (encoded)',
      labelNames: ['tier'],
      registers,
      collect() {
        const stats = datasets();
        this.set({ tier: 'memory' }, stats.memoryBytes);
        this.set({ tier: 'disk' }, stats.diskBytes);
      },
    });
    new Gauge({
      name: `${p}dataset_cache_entries`,
      help: 'Datasets in the stored-dataset cache, by tier: memory, disk',
      labelNames: ['tier'],
      registers,
      collect() {
        const stats = datasets();
        this.set({ tier: 'memory' }, stats.entries);
        this.set({ tier: 'disk' }, stats.diskEntries);
      },
    });
    cumulativeCounter(registry, `${p}indicator_cache_lookups_total`, "Indicator-array lookups of backtests in the worker threads, by result: hit, miss (computed); as of each thread's last finished partition", ['result'], () => {
      const totals = sources.indicatorCache();
      return [
        [{ result: 'hit' }, totals.hits],
        [{ result: 'miss' }, totals.misses],
      ];
    });
    cumulativeCounter(registry, `${p}indicator_cache_computed_bytes_total`, 'Bytes of indicator arrays computed on indicator-cache misses', [], () => [[{}, sources.indicatorCache().computedBytes]]);
  }

  /** A partition ran to a result; computeMs: the time run() took. */
  completed(kind: string, computeMs: number): void {
    this.compute.observe({ kind }, computeMs / 1000);
  }
}

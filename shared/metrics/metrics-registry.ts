/**
 * The one Prometheus registry of a process: prom-client's default metrics under their standard
 * names (process_cpu_seconds_total, process_resident_memory_bytes, nodejs_eventloop_lag_seconds,
 * nodejs_heap_size_used_bytes, …, so stock dashboards read them), plus the process's own
 * quantgrid_* metrics (coordinator/metrics/, node-agent/agent-metrics.ts). docs/metrics.md lists them.
 */
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

export const METRIC_PREFIX = 'quantgrid_';

export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  // Event-loop lag sampled every 10 ms (prom-client's monitorEventLoopDelay resolution).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return registry;
}

/**
 * A counter whose value is kept elsewhere (a count the process already has): read at each scrape.
 * `read` returns the current totals by label values; they only ever grow.
 */
export function cumulativeCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => ReadonlyArray<readonly [Partial<Record<L, string>>, number]>,
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels as Partial<Record<L, string | number>>, value);
    },
  });
}

/**
 * Counters and histograms for a hot path (the dispatcher: a few per partition, thousands a second).
 * prom-client's own hash the label values on every inc() and observe(), about a microsecond each;
 * these look a label set up once (`child(...)`) and then only add to plain numbers. They are read
 * when scraped, in prom-client's exposition format, from the same registry as the others.
 */
import type { Metric, Registry } from 'prom-client';

interface Exported {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>;
}

abstract class HotMetric<Child> {
  readonly aggregator = 'sum' as const;
  protected readonly children = new Map<string, { labels: Record<string, string>; child: Child }>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  protected abstract create(): Child;

  /** The series of these label values (in labelNames order), created on first use: keep it and add to it. */
  child(...values: string[]): Child {
    const key = values.length === 1 ? values[0] : values.join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((label, i) => (labels[label] = values[i] ?? ''));
      entry = { labels, child: this.create() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  reset(): void {
    this.children.clear();
  }

  abstract get(): Promise<Exported>;
}

export class HotCounter extends HotMetric<{ value: number; inc(by?: number): void }> {
  readonly type = 'counter' as const;

  protected create(): { value: number; inc(by?: number): void } {
    return {
      value: 0,
      inc(by = 1) {
        this.value += by;
      },
    };
  }

  async get(): Promise<Exported> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.children.values()].map(({ labels, child }) => ({ labels, value: child.value })) };
  }
}

export interface HotHistogramSeries {
  observe(value: number): void;
}

export class HotHistogram extends HotMetric<HotHistogramSeries & { counts: Float64Array; sum: number; count: number }> {
  readonly type = 'histogram' as const;

  constructor(name: string, help: string, labelNames: readonly string[], private readonly buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }

  protected create(): HotHistogramSeries & { counts: Float64Array; sum: number; count: number } {
    const buckets = this.buckets;
    return {
      // Per bucket, the observations that fell in it (not cumulative); the last one is +Inf.
      counts: new Float64Array(buckets.length + 1),
      sum: 0,
      count: 0,
      observe(value: number) {
        let i = 0;
        while (i < buckets.length && value > buckets[i]) i++;
        this.counts[i] += 1;
        this.sum += value;
        this.count += 1;
      },
    };
  }

  async get(): Promise<Exported> {
    const values: Exported['values'] = [];
    for (const { labels, child } of this.children.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += child.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: child.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: child.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: child.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

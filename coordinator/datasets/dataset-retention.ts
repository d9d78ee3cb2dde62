import { NotFound } from '../../shared/errors.js';
import type { Logger } from '../../shared/logging.js';
import { startPeriodicSweep } from '../../shared/periodic-sweep.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { DatasetStore, StoredDatasetInfo } from './dataset-store.js';
import type { DatasetReferences } from './dataset-usage.js';

/** The versions a sweep at `now` removes: stored longer than `retentionMs` ago and referred to by nothing. */
export function expiredDatasets(datasets: readonly StoredDatasetInfo[], referenced: ReadonlySet<string>, retentionMs: number, now: number): StoredDatasetInfo[] {
  return datasets.filter((info) => !referenced.has(info.id) && now - info.importedAtMs > retentionMs);
}

/**
 * Datasets expire like jobs: a version no kept job, tag or schedule refers to is removed once it was
 * stored more than the retention time ago (the coordinator's --retention, the jobs' own). A job
 * keeps the versions it read for as long as the job itself is kept. Every coordinator sweeps; a
 * version removed by another meanwhile is simply gone.
 */
export class DatasetRetention {
  private stopSweeps: (() => void) | undefined;

  constructor(
    private readonly store: DatasetStore,
    private readonly references: DatasetReferences,
    private readonly retentionMs: number,
    private readonly audit: AuditLog,
    private readonly log: Logger,
  ) {}

  /** One sweep; returns the ids removed. */
  async sweep(now = Date.now()): Promise<string[]> {
    const referenced = await this.references.referencedIds();
    const removed: string[] = [];
    for (const info of expiredDatasets(await this.store.list(), referenced, this.retentionMs, now)) {
      try {
        const freedBytes = await this.store.remove(info.id);
        removed.push(info.id);
        this.log.info({ dataset: info.id, freedBytes }, 'dataset expired');
        await this.audit.append({ user: 'coordinator', action: 'dataset.expire', target: `sha256:${info.id}`, detail: `${info.symbol} ${info.timeframe}, ${info.bars} bars, unused for the retention time` });
      } catch (error) {
        if (!(error instanceof NotFound)) throw error;
      }
    }
    return removed;
  }

  /** Sweeps every `intervalMs` (and once soon after the start). */
  start(intervalMs: number): void {
    this.stopSweeps = startPeriodicSweep(() => this.sweep(), intervalMs, this.log, 'dataset retention sweep');
  }

  stop(): void {
    this.stopSweeps?.();
  }
}

import type { Job as BullJob } from 'bullmq';
import type { Logger } from '../../shared/logging.js';
import { startPeriodicSweep } from '../../shared/periodic-sweep.js';
import { parseStrategyRef } from '../../shared/sandbox/strategy-ref.js';
import { taskKindByName } from '../../shared/tasks/registry.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { QueuedJobData } from '../jobs/job-model.js';
import type { StrategyStore } from './strategy-store.js';

/** What the sweep reads besides the store: the strategy references ("name@id") of every kept job. */
export type KeptJobStrategyRefs = () => Promise<string[]>;

/** The exact strategy versions ("name@id") a stored job runs (its kind's own list, from its normalised spec). */
export function jobStrategyRefs(job: Pick<BullJob<QueuedJobData, string>, 'data'>): string[] {
  try {
    return taskKindByName(job.data.kind)?.strategies?.(job.data.kindSpec as never) ?? [];
  } catch {
    return [];
  }
}

/** The bundles a sweep deletes: those no name lists as a version and no kept job ran. */
export function unreferencedBundles(bundles: readonly string[], listed: ReadonlySet<string>, keptJobRefs: readonly string[]): string[] {
  const used = new Set(listed);
  for (const ref of keptJobRefs) {
    try {
      const { id } = parseStrategyRef(ref, 'strategy');
      if (id) used.add(id);
    } catch {
      // A job's recorded reference is always exact; anything else refers to no stored bundle.
    }
  }
  return bundles.filter((id) => !used.has(id));
}

/**
 * Deletes the bundles of removed strategy versions once nothing needs them: no name lists the
 * version (`strategy rm` took every listing out) and no job the job store keeps ran it (a kept job
 * can be re-run, and its cached partitions name it). Jobs leave with the job retention (--retention),
 * so a removed version's bundle goes within the retention time of its last job. Every coordinator
 * sweeps; a push racing a sweep keeps its bundle (StrategyStore.deleteUnreferenced). Agents keep
 * their copies until their cache's limits drop them (node-agent/strategy-cache.ts).
 */
export class StrategyRetention {
  private stopSweeps: (() => void) | undefined;

  constructor(
    private readonly store: StrategyStore,
    private readonly keptJobRefs: KeptJobStrategyRefs,
    private readonly audit: AuditLog,
    private readonly log: Logger,
  ) {}

  /** One sweep; returns the ids deleted. */
  async sweep(): Promise<string[]> {
    const lookedAtUs = await this.store.redisTimeUs();
    const [bundles, listed, refs] = await Promise.all([this.store.bundleIds(), this.store.listedIds(), this.keptJobRefs()]);
    const deleted: string[] = [];
    for (const id of unreferencedBundles(bundles, listed, refs)) {
      const freedBytes = await this.store.deleteUnreferenced(id, lookedAtUs);
      if (freedBytes === 0) continue;
      deleted.push(id);
      this.log.info({ strategy: id, freedBytes }, 'strategy bundle deleted');
      await this.audit.append({ user: 'coordinator', action: 'strategy.expire', target: id, detail: `${freedBytes} bytes; no version lists it and no kept job ran it` });
    }
    return deleted;
  }

  /** Sweeps every `intervalMs` (and once soon after the start). */
  start(intervalMs: number): void {
    this.stopSweeps = startPeriodicSweep(() => this.sweep(), intervalMs, this.log, 'strategy retention sweep');
  }

  stop(): void {
    this.stopSweeps?.();
  }
}

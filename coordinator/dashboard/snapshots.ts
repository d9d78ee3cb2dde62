/**
 * The dashboard's views of the whole cluster — the overview, the nodes, the kept jobs — computed at
 * most once per SNAPSHOT_TTL_MS whoever asks: the live feed and every page's requests share them,
 * so that more pages open cost the coordinator and Redis no more.
 */
import type { NodesResponse, OverviewResponse } from '../../shared/dashboard/api-types.js';
import type { DashboardDeps } from './dashboard-deps.js';
import { nodesNow } from './node-list.js';
import { overview } from './overview.js';

export const SNAPSHOT_TTL_MS = 1000;

/** A value computed at most once per ttlMs (concurrent askers share one computation); a failure is not kept. */
export function sharedFor<T>(ttlMs: number, compute: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let value: Promise<T> | undefined;
  let at = 0;
  return () => {
    if (value && now() - at < ttlMs) return value;
    at = now();
    const current = compute();
    value = current;
    current.catch(() => {
      if (value === current) value = undefined;
    });
    return current;
  };
}

export class Snapshots {
  readonly overview: () => Promise<OverviewResponse>;
  readonly nodes: () => Promise<NodesResponse>;
  /** The kept jobs as JobStore.listViews describes them, newest first. */
  readonly jobs: () => ReturnType<DashboardDeps['store']['listViews']>;

  constructor(deps: Pick<DashboardDeps, 'table' | 'store' | 'samples' | 'runner'>, ttlMs = SNAPSHOT_TTL_MS) {
    this.overview = sharedFor(ttlMs, () => overview(deps));
    this.nodes = sharedFor(ttlMs, () => nodesNow(deps));
    this.jobs = sharedFor(ttlMs, () => deps.store.listViews((id) => deps.runner.liveSnapshot(id)));
  }
}

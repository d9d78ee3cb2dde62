import type { Redis } from 'ioredis';
import { LIST_AUDIT_DEFAULT, LIST_AUDIT_MAX } from '../../shared/api-limits.js';

/** What was done; one name per action on every surface (the log, `quantgrid audit`, the dashboard). */
export const AUDIT_ACTIONS = [
  'job.submit',
  'job.cancel',
  'dataset.import',
  'dataset.append',
  'dataset.tag',
  'dataset.remove',
  'dataset.untag',
  'dataset.expire',
  'strategy.push',
  'strategy.remove',
  'strategy.expire',
  'schedule.add',
  'schedule.remove',
  'schedule.pause',
  'schedule.resume',
  'schedule.run-now',
  'token.create',
  'token.revoke',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  /** Epoch ms. */
  at: number;
  user: string;
  action: AuditAction;
  /** What it was done to: a job id, dataset id, schedule or user name. */
  target: string;
  /** A short free text (a job's kind and name, a token's role…), at most 200 characters. */
  detail: string;
}

export interface AuditQuery {
  user?: string;
  /** Most entries returned, newest first (default LIST_AUDIT_DEFAULT, at most LIST_AUDIT_MAX). */
  limit?: number;
}

const MAX_DETAIL = 200;

/**
 * Who did what, and when, as one Redis stream kept for the retention time: each append trims
 * entries older than that (XADD … MINID ~, so trimming costs O(1) amortised). Entries are never
 * changed. Reading filters by user while walking back from the newest, in pages.
 */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly retentionMs: number,
    private readonly key = 'quantgrid:audit',
    private readonly now: () => number = Date.now,
  ) {}

  async append(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    const minId = Math.max(0, this.now() - this.retentionMs);
    await this.redis.xadd(
      this.key,
      'MINID',
      '~',
      String(minId),
      '*',
      'user',
      entry.user,
      'action',
      entry.action,
      'target',
      entry.target,
      'detail',
      entry.detail.length > MAX_DETAIL ? `${entry.detail.slice(0, MAX_DETAIL - 1)}…` : entry.detail,
    );
  }

  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(1, query.limit ?? LIST_AUDIT_DEFAULT), LIST_AUDIT_MAX);
    const since = this.now() - this.retentionMs;
    const entries: AuditEntry[] = [];
    let end = '+';
    const page = query.user ? 500 : limit;
    while (entries.length < limit) {
      const rows = (await this.redis.xrevrange(this.key, end, '-', 'COUNT', page)) as Array<[string, string[]]>;
      for (const [id, fields] of rows) {
        const entry = toEntry(id, fields);
        if (entry.at < since) return entries;
        if (!query.user || entry.user === query.user) entries.push(entry);
        if (entries.length === limit) return entries;
      }
      if (rows.length < page) break;
      end = `(${rows[rows.length - 1][0]}`;
    }
    return entries;
  }
}

function toEntry(id: string, fields: string[]): AuditEntry {
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i]] = fields[i + 1];
  return { at: Number(id.split('-')[0]), user: values.user ?? '', action: values.action as AuditAction, target: values.target ?? '', detail: values.detail ?? '' };
}

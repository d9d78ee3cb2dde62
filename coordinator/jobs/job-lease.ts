/**
 * Fencing: the right to run a job is BullMQ's lock on it, which this coordinator renews while it runs
 * the job. A lock can be lost without this coordinator dying — the process was paused (SIGSTOP, a
 * VM frozen) or Redis was away longer than the lock lasts — and another coordinator's stalled-job
 * check then hands the job to that one. From the moment the lock may have lapsed, this coordinator
 * must neither dispatch the job's partitions nor take in their results, or the job runs twice.
 *
 * A lease is held until whichever comes first: BullMQ reports that a renewal failed (the lock is
 * someone else's, or gone), or the lock's duration, less a safety margin, has passed since the last
 * renewal BullMQ confirmed (it may have lapsed; nobody can renew it behind our back). `held()` checks
 * the clock each time it is asked, so a coordinator resumed after a pause fences the job at its first
 * dispatch or answer, before any timer or Redis reply could tell it. Losing runs `onLost` once,
 * synchronously, from inside whichever call noticed.
 */
export class JobLease {
  private renewedAt: number;
  private lostReason: string | undefined;

  constructor(
    readonly jobId: string,
    private readonly validMs: number,
    private readonly onLost: (reason: string) => void,
    private readonly now: () => number,
  ) {
    this.renewedAt = now();
  }

  /** Whether the lock is still surely ours; false (for good) once it may not be. */
  held(): boolean {
    if (this.lostReason !== undefined) return false;
    const since = this.now() - this.renewedAt;
    if (since > this.validMs) this.lose(`its lock was last renewed ${Math.round(since)} ms ago, past its ${this.validMs} ms of certain validity`);
    return this.lostReason === undefined;
  }

  /** Why it was lost ('' while held). */
  get reason(): string {
    return this.lostReason ?? '';
  }

  /**
   * BullMQ renewed the lock (its 'locksRenewed'): a renewal succeeds only on a lock that never
   * lapsed, so it was ours all along. A lease once lost stays lost.
   */
  renewed(): void {
    if (this.lostReason === undefined) this.renewedAt = this.now();
  }

  lose(reason: string): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    this.onLost(reason);
  }
}

/** The leases of the jobs this coordinator runs, fed by its BullMQ worker's lock events. */
export class JobLeases {
  private readonly leases = new Map<string, JobLease>();
  /** How long after a confirmed renewal the lock is surely still ours: the lock less a margin for the round trip and timer lag. */
  readonly validMs: number;

  constructor(
    lockMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.validMs = lockMs - Math.min(1000, lockMs / 5);
  }

  /** A lease on a job whose lock was just taken. */
  take(jobId: string, onLost: (reason: string) => void): JobLease {
    const lease = new JobLease(jobId, this.validMs, onLost, this.now);
    this.leases.set(jobId, lease);
    return lease;
  }

  release(lease: JobLease): void {
    if (this.leases.get(lease.jobId) === lease) this.leases.delete(lease.jobId);
  }

  /** BullMQ's 'locksRenewed'. */
  renewed(jobIds: readonly string[]): void {
    for (const jobId of jobIds) this.leases.get(jobId)?.renewed();
  }

  /** BullMQ's 'lockRenewalFailed': these locks are no longer ours. */
  lost(jobIds: readonly string[]): void {
    for (const jobId of jobIds) this.leases.get(jobId)?.lose('its lock could not be renewed: another coordinator holds it, or it lapsed');
  }

  /** Checks every lease against the clock (a periodic sweep, so a job with nothing in flight is fenced too). */
  check(): void {
    for (const lease of this.leases.values()) lease.held();
  }
}

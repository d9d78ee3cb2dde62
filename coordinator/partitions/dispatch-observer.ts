/**
 * What the dispatcher tells the coordinator's metrics (coordinator/metrics/coordinator-metrics.ts),
 * kept to a few counter increments per attempt so the hot path stays cheap. Labels are bounded: a
 * task kind, an outcome, a cause; never a job or partition id.
 */

/**
 * How an attempt ended. `retried`: a transient failure, run again elsewhere; `exhausted`: the same
 * with no attempt left; `superseded`: the other copy of a straggler (or its backup) finished first;
 * `dropped`: a transient failure of one copy while the other runs on (nothing is retried).
 */
export type AttemptOutcome = 'completed' | 'failed' | 'retried' | 'exhausted' | 'refused' | 'cancelled' | 'superseded' | 'dropped';

/** Why an attempt was retried: an error event from the agent, a broken stream, a stream ended without a result, a silent stream, a call that could not be made. */
export type RetryCause = 'agent-error' | 'stream-error' | 'stream-ended' | 'heartbeat-timeout' | 'dispatch-failed';

export interface DispatchObserver {
  /** A partition was sent to a node after waiting queuedMs in the dispatcher's queue. */
  dispatched(kind: string, queuedMs: number): void;
  /** An attempt ended; runMs from dispatch to its end. */
  attemptEnded(kind: string, outcome: AttemptOutcome, runMs: number): void;
  /** A partition goes to another node; failover: its node was found unreachable (dead, cut off, silent). */
  retried(cause: RetryCause, failover: boolean): void;
  /** A node's failures put it in quarantine. */
  quarantined(): void;
  /** A backup copy of a straggler was sent to another node. */
  backupLaunched(kind: string): void;
  /** A backup copy finished before its straggler. */
  backupWon(kind: string): void;
}

export const NO_DISPATCH_OBSERVER: DispatchObserver = {
  dispatched: () => undefined,
  attemptEnded: () => undefined,
  retried: () => undefined,
  quarantined: () => undefined,
  backupLaunched: () => undefined,
  backupWon: () => undefined,
};

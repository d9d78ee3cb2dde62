import type { JobEvent } from '../shared/generated/quantgrid/v1/JobEvent.js';

export type JobEventListener = (event: JobEvent) => void;

/** Live job events inside one coordinator process, for WatchJob streams. */
export class JobEventHub {
  private readonly listeners = new Map<string, Set<JobEventListener>>();

  /** Cheap check so a job with nobody watching builds no event objects. */
  hasListeners(jobId: string): boolean {
    return this.listeners.has(jobId);
  }

  subscribe(jobId: string, listener: JobEventListener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) {
      set = new Set();
      this.listeners.set(jobId, set);
    }
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  publish(event: JobEvent): void {
    const set = this.listeners.get(event.jobId!);
    if (!set) return;
    for (const listener of [...set]) listener(event);
  }
}

// How a job that a BullMQ job scheduler submitted is recognised by its id: the job layer needs it
// to list jobs and date them by their occurrence, the schedule layer to record a schedule's runs.

/**
 * The occurrence a BullMQ job scheduler produced: BullMQ names those jobs repeat:<scheduler id>:<ms>,
 * with <ms> the occurrence's time, and records the scheduler id as the job's repeatJobKey.
 */
export function scheduledOccurrence(jobId: string, repeatJobKey: string | undefined): { name: string; at: number } | undefined {
  if (!repeatJobKey) return undefined;
  const prefix = `repeat:${repeatJobKey}:`;
  if (!jobId.startsWith(prefix)) return undefined;
  const at = Number(jobId.slice(prefix.length));
  return Number.isSafeInteger(at) && at > 0 ? { name: repeatJobKey, at } : undefined;
}

/** A schedule's next occurrence, waiting in BullMQ for its time: not a job yet as far as listings go. */
export function isUpcomingOccurrence(job: { id?: string; repeatJobKey?: string }, now: number): boolean {
  const occurrence = job.id ? scheduledOccurrence(job.id, job.repeatJobKey) : undefined;
  return occurrence !== undefined && occurrence.at > now;
}

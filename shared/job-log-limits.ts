/**
 * The bounds of a job's log (docs/cli.md, "logs"), one home for the coordinator that keeps it and the
 * agents that send partition lines to it.
 */

/** A job's log keeps its latest this many lines (older ones are dropped as new ones come). */
export const MAX_JOB_LOG_LINES = 10_000;
/** A line's message, and separately its detail (a stack trace), are cut to this many bytes of UTF-8. */
export const MAX_LOG_LINE_BYTES = 8 * 1024;
/** Lines one partition attempt may report (PartitionLog); past it the agent sends one line saying how many it dropped. */
export const MAX_PARTITION_LOG_LINES = 100;

/** text cut to at most maxBytes of UTF-8 (never inside a character), ending with a note of what was cut. */
export function truncateUtf8(text: string, maxBytes = MAX_LOG_LINE_BYTES): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return text;
  const note = ` … [${bytes} bytes, cut to ${maxBytes}]`;
  const room = Math.max(0, maxBytes - Buffer.byteLength(note, 'utf8'));
  const buffer = Buffer.from(text, 'utf8');
  let end = room;
  // Back up to the start of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && (buffer[end] & 0xc0) === 0x80) end--;
  return buffer.subarray(0, end).toString('utf8') + note;
}

/** A line's id (a Redis stream id, e.g. "1764631801000-0"): GetJobLogRequest.after_id must look like it. */
export const JOB_LOG_LINE_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;

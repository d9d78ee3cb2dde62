/**
 * How one of a partition's two copies (a straggler and its backup) stopped, as the message of its
 * PARTITION_COPY_STOPPED event says it (proto/quantgrid/v1/jobs.proto): "superseded: …" when the
 * other copy finished first, "failed: …" when it failed while the other runs on.
 */
export type CopyStop = 'superseded' | 'failed';

export function copyStoppedMessage(how: CopyStop, detail: string): string {
  return `${how}: ${detail}`;
}

/** The CopyStop a COPY_STOPPED event's message gives ('superseded' for any other text). */
export function copyStopOf(message: string | undefined): CopyStop {
  return message?.startsWith('failed:') ? 'failed' : 'superseded';
}

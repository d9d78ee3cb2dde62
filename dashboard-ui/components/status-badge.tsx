/** A job status or node state as a coloured label (JOB_STATUS_RUNNING shows as "running"). */
import type { JSX } from 'preact';

/** The proto's JOB_STATUS_WAITING_FOR_NODES as the CLI writes it: waiting-for-nodes. */
export function statusName(status: string): string {
  return status.replace(/^JOB_STATUS_/, '').toLowerCase().replace(/_/g, '-');
}

export function StatusBadge(props: { status: string }): JSX.Element {
  const name = statusName(props.status);
  return (
    <span class={`badge badge-${name}`} data-status={name}>
      {name}
    </span>
  );
}

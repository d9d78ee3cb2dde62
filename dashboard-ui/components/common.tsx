/** Small pieces every page uses: a loading note, an error note, a statistic card, a progress bar. */
import type { ComponentChildren, JSX } from 'preact';

export function Loading(): JSX.Element {
  return <p class="muted loading">Loading…</p>;
}

export function ErrorNote(props: { error: Error | string | undefined }): JSX.Element | null {
  if (!props.error) return null;
  return (
    <p class="error" role="alert">
      {typeof props.error === 'string' ? props.error : props.error.message}
    </p>
  );
}

export function Stat(props: { label: string; value: ComponentChildren; name?: string; tone?: 'good' | 'bad' | 'warn' }): JSX.Element {
  return (
    <div class={`stat${props.tone ? ` stat-${props.tone}` : ''}`} data-stat={props.name}>
      <div class="stat-value">{props.value}</div>
      <div class="stat-label">{props.label}</div>
    </div>
  );
}

/** One element (a list shows a thousand of them): the done and running parts are its background. */
export function ProgressBar(props: { done: number; total: number; running?: number }): JSX.Element {
  const total = Math.max(props.total, 0);
  const done = total ? Math.min(100, (props.done / total) * 100) : 0;
  const running = total ? Math.min(100, done + ((props.running ?? 0) / total) * 100) : 0;
  const background = `linear-gradient(to right, var(--good) ${done}%, var(--running) ${done}% ${running}%, var(--track) ${running}%)`;
  return (
    <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={props.done} title={`${props.done} of ${total} partitions done`} style={{ background }}>
      {props.done} / {total}
    </div>
  );
}

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

export function ProgressBar(props: { done: number; total: number; running?: number }): JSX.Element {
  const total = Math.max(props.total, 0);
  const done = total ? Math.min(1, props.done / total) : 0;
  const running = total ? Math.min(1 - done, (props.running ?? 0) / total) : 0;
  return (
    <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={props.done} title={`${props.done} of ${total} partitions done`}>
      <div class="progress-done" style={{ width: `${done * 100}%` }} />
      <div class="progress-running" style={{ width: `${running * 100}%` }} />
      <span class="progress-text">
        {props.done} / {total}
      </span>
    </div>
  );
}

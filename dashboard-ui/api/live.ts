/**
 * Live updates: one EventSource on the server's stream (GET /api/stream) shared by every component
 * of the page, and one per open job page (GET /api/jobs/:id/stream). The browser reconnects by itself
 * (resuming a job's events after Last-Event-ID).
 */
import { useEffect, useRef } from 'preact/hooks';
import { API, jobStreamPath, type JobStreamEventName, type JobStreamEvents, type StreamEventName, type StreamEvents } from '../../shared/dashboard/api-types.js';

type Handler = (data: unknown) => void;

let source: EventSource | undefined;
const handlers = new Map<string, Set<Handler>>();

function subscribe(name: string, handler: Handler): () => void {
  if (!source) source = new EventSource(API.stream);
  let set = handlers.get(name);
  if (!set) {
    const fresh = new Set<Handler>();
    handlers.set(name, fresh);
    source.addEventListener(name, (event) => {
      const data: unknown = JSON.parse((event as MessageEvent<string>).data);
      for (const h of fresh) h(data);
    });
    set = fresh;
  }
  set.add(handler);
  return () => {
    set.delete(handler);
  };
}

/** Closes the shared stream (on logout). */
export function closeLiveStream(): void {
  source?.close();
  source = undefined;
  handlers.clear();
}

/** Calls handler with each `name` message of the shared stream while the component is mounted. */
export function useLive<N extends StreamEventName>(name: N, handler: (data: StreamEvents[N]) => void, enabled = true): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (!enabled) return;
    return subscribe(name, (data) => latest.current(data as StreamEvents[N]));
  }, [name, enabled]);
}

/** Calls onEvent with each message of one job's stream while mounted (and jobId set). */
export function useJobStream(jobId: string | undefined, onEvent: <N extends JobStreamEventName>(name: N, data: JobStreamEvents[N]) => void): void {
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(() => {
    if (!jobId) return;
    const stream = new EventSource(jobStreamPath(jobId));
    const names: JobStreamEventName[] = ['job-event', 'stream-error'];
    for (const name of names) stream.addEventListener(name, (event) => latest.current(name, JSON.parse((event as MessageEvent<string>).data)));
    return () => stream.close();
  }, [jobId]);
}

/**
 * A synthetic dashboard page for benchmarks, run in the bench's process as a browser would beside the
 * cluster: subscribed to GET /api/stream, following a job's own stream (GET /api/jobs/:id/stream) when
 * told to, and polling the jobs list, the overview and the nodes every POLL_MS — heavier than any one
 * real page (those take the overview and the nodes from /api/stream and reload a list only on a job's
 * change, at most once a second).
 */
import type { LocalCluster } from '../../scripts/local-cluster/index.js';
import { API, jobStreamPath } from '../../shared/dashboard/api-types.js';
import { sleep } from './harness.js';

/** How often the page polls its lists. */
export const POLL_MS = 2000;

/** What the page received: bytes and SSE events of its streams, requests of its polling. */
export interface PageTraffic {
  streamBytes: number;
  events: number;
  polls: number;
}

/** Reads a server-sent events response to its end (or until aborted), counting what arrives. */
async function consume(url: string, token: string, signal: AbortSignal, traffic: PageTraffic): Promise<void> {
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal });
    if (!response.ok || !response.body) throw new Error(`${url}: HTTP ${response.status}`);
    let previous = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      traffic.streamBytes += chunk.byteLength;
      // Each event (or comment) ends with an empty line.
      for (const byte of chunk) {
        if (byte === 10 && previous === 10) traffic.events += 1;
        previous = byte;
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

/** A dashboard page open on the cluster until stopped: the live stream, and the jobs list, overview and nodes polled. */
export function openPage(cluster: LocalCluster): { follow(jobId: string): void; close(): Promise<PageTraffic> } {
  const base = cluster.coordinator.httpUrl;
  const token = cluster.coordinator.adminToken;
  const stop = new AbortController();
  const traffic: PageTraffic = { streamBytes: 0, events: 0, polls: 0 };
  const tasks: Array<Promise<void>> = [consume(new URL(API.stream, base).href, token, stop.signal, traffic)];
  tasks.push(
    (async () => {
      while (!stop.signal.aborted) {
        const started = performance.now();
        await Promise.all(
          [`${API.jobs}?limit=50`, API.overview, API.nodes].map(async (path) => {
            const response = await fetch(new URL(path, base), { headers: { authorization: `Bearer ${token}` }, signal: stop.signal }).catch(() => undefined);
            if (response && !response.ok) throw new Error(`${path}: HTTP ${response.status}`);
            await response?.arrayBuffer().catch(() => undefined);
            traffic.polls += 1;
          }),
        );
        await sleep(Math.max(0, POLL_MS - (performance.now() - started)));
      }
    })(),
  );
  return {
    follow: (jobId) => void tasks.push(consume(new URL(jobStreamPath(jobId), base).href, token, stop.signal, traffic)),
    close: async () => {
      stop.abort();
      await Promise.all(tasks);
      return traffic;
    },
  };
}

/**
 * A server-sent events response (text/event-stream): named events with JSON data, an id where the
 * browser should resume from (it sends it back as Last-Event-ID when it reconnects), and a comment
 * every KEEPALIVE_MS so that proxies and the browser keep an idle stream open.
 */
import type { ServerResponse } from 'node:http';

export const KEEPALIVE_MS = 15_000;
/** How soon the browser reconnects after the stream ends or breaks. */
export const RETRY_MS = 2_000;
/** Text collected beyond this (UTF-16 units, about bytes) is written at once rather than at the next turn. */
const FLUSH_BYTES = 64 * 1024;

export class SseStream {
  private readonly keepalive: NodeJS.Timeout;
  private ended = false;
  private pending: string[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;

  constructor(
    private readonly response: ServerResponse,
    readonly closed: AbortSignal,
  ) {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    response.write(`retry: ${RETRY_MS}\n\n`);
    this.keepalive = setInterval(() => this.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
    closed.addEventListener('abort', () => this.end(), { once: true });
  }

  /** Whether the client reads slower than it is sent to (messages that can wait should be skipped meanwhile). */
  get congested(): boolean {
    return this.response.writableNeedDrain;
  }

  get open(): boolean {
    return !this.ended && !this.closed.aborted;
  }

  /** Sends one event; false when the stream's buffer is full (wait for drained()). */
  send(event: string, data: unknown, id?: string): boolean {
    return this.write(`event: ${event}\n${id ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
  }

  /** Resolves once the buffer emptied, or the stream is over. */
  drained(): Promise<void> {
    if (!this.open || !this.response.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.response.off('drain', done);
        this.closed.removeEventListener('abort', done);
        resolve();
      };
      this.response.once('drain', done);
      this.closed.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Collects what is sent until the event loop's next turn, then writes it as one string: the events
   * of one read of a job's stream (often hundreds at once) cost one write and one chunk on the
   * socket, not one each (a corked response still keeps and frames every write apart). Beyond
   * FLUSH_BYTES it is written at once. False when the response's buffer is full.
   */
  private write(text: string): boolean {
    if (!this.open) return false;
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_BYTES) return this.flush();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    return !this.response.writableNeedDrain;
  }

  private flush(): boolean {
    if (this.pending.length === 0 || this.response.writableEnded || this.response.destroyed) return !this.response.writableNeedDrain;
    const text = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    return this.response.write(text);
  }

  end(): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    clearInterval(this.keepalive);
    if (!this.response.writableEnded) this.response.end();
  }
}

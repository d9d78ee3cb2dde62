/**
 * A server-sent events response (text/event-stream): named events with JSON data, an id where the
 * browser should resume from (it sends it back as Last-Event-ID when it reconnects), and a comment
 * every KEEPALIVE_MS so that proxies and the browser keep an idle stream open.
 */
import type { ServerResponse } from 'node:http';

export const KEEPALIVE_MS = 15_000;
/** How soon the browser reconnects after the stream ends or breaks. */
export const RETRY_MS = 2_000;

export class SseStream {
  private readonly keepalive: NodeJS.Timeout;
  private ended = false;
  private corked = false;

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
    const lines = [`event: ${event}`, ...(id ? [`id: ${id}`] : []), `data: ${JSON.stringify(data)}`];
    return this.write(`${lines.join('\n')}\n\n`);
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
   * Writes through a cork held until the event loop's next turn: the events of one read of a job's
   * stream (often hundreds at once) leave in one chunk and one socket write, not one each.
   */
  private write(text: string): boolean {
    if (!this.open) return false;
    if (!this.corked) {
      this.corked = true;
      this.response.cork();
      setImmediate(() => {
        this.corked = false;
        if (!this.response.writableEnded) this.response.uncork();
      });
    }
    return this.response.write(text);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepalive);
    if (!this.response.writableEnded) this.response.end();
  }
}

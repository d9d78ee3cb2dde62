/**
 * Group commit for writes that callers buffer themselves: `request()` after buffering asks for a
 * write that will include it. With no write in flight the write starts on the next turn of the
 * event loop (joining everything requested in this tick); otherwise it starts when the one in
 * flight ends, with everything requested meanwhile. So a quiet writer adds no delay and a busy one
 * costs one round trip per batch, with at most one write in flight.
 */
export class GroupCommit {
  private writing: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  /** `write` takes whatever the caller has buffered and writes it. */
  constructor(private readonly write: () => Promise<void>) {}

  /** Resolves (or rejects) with the write that includes everything buffered before the call. */
  request(): Promise<void> {
    this.next ??= new Promise<void>((resolve, reject) => {
      const start = (): void => {
        this.next = undefined;
        this.writing = this.write().finally(() => (this.writing = undefined));
        this.writing.then(resolve, reject);
      };
      if (this.writing) this.writing.then(start, start);
      else setImmediate(start);
    });
    return this.next;
  }
}

import type * as grpc from '@grpc/grpc-js';

export interface StreamOutcome<T> {
  messages: T[];
  /** The status it ended with, unless OK. */
  error?: grpc.ServiceError;
  /** From the call to its status. */
  ms: number;
}

/** Every message of a server stream and the status it ended with; rejects when none came within timeoutMs. */
export function streamOutcome<T>(stream: grpc.ClientReadableStream<T>, timeoutMs = 1000): Promise<StreamOutcome<T>> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const messages: T[] = [];
    const timer = setTimeout(() => {
      stream.cancel();
      reject(new Error(`no status within ${timeoutMs} ms (${messages.length} messages)`));
    }, timeoutMs);
    stream.on('data', (message: T) => messages.push(message));
    stream.on('error', (error: grpc.ServiceError) => {
      clearTimeout(timer);
      resolve({ messages, error, ms: Date.now() - started });
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve({ messages, ms: Date.now() - started });
    });
  });
}

import type * as grpc from '@grpc/grpc-js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logging.js';
import { typedError } from './dependency-failure.js';
import { grpcStatus, type RpcStatus } from './grpc-status.js';

/** What the wrappers need to know of an RPC: its name (for logs) and the store its untyped errors come from. */
export interface RpcContext {
  rpc: string;
  log: Logger;
  /** Named in UNAVAILABLE when an untyped connection error escapes the handler (see typedError). */
  dependency?: string;
}

/**
 * The status for a handler's error. Expected failures (bad input, unknown ids) are the caller's
 * business and not logged; an unreachable dependency is logged as a warning, anything else as an
 * error with its stack: it is a bug, logged here once.
 */
function failure({ rpc, log, dependency }: RpcContext, error: unknown): RpcStatus {
  const typed = typedError(error, dependency);
  if (typed.kind === 'unavailable') log.warn({ rpc, err: typed.message }, 'call failed: dependency unavailable');
  if (typed.kind === 'internal') {
    // The stack of what was thrown, not of the Internal wrapping it.
    const thrown = typed.cause instanceof Error ? typed.cause : typed;
    log.error({ rpc, err: errorMessage(thrown), stack: thrown.stack }, 'call failed unexpectedly');
  }
  return grpcStatus(typed);
}

/**
 * A unary RPC from a handler that returns the response or throws: the callback is called exactly
 * once, with the value or with the status the error maps to.
 */
export function unary<Request, Response>(
  context: RpcContext,
  handler: (request: Request, call: grpc.ServerUnaryCall<Request, Response>) => Promise<Response>,
): grpc.handleUnaryCall<Request, Response> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handler(call.request, call))
      .then(
        (value) => callback(null, value),
        (error: unknown) => callback(failure(context, error)),
      )
      .catch((error: unknown) => context.log.error({ rpc: context.rpc, err: errorMessage(error) }, 'answer not sent'));
  };
}

/**
 * A client-streaming RPC from a handler that reads the call's messages and returns the response or
 * throws: the callback is called exactly once, as for unary.
 */
export function clientStream<Request, Response>(
  context: RpcContext,
  handler: (call: grpc.ServerReadableStream<Request, Response>) => Promise<Response>,
): grpc.handleClientStreamingCall<Request, Response> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handler(call))
      .then(
        (value) => callback(null, value),
        (error: unknown) => callback(failure(context, error)),
      )
      .catch((error: unknown) => context.log.error({ rpc: context.rpc, err: errorMessage(error) }, 'answer not sent'));
  };
}

/** Resolves once the stream takes writes again, or is over (closed, or stopped by the client). */
function drained(call: grpc.ServerWritableStream<unknown, unknown>, stopped: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.removeListener('drain', done);
      call.removeListener('close', done);
      stopped.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    call.once('close', done);
    stopped.addEventListener('abort', done, { once: true });
  });
}

/**
 * A server-streaming RPC from a handler that yields the messages and returns or throws. Every call
 * ends with a status at once: OK when the handler returns, the mapped status when it throws — sent
 * by emitting 'error' on the call, which grpc-js turns into the status after the messages already
 * written (call.destroy(error) would send none, and the client would wait for ever). A slow reader
 * is not sent more than the stream buffers: the handler is resumed once the stream drains. `stopped`
 * aborts when the client cancels (or its deadline passes); the handler stops producing then.
 */
export function serverStream<Request, Response>(
  context: RpcContext,
  handler: (request: Request, stopped: AbortSignal, call: grpc.ServerWritableStream<Request, Response>) => AsyncIterable<Response>,
): grpc.handleServerStreamingCall<Request, Response> {
  return (call) => {
    const stop = new AbortController();
    const onCancelled = (): void => stop.abort();
    call.once('cancelled', onCancelled);
    void (async () => {
      try {
        for await (const message of handler(call.request, stop.signal, call)) {
          if (stop.signal.aborted) break;
          if (!call.write(message)) await drained(call, stop.signal);
          if (stop.signal.aborted) break;
        }
        if (!stop.signal.aborted) call.end();
      } catch (error) {
        const status = failure(context, error);
        if (!stop.signal.aborted) call.emit('error', status);
      } finally {
        call.removeListener('cancelled', onCancelled);
      }
    })();
  };
}

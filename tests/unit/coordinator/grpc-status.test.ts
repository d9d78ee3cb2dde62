import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Redis, ReplyError } from 'ioredis';
import {
  AlreadyExists,
  FailedPrecondition,
  Internal,
  NotFound,
  PermissionDenied,
  ResourceExhausted,
  Unauthenticated,
  Unavailable,
  ValidationError,
  type QuantgridError,
} from '../../../shared/errors.js';
import { quoteInput } from '../../../shared/quote-input.js';
import { ERROR_KIND_TRAILER } from '../../../shared/grpc/error-trailer.js';
import { DatasetImportError } from '../../../coordinator/datasets/dataset-store.js';
import { ScheduleExists, ScheduleNotFound } from '../../../coordinator/schedules/schedule-service.js';
import { failedIn, isRedisConnectionError, JOB_STORE, typedError } from '../../../coordinator/api/dependency-failure.js';
import { grpcStatus, MAX_DETAILS } from '../../../coordinator/api/grpc-status.js';

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What ioredis really rejects a command with when Redis is not there, set up as the API's store connection is. */
async function redisDownError(): Promise<unknown> {
  const redis = new Redis({ host: '127.0.0.1', port: await closedPort(), maxRetriesPerRequest: 1, retryStrategy: () => 20, lazyConnect: true });
  redis.on('error', () => undefined);
  redis.connect().catch(() => undefined);
  try {
    await redis.get('anything');
    assert.fail('a command to a closed port succeeded');
  } catch (error) {
    return error;
  } finally {
    redis.disconnect();
  }
}

describe('grpcStatus: the one mapping of errors to gRPC status', () => {
  test('every typed error maps to its code, with its message as the details', () => {
    const cases: Array<[QuantgridError, grpc.status]> = [
      [new ValidationError('backtest.params.fast', 'must be below slow'), grpc.status.INVALID_ARGUMENT],
      [new DatasetImportError('content', 'row 3: high below low'), grpc.status.INVALID_ARGUMENT],
      [new NotFound('job', 'abc'), grpc.status.NOT_FOUND],
      [new ScheduleNotFound('nightly'), grpc.status.NOT_FOUND],
      [new AlreadyExists('taken'), grpc.status.ALREADY_EXISTS],
      [new ScheduleExists('nightly'), grpc.status.ALREADY_EXISTS],
      [new PermissionDenied('not yours'), grpc.status.PERMISSION_DENIED],
      [new Unauthenticated('who are you'), grpc.status.UNAUTHENTICATED],
      [new ResourceExhausted('too many'), grpc.status.RESOURCE_EXHAUSTED],
      [new FailedPrecondition('not now'), grpc.status.FAILED_PRECONDITION],
      [new Unavailable('job store (Redis)', new Error('gone')), grpc.status.UNAVAILABLE],
      [new Internal('a bug'), grpc.status.INTERNAL],
    ];
    for (const [error, code] of cases) {
      const status = grpcStatus(error, JOB_STORE);
      assert.equal(status.code, code, `${error.name}: ${grpc.status[status.code]}`);
      assert.equal(status.details, error.message);
      assert.equal(status.message, error.message);
      assert.deepEqual(status.metadata.get(ERROR_KIND_TRAILER), [error.kind], 'the status says the coordinator sent it, and its kind');
    }
  });

  test('the messages name the field, the missing thing, the dependency', () => {
    assert.equal(new ValidationError('after_event_id', 'is not an event id').message, 'after_event_id: is not an event id');
    assert.equal(new ValidationError('spec', 'is required').name, 'ValidationError');
    assert.equal(new NotFound('job', 'lx2-ab').message, 'no job "lx2-ab"');
    assert.equal(new ScheduleNotFound('nightly').message, 'no schedule "nightly"');
    assert.equal(new ScheduleExists('nightly').message, 'schedule "nightly" exists already (remove it first to replace it)');
    assert.equal(new Unavailable('dataset store (Redis)', new Error('connect ECONNREFUSED')).message, 'dataset store (Redis) unavailable: connect ECONNREFUSED');
    assert.equal(new Unavailable('dataset store (Redis)').message, 'dataset store (Redis) unavailable');
  });

  test('an untyped Redis connection error is UNAVAILABLE naming the store; without a store it is INTERNAL', async () => {
    const down = await redisDownError();
    assert.ok(isRedisConnectionError(down), `not seen as a connection error: ${String(down)}`);
    const status = grpcStatus(down, JOB_STORE);
    assert.equal(status.code, grpc.status.UNAVAILABLE);
    assert.match(status.details, /^job store \(Redis\) unavailable: /);
    assert.equal(grpcStatus(down).code, grpc.status.INTERNAL);
    for (const message of ['Connection is closed.', "Stream isn't writeable and enableOfflineQueue options is false"]) {
      assert.equal(grpcStatus(new Error(message), JOB_STORE).code, grpc.status.UNAVAILABLE, message);
    }
    assert.equal(grpcStatus(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), JOB_STORE).code, grpc.status.UNAVAILABLE);
  });

  test('Redis replies: one that cannot serve now is UNAVAILABLE, a failed command INTERNAL', () => {
    assert.equal(grpcStatus(new ReplyError('LOADING Redis is loading the dataset in memory'), JOB_STORE).code, grpc.status.UNAVAILABLE);
    assert.equal(grpcStatus(new ReplyError('READONLY You cannot write against a read only replica.'), JOB_STORE).code, grpc.status.UNAVAILABLE);
    const wrongType = grpcStatus(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'), JOB_STORE);
    assert.equal(wrongType.code, grpc.status.INTERNAL);
    assert.match(wrongType.details, /WRONGTYPE/);
  });

  test('any other untyped error is INTERNAL, whatever was thrown', () => {
    for (const thrown of [new TypeError('x is undefined'), 'a string', undefined, { code: 5 }]) {
      const status = grpcStatus(thrown, JOB_STORE);
      assert.equal(status.code, grpc.status.INTERNAL, String(thrown));
      assert.match(status.details, /^internal error: /);
    }
    assert.ok(typedError(new TypeError('x')) instanceof Internal);
  });

  test('failedIn names the dependency of one step and leaves typed errors alone', () => {
    const notFound = new NotFound('dataset', 'abc');
    assert.throws(() => failedIn('dataset store (Redis)')(notFound), (error) => error === notFound);
    assert.throws(() => failedIn('dataset store (Redis)')(new Error('Connection is closed.')), (error: Error) => {
      assert.ok(error instanceof Unavailable);
      assert.equal(error.message, 'dataset store (Redis) unavailable: Connection is closed.');
      // The tag sticks: the RPC's own store does not rename it.
      assert.equal(grpcStatus(error, JOB_STORE).details, error.message);
      return true;
    });
  });

  test('a message too long for a status is cut', () => {
    const status = grpcStatus(new ValidationError('tz', 'x'.repeat(50_000)));
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.ok(status.details.length <= MAX_DETAILS + 20, `${status.details.length} characters`);
    assert.ok(status.details.startsWith('tz: xxx'));
  });
});

describe('quoteInput: input quoted in messages, bounded', () => {
  test('short values are quoted whole', () => {
    assert.equal(quoteInput('lx2-ab'), '"lx2-ab"');
    assert.equal(quoteInput(''), '""');
    assert.equal(quoteInput('x'.repeat(100)), `"${'x'.repeat(100)}"`);
  });

  test('control characters and quotes are escaped, so a message stays one line', () => {
    assert.equal(quoteInput('a"b\nc\u0000'), '"a\\"b\\nc\\u0000"');
  });

  test('long values are cut at about 100 characters, with an ellipsis and their length', () => {
    const quoted = quoteInput('j'.repeat(10_240));
    assert.equal(quoted, `"${'j'.repeat(100)}…" (10240 characters)`);
    assert.equal(new NotFound('job', 'j'.repeat(10_240)).message, `no job ${quoted}`);
    // Escapes count as written: 10 KB of NULs is not a 60 KB message.
    assert.ok(quoteInput('\u0000'.repeat(10_240)).length < 140);
    assert.equal(quoteInput('abcdef', 3), '"abc…" (6 characters)');
  });

  test('a character beyond the basic plane is not split', () => {
    assert.equal(quoteInput('😀😀', 3), '"😀…" (4 characters)');
  });
});

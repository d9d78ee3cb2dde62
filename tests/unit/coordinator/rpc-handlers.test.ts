import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { NotFound, ValidationError } from '../../../shared/errors.js';
import type { CoordinatorHandlers } from '../../../shared/generated/quantgrid/v1/Coordinator.js';
import type { JobEvent, JobEvent__Output } from '../../../shared/generated/quantgrid/v1/JobEvent.js';
import { createCoordinatorClient, type CoordinatorClient } from '../../../shared/grpc/clients.js';
import { loadQuantgridProto } from '../../../shared/grpc/proto-package.js';
import type { Logger } from '../../../shared/logging.js';
import { JOB_STORE } from '../../../coordinator/api/dependency-failure.js';
import { serverStream, unary } from '../../../coordinator/api/rpc-handlers.js';
import { streamOutcome } from '../../helpers/stream-status.js';

/** Records what the wrappers log. */
function recordingLogger(): { log: Logger; lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (_fields: unknown, message: string) => void lines.push([level, message]);
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as Logger, lines };
}

const event = (jobId: string, i: number): JobEvent => ({ jobId, type: 'JOB_EVENT_TYPE_PROGRESS', partition: i, timeMs: i });

function collect(stream: grpc.ClientReadableStream<JobEvent__Output>) {
  return streamOutcome(stream).then(({ messages, error, ms }) => ({ events: messages, error, ms }));
}

describe('rpc-handlers: a value or a typed error becomes one answer with a status', () => {
  const { log, lines } = recordingLogger();
  const server = new grpc.Server();
  let client: CoordinatorClient;
  let finishedGenerators = 0;

  before(async () => {
    const { proto } = loadQuantgridProto();
    const handlers: Partial<CoordinatorHandlers> = {
      GetJob: unary({ rpc: 'GetJob', log, dependency: JOB_STORE }, async ({ jobId }) => {
        if (jobId === 'missing') throw new NotFound('job', jobId);
        if (jobId === 'bug') throw new TypeError('cannot read properties of undefined');
        if (jobId === 'down') throw new Error('Connection is closed.');
        return { id: jobId, name: 'found' };
      }),
      WatchJob: serverStream({ rpc: 'WatchJob', log, dependency: JOB_STORE }, async function* ({ jobId, afterEventId }, stopped) {
        try {
          if (afterEventId === 'garbage') throw new ValidationError('after_event_id', 'is not an event id');
          if (jobId === 'missing') throw new NotFound('job', jobId);
          if (jobId === 'two-then-gone') {
            yield event(jobId, 1);
            yield event(jobId, 2);
            throw new NotFound('job', jobId);
          }
          if (jobId === 'forever') {
            for (let i = 0; !stopped.aborted; i++) {
              yield event(jobId, i);
              await new Promise((resolve) => setTimeout(resolve, 10));
            }
            return;
          }
          for (let i = 0; i < 3; i++) yield event(jobId, i);
        } finally {
          finishedGenerators++;
        }
      }),
    };
    server.addService(proto.quantgrid.v1.Coordinator.service, handlers as CoordinatorHandlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    client = createCoordinatorClient(`127.0.0.1:${port}`);
  });

  after(() => {
    client?.close();
    server.forceShutdown();
  });

  const getJob = (jobId: string) =>
    new Promise<{ error: grpc.ServiceError | null; job?: unknown }>((resolve) =>
      client.getJob({ jobId }, { deadline: Date.now() + 2000 }, (error, job) => resolve({ error, job })),
    );

  test('unary: the value, or the typed error as its status; expected failures are not logged', async () => {
    const found = await getJob('j1');
    assert.equal(found.error, null);
    assert.equal((found.job as { name: string }).name, 'found');
    const missing = await getJob('missing');
    assert.equal(missing.error?.code, grpc.status.NOT_FOUND);
    assert.equal(missing.error?.details, 'no job "missing"');
    assert.deepEqual(lines, []);
  });

  test('unary: an untyped error is INTERNAL and logged once; a connection error UNAVAILABLE naming the store', async () => {
    const bug = await getJob('bug');
    assert.equal(bug.error?.code, grpc.status.INTERNAL);
    assert.match(bug.error!.details, /cannot read properties of undefined/);
    assert.deepEqual(lines.splice(0), [['error', 'call failed unexpectedly']]);
    const down = await getJob('down');
    assert.equal(down.error?.code, grpc.status.UNAVAILABLE);
    assert.equal(down.error?.details, 'job store (Redis) unavailable: Connection is closed.');
    assert.deepEqual(lines.splice(0), [['warn', 'call failed: dependency unavailable']]);
  });

  test('stream: the messages, then OK', async () => {
    const { events, error } = await collect(client.watchJob({ jobId: 'three' }));
    assert.equal(error, undefined);
    assert.deepEqual(events.map((e) => e.partition), [0, 1, 2]);
  });

  test('stream: an error thrown before any message ends the call with its status at once', async () => {
    for (const [request, code] of [
      [{ jobId: 'missing' }, grpc.status.NOT_FOUND],
      [{ jobId: 'x', afterEventId: 'garbage' }, grpc.status.INVALID_ARGUMENT],
    ] as const) {
      const { events, error, ms } = await collect(client.watchJob(request));
      assert.equal(error?.code, code, JSON.stringify(request));
      assert.equal(events.length, 0);
      assert.ok(ms < 500, `${ms} ms`);
    }
  });

  test('stream: an error after messages ends the call with its status after them', async () => {
    const { events, error } = await collect(client.watchJob({ jobId: 'two-then-gone' }));
    assert.deepEqual(events.map((e) => e.partition), [1, 2]);
    assert.equal(error?.code, grpc.status.NOT_FOUND);
    assert.equal(error?.details, 'no job "two-then-gone"');
  });

  test('stream: a client that cancels stops the handler, which then finishes', async () => {
    const before = finishedGenerators;
    const stream = client.watchJob({ jobId: 'forever' });
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.on('error', () => undefined);
    stream.cancel();
    const deadline = Date.now() + 1000;
    while (finishedGenerators === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    // Stopped by the wrapper leaving its loop (the generator returns at its yield), its finally run.
    assert.equal(finishedGenerators, before + 1, 'the generator finished');
  });
});

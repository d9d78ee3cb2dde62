import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { JobEvent__Output } from '../../../shared/generated/quantgrid/v1/JobEvent.js';
import { CliError } from '../../../cli/cli-error.js';
import { asCliError } from '../../../cli/report-error.js';
import { CoordinatorError } from '../../../shared/client/coordinator-error.js';
import { JobWatchLostError, watchJob, type WatchObserver } from '../../../shared/client/job-watcher.js';
import { fakeCoordinators, job, jobEvent, progress, sendEvents } from '../../helpers/fake-coordinator.js';

/** watchJob in-process against a fake coordinator, with short pauses. */

const fakes = fakeCoordinators();
after(() => fakes.stopAll());
const setUp = fakes.connect;

function recordingDisplay() {
  const events: Array<{ type: string; snapshot: boolean }> = [];
  const notices: string[] = [];
  const display: WatchObserver = {
    event: (event: JobEvent__Output, snapshot: boolean) => events.push({ type: event.type, snapshot }),
    notice: (text) => notices.push(text),
  };
  return { display, events, notices };
}

describe('watchJob', () => {
  it('returns the terminal event\'s status and result; the first event of a stream is the snapshot', async () => {
    const { connection } = await setUp({
      WatchJob: (call) =>
        void sendEvents(call, [
          jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(0, 2) }),
          jobEvent('JOB_EVENT_TYPE_PARTITION_FINISHED', { progress: progress(1, 2) }),
          jobEvent('JOB_EVENT_TYPE_COMPLETED', { status: 'JOB_STATUS_COMPLETED', resultJson: '{"partitions":2,"checksum":1}' }),
        ]),
    });
    const { display, events } = recordingDisplay();
    const outcome = await watchJob(connection, 'job-1', display, { signal: new AbortController().signal });
    assert.deepEqual(outcome, { outcome: 'finished', status: 'JOB_STATUS_COMPLETED', resultJson: '{"partitions":2,"checksum":1}', error: '' });
    assert.deepEqual(events.map((e) => e.snapshot), [true, false, false]);
  });

  it('gives up after the last re-attach attempt when the stream keeps breaking', async () => {
    let attaches = 0;
    const { connection } = await setUp({
      WatchJob: (call) => {
        attaches++;
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'shutting down' });
      },
    });
    const { display, notices } = recordingDisplay();
    await assert.rejects(
      watchJob(connection, 'job-1', display, { signal: new AbortController().signal, policy: { reattachDelaysMs: [10, 20], idleProbeMs: 10_000 } }),
      (thrown: unknown) => {
        assert.ok(thrown instanceof JobWatchLostError);
        // What the CLI makes of it (cli-error.ts): one line, exit 1.
        const error = asCliError(thrown);
        assert.ok(error instanceof CliError);
        assert.equal(error.exitCode, 1);
        assert.match(error.message, /lost the event stream of job job-1 .* after 2 attempts/);
        return true;
      },
    );
    assert.equal(attaches, 3);
    assert.equal(notices.length, 2);
    assert.match(notices[1], /attempt 2\/2/);
  });

  it('re-attaches after a broken stream, resuming after the last event seen (no second snapshot)', async () => {
    const requests: string[] = [];
    const { connection } = await setUp({
      WatchJob: (call) => {
        requests.push(call.request.afterEventId ?? '');
        if (requests.length === 1) {
          void sendEvents(call, [
            jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(0, 2) }),
            jobEvent('JOB_EVENT_TYPE_PARTITION_FINISHED', { eventId: '7-0', progress: progress(1, 2) }),
          ], false).then(() => call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'shutting down' }));
        } else {
          void sendEvents(call, [jobEvent('JOB_EVENT_TYPE_COMPLETED', { eventId: '8-0', status: 'JOB_STATUS_COMPLETED', resultJson: '{}' })]);
        }
      },
    });
    const { display, events, notices } = recordingDisplay();
    const outcome = await watchJob(connection, 'job-1', display, { policy: { reattachDelaysMs: [10], idleProbeMs: 10_000 } });
    assert.deepEqual(outcome, { outcome: 'finished', status: 'JOB_STATUS_COMPLETED', resultJson: '{}', error: '' });
    assert.deepEqual(requests, ['', '7-0']);
    assert.deepEqual(events.map((e) => e.snapshot), [true, false, false]);
    assert.equal(notices.length, 1);
    assert.match(notices[0], /^lost the event stream \(coordinator unreachable at .*\); re-attaching in 0\.01s \(attempt 1\/1\)$/);
  });

  it('starts after afterEventId when given one: its first event is no snapshot', async () => {
    const requests: string[] = [];
    const { connection } = await setUp({
      WatchJob: (call) => {
        requests.push(call.request.afterEventId ?? '');
        void sendEvents(call, [jobEvent('JOB_EVENT_TYPE_CANCELLED', { eventId: '4-1', status: 'JOB_STATUS_CANCELLED', message: 'by user' })]);
      },
    });
    const { display, events } = recordingDisplay();
    const outcome = await watchJob(connection, 'job-1', display, { afterEventId: '4-0' });
    assert.deepEqual(outcome, { outcome: 'finished', status: 'JOB_STATUS_CANCELLED', resultJson: '', error: 'by user' });
    assert.deepEqual(requests, ['4-0']);
    assert.deepEqual(events, [{ type: 'JOB_EVENT_TYPE_CANCELLED', snapshot: false }]);
  });

  it('does not retry what retrying cannot fix (NOT_FOUND)', async () => {
    const { connection } = await setUp({
      WatchJob: (call) => call.emit('error', { code: grpc.status.NOT_FOUND, details: 'no such job' }),
    });
    await assert.rejects(
      watchJob(connection, 'ghost', recordingDisplay().display, { signal: new AbortController().signal, policy: { reattachDelaysMs: [10], idleProbeMs: 10_000 } }),
      (error: unknown) => error instanceof CoordinatorError && /no job ghost/.test(error.message),
    );
  });

  it('asks the coordinator when the stream goes quiet, and finishes if the job has ended', async () => {
    const { connection } = await setUp({
      WatchJob: (call) => void sendEvents(call, [jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(1, 2) })], false),
      GetJob: (_call, callback) => callback(null, job({ status: 'JOB_STATUS_FAILED', error: 'node lost' })),
    });
    const outcome = await watchJob(connection, 'job-1', recordingDisplay().display, {
      signal: new AbortController().signal,
      policy: { reattachDelaysMs: [10], idleProbeMs: 150 },
    });
    const { job: ended, ...rest } = outcome as Extract<typeof outcome, { outcome: 'finished' }>;
    assert.deepEqual(rest, { outcome: 'finished', status: 'JOB_STATUS_FAILED', resultJson: '', error: 'node lost' });
    assert.equal(ended?.status, 'JOB_STATUS_FAILED', 'the job the probe read is handed on (no second GetJob)');
  });

  it('hands on the job an ending event carries, its result put back from the event', async () => {
    const ended = job({ status: 'JOB_STATUS_COMPLETED', resultJson: '' });
    let getJobs = 0;
    const { connection } = await setUp({
      WatchJob: (call) => void sendEvents(call, [jobEvent('JOB_EVENT_TYPE_COMPLETED', { eventId: '5-0', status: 'JOB_STATUS_COMPLETED', resultJson: '{"x":1}', resultBytes: 7, job: ended })]),
      GetJob: (_call, callback) => {
        getJobs++;
        callback(null, job({ status: 'JOB_STATUS_COMPLETED' }));
      },
    });
    const outcome = await watchJob(connection, 'job-1', recordingDisplay().display, { afterEventId: '4-0' });
    assert.equal(outcome.outcome, 'finished');
    const finished = outcome as Extract<typeof outcome, { outcome: 'finished' }>;
    assert.equal(finished.resultJson, '{"x":1}');
    assert.equal(finished.job?.status, 'JOB_STATUS_COMPLETED');
    assert.equal(finished.job?.resultJson, '{"x":1}');
    assert.equal(Number(finished.job?.resultBytes), 7);
    assert.equal(getJobs, 0);
  });

  it('puts a result too large for the ending event into the job it hands on, read with GetJobResult', async () => {
    const big = '{"rows":"' + 'x'.repeat(2000) + '"}';
    const { connection } = await setUp({
      WatchJob: (call) =>
        void sendEvents(call, [
          jobEvent('JOB_EVENT_TYPE_COMPLETED', { eventId: '5-0', status: 'JOB_STATUS_COMPLETED', resultJson: '', resultTruncated: true, resultBytes: big.length, job: job({ status: 'JOB_STATUS_COMPLETED', resultJson: '' }) }),
        ]),
      GetJobResult: (call) => {
        call.write({ data: Buffer.from(big), offset: 0, totalBytes: big.length });
        call.end();
      },
    });
    const outcome = await watchJob(connection, 'job-1', recordingDisplay().display, { afterEventId: '4-0' });
    const finished = outcome as Extract<typeof outcome, { outcome: 'finished' }>;
    assert.equal(finished.resultJson, big);
    assert.equal(finished.job?.resultJson, big);
    assert.equal(finished.job?.resultTruncated, false);
  });

  it('fetches the job when the stream of an already finished job just closes', async () => {
    const { connection } = await setUp({
      WatchJob: (call) =>
        void sendEvents(call, [jobEvent('JOB_EVENT_TYPE_PROGRESS', { status: 'JOB_STATUS_CANCELLED', progress: progress(1, 2) })]),
      GetJob: (_call, callback) => callback(null, job({ status: 'JOB_STATUS_CANCELLED', error: 'by user' })),
    });
    const outcome = await watchJob(connection, 'job-1', recordingDisplay().display, { signal: new AbortController().signal });
    assert.deepEqual(outcome, { outcome: 'finished', status: 'JOB_STATUS_CANCELLED', resultJson: '', error: 'by user' });
  });

  it('stops when the signal aborts, leaving the job alone', async () => {
    const { connection } = await setUp({
      WatchJob: (call) => void sendEvents(call, [jobEvent('JOB_EVENT_TYPE_PROGRESS', { progress: progress(1, 2) })], false),
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const outcome = await watchJob(connection, 'job-1', recordingDisplay().display, { signal: controller.signal });
    assert.deepEqual(outcome, { outcome: 'interrupted' });
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFound, ValidationError } from '../../../shared/errors.js';
import type { JobEvent } from '../../../shared/generated/quantgrid/v1/JobEvent.js';
import { JobEventLog, type LoggedEvent } from '../../../coordinator/jobs/job-event-log.js';
import type { JobStatusName } from '../../../coordinator/jobs/job-model.js';
import type { JobView } from '../../../coordinator/api/job-views.js';
import { WATCH_STATUS_CHECK_EVERY, watchEvents, type WatchedJobs, type WatchedLog } from '../../../coordinator/api/watch-job.js';

const RESULT = '{"partitions":1,"checksum":0}';

/**
 * One job's event log and record, in memory; `onGet` runs as the record is read (to interleave a
 * write). `readsFrom()` lists the cursor of every read the watch made; `logged` reads the log without
 * counting (what a write hands its watchers).
 */
function fakeJob(status: JobStatusName, options: { exists?: boolean; onGet?: () => void } = {}) {
  const log: LoggedEvent[] = [];
  const readsFrom: string[] = [];
  const job = { id: 'j1', status, resultJson: status === 'JOB_STATUS_COMPLETED' ? RESULT : '', error: '' };
  let waits = 0;
  let gets = 0;
  let ends = 0;
  const order = (id: string) => Number(id.split('-')[0]);
  const hub: WatchedLog = {
    lastId: async () => log.at(-1)?.id ?? '0',
    read: async (_jobId, afterId, count = JobEventLog.READ_COUNT) => {
      readsFrom.push(afterId);
      return logged(afterId, count);
    },
    writeMark: () => 0,
    watching: () => () => undefined,
    waitForEvents: async () => {
      waits++;
      return undefined;
    },
  };
  const jobs: WatchedJobs = {
    get: async (jobId) => {
      gets++;
      if (options.exists === false) throw new NotFound('job', jobId);
      const view = { ...job } as JobView;
      options.onGet?.();
      return view;
    },
    ended: async (jobId, status) => {
      ends++;
      if (options.exists === false) return undefined;
      const resultJson = status === 'JOB_STATUS_COMPLETED' ? RESULT : '';
      return { job: { ...job, id: jobId, status, resultJson } as JobView, resultJson };
    },
  };
  const logged = (afterId: string, count = JobEventLog.READ_COUNT) => log.filter((entry) => order(entry.id) > order(afterId)).slice(0, count);
  const append = (event: Omit<JobEvent, 'jobId'>) => log.push({ id: `${log.length + 1}-0`, event: { jobId: 'j1', partition: -1, ...event } });
  /** The job ends: its record first, then its event (as JobWorker publishes once BullMQ has recorded it). */
  const complete = () => {
    job.status = 'JOB_STATUS_COMPLETED';
    job.resultJson = RESULT;
    append({ type: 'JOB_EVENT_TYPE_COMPLETED', status: 'JOB_STATUS_COMPLETED' });
  };
  return { hub, jobs, append, complete, logged, job, readsFrom: () => readsFrom, waits: () => waits, gets: () => gets, ends: () => ends };
}

async function all(events: AsyncIterable<JobEvent>): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

const never = new AbortController().signal;

describe('watchEvents: what a WatchJob call streams', () => {
  test('a COMPLETED logged while the snapshot is read is not missed: the cursor is taken before the snapshot', async () => {
    // The snapshot still says running; the job completes (and logs it) right after.
    const fake = fakeJob('JOB_STATUS_RUNNING', {
      onGet: () => {
        if (fake.gets() === 1) fake.complete();
      },
    });
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '' }, never));
    assert.deepEqual(events.map((event) => event.type), ['JOB_EVENT_TYPE_PROGRESS', 'JOB_EVENT_TYPE_COMPLETED']);
    assert.equal(events[1].eventId, '1-0');
    assert.equal(events[1].resultJson, RESULT, 'the COMPLETED event carries the result from the job record');
    assert.equal(fake.waits(), 0, 'ended at the first read of the log, not by the periodic status check');
  });

  test('the event that ends a watch carries the job as it ended, without its result (the event has it): no GetJob needed after', async () => {
    const fake = fakeJob('JOB_STATUS_RUNNING');
    fake.append({ type: 'JOB_EVENT_TYPE_STARTED', status: 'JOB_STATUS_RUNNING' });
    fake.complete();
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '0-0' }, never));
    assert.deepEqual(events.map((event) => event.type), ['JOB_EVENT_TYPE_STARTED', 'JOB_EVENT_TYPE_COMPLETED']);
    const last = events[1];
    assert.equal(last.resultJson, RESULT);
    assert.equal(last.job?.status, 'JOB_STATUS_COMPLETED');
    assert.equal(last.job?.id, 'j1');
    assert.equal(last.job?.resultJson, '', 'the result travels once, in the event');
    assert.equal(events[0].job, undefined, 'only the ending event carries the job');
    assert.equal(fake.ends(), 1, 'one read of the record for the ending event');
  });

  test('a FAILED read from the log carries the job too, with no result; a job whose record is gone ends without one', async () => {
    const failed = fakeJob('JOB_STATUS_RUNNING');
    failed.append({ type: 'JOB_EVENT_TYPE_FAILED', status: 'JOB_STATUS_FAILED', message: 'partition 0 failed: boom' });
    const events = await all(watchEvents(failed.hub, failed.jobs, { jobId: 'j1', afterEventId: '0-0' }, never));
    assert.equal(events.at(-1)?.job?.status, 'JOB_STATUS_FAILED');
    assert.equal(events.at(-1)?.resultJson, undefined, 'a FAILED event gets no result fields');
    assert.equal(events.at(-1)?.message, 'partition 0 failed: boom');

    const gone = fakeJob('JOB_STATUS_RUNNING', { exists: true });
    gone.jobs.ended = async () => undefined;
    gone.complete();
    const [completed] = await all(watchEvents(gone.hub, gone.jobs, { jobId: 'j1', afterEventId: '0-0' }, never));
    assert.equal(completed.type, 'JOB_EVENT_TYPE_COMPLETED');
    assert.equal(completed.job, undefined);
    assert.equal(completed.resultJson, '', 'no record, no result: the watcher reads the job itself');
  });

  test('an ended job: one event from its record, with the result', async () => {
    const fake = fakeJob('JOB_STATUS_COMPLETED');
    fake.append({ type: 'JOB_EVENT_TYPE_COMPLETED', status: 'JOB_STATUS_COMPLETED' });
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '' }, never));
    assert.equal(events.length, 1);
    assert.equal(events[0].type, 'JOB_EVENT_TYPE_COMPLETED');
    assert.equal(events[0].resultJson, RESULT);
    assert.equal(events[0].eventId, '1-0');
  });

  test('resumed: the events after the given id, no snapshot', async () => {
    const fake = fakeJob('JOB_STATUS_RUNNING');
    fake.append({ type: 'JOB_EVENT_TYPE_STARTED' });
    fake.append({ type: 'JOB_EVENT_TYPE_PROGRESS' });
    fake.complete();
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '1-0' }, never));
    assert.deepEqual(events.map((event) => event.eventId), ['2-0', '3-0']);
    assert.equal(events[1].resultJson, RESULT);
  });

  test('an unknown job: NotFound before any event; no job id or a garbage after_event_id: ValidationError naming the field', async () => {
    const unknown = fakeJob('JOB_STATUS_RUNNING', { exists: false });
    await assert.rejects(all(watchEvents(unknown.hub, unknown.jobs, { jobId: 'nope', afterEventId: '' }, never)), NotFound);
    await assert.rejects(all(watchEvents(unknown.hub, unknown.jobs, { jobId: 'nope', afterEventId: '1-0' }, never)), NotFound);
    await assert.rejects(all(watchEvents(unknown.hub, unknown.jobs, { jobId: '', afterEventId: '' }, never)), { name: 'ValidationError', message: 'job_id: is required' });
    await assert.rejects(all(watchEvents(unknown.hub, unknown.jobs, { jobId: 'nope', afterEventId: 'x\n'.repeat(5000) }, never)), (error: Error) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.field, 'after_event_id');
      assert.ok(error.message.length < 200, `${error.message.length} characters`);
      return true;
    });
  });

  test('a job whose end never reached the log ends the watch at the periodic status check', async () => {
    const fake = fakeJob('JOB_STATUS_RUNNING');
    let reads = 0;
    const read = fake.hub.read;
    fake.hub.read = async (...args) => {
      // The record says completed from the third read on; no event is ever logged.
      if (++reads === 3) Object.assign(fake.job, { status: 'JOB_STATUS_COMPLETED', resultJson: RESULT });
      return read(...args);
    };
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '' }, never));
    assert.deepEqual(events.map((event) => event.type), ['JOB_EVENT_TYPE_PROGRESS', 'JOB_EVENT_TYPE_COMPLETED']);
    assert.equal(events[1].resultJson, RESULT);
    assert.equal(fake.waits(), WATCH_STATUS_CHECK_EVERY - 1);
  });

  test('unpaced: a read that found the log\'s end waits for the next write instead of reading again at once', async () => {
    const fake = fakeJob('JOB_STATUS_RUNNING');
    fake.append({ type: 'JOB_EVENT_TYPE_STARTED', status: 'JOB_STATUS_RUNNING' });
    // The next write comes while the watch waits for it: the job's end.
    fake.hub.waitForEvents = async () => {
      if (fake.job.status !== 'JOB_STATUS_COMPLETED') fake.complete();
      return undefined;
    };
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '0-0' }, never));
    assert.deepEqual(events.map((event) => event.type), ['JOB_EVENT_TYPE_STARTED', 'JOB_EVENT_TYPE_COMPLETED']);
    assert.equal(fake.readsFrom().length, 2, 'one read per write: none that finds nothing in between');
  });

  test('unpaced: a full read (the watch is behind) reads on at once, without waiting for a write', async () => {
    const fake = fakeJob('JOB_STATUS_RUNNING');
    for (let i = 0; i < JobEventLog.READ_COUNT + 20; i++) fake.append({ type: 'JOB_EVENT_TYPE_PARTITION_FINISHED', status: 'JOB_STATUS_RUNNING' });
    fake.complete();
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '0-0' }, never));
    assert.equal(events.length, JobEventLog.READ_COUNT + 21);
    assert.equal(events.at(-1)?.type, 'JOB_EVENT_TYPE_COMPLETED');
    assert.equal(fake.waits(), 0);
  });

  test('unpaced: events a local write logged right after the cursor are taken from the write, not read', async () => {
    const fake = fakeJob('JOB_STATUS_RUNNING');
    fake.append({ type: 'JOB_EVENT_TYPE_STARTED', status: 'JOB_STATUS_RUNNING' });
    const marks: number[] = [];
    // The job's end is logged while the watch waits, and the write says what it logged after which entry.
    fake.hub.waitForEvents = async (_jobId, mark) => {
      marks.push(mark);
      const after = await fake.hub.lastId('j1');
      fake.complete();
      return { after, events: fake.logged(after), mark: 41 };
    };
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '0-0' }, never));
    assert.deepEqual(events.map((event) => event.type), ['JOB_EVENT_TYPE_STARTED', 'JOB_EVENT_TYPE_COMPLETED']);
    assert.deepEqual(events.map((event) => event.eventId), ['1-0', '2-0']);
    assert.equal(events[1].resultJson, RESULT, 'an ending event taken from the write carries the result too');
    assert.deepEqual(fake.readsFrom(), ['0-0'], 'one read: the COMPLETED came with the write');
    assert.deepEqual(marks, [0]);
  });

  test('unpaced: a write whose events do not follow the cursor (another writer\'s came in between) is read from the log', async () => {
    const fake = fakeJob('JOB_STATUS_RUNNING');
    fake.append({ type: 'JOB_EVENT_TYPE_STARTED', status: 'JOB_STATUS_RUNNING' });
    fake.hub.waitForEvents = async () => {
      // Another coordinator logs a PROGRESS (2-0); then this one's write logs the end (3-0) after it.
      fake.append({ type: 'JOB_EVENT_TYPE_PROGRESS', status: 'JOB_STATUS_RUNNING' });
      fake.complete();
      return { after: '2-0', events: fake.logged('2-0'), mark: 1 };
    };
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '0-0' }, never));
    assert.deepEqual(events.map((event) => event.eventId), ['1-0', '2-0', '3-0'], 'the other writer\'s event is not skipped');
    assert.deepEqual(fake.readsFrom(), ['0-0', '1-0']);
  });

  test('paced: a write\'s events are not taken from it; the paced watch reads', async () => {
    const fake = fakeJob('JOB_STATUS_RUNNING');
    fake.hub.waitForEvents = async () => {
      fake.complete();
      return { after: '0-0', events: fake.logged('0-0'), mark: 1 };
    };
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '0-0' }, never, 10));
    assert.deepEqual(events.map((event) => event.type), ['JOB_EVENT_TYPE_COMPLETED']);
    assert.deepEqual(fake.readsFrom(), ['0-0', '0-0']);
  });

  test('stops when the call is stopped', async () => {
    const fake = fakeJob('JOB_STATUS_RUNNING');
    const stop = new AbortController();
    fake.hub.waitForEvents = async () => {
      stop.abort();
      return undefined;
    };
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '' }, stop.signal));
    assert.deepEqual(events.map((event) => event.type), ['JOB_EVENT_TYPE_PROGRESS']);
  });

  test('paced (a dashboard page): after a read that found events, the next read waits out the pace; events logged meanwhile come in that one read', async () => {
    const paceMs = 200;
    const fake = fakeJob('JOB_STATUS_RUNNING');
    fake.append({ type: 'JOB_EVENT_TYPE_STARTED', status: 'JOB_STATUS_RUNNING' });
    const readsAt: number[] = [];
    const read = fake.hub.read;
    fake.hub.read = async (...args) => {
      readsAt.push(performance.now());
      // Right after the first read, two more events and the end are logged, one write at a time.
      if (readsAt.length === 1) {
        setTimeout(() => fake.append({ type: 'JOB_EVENT_TYPE_PARTITION_STARTED', status: 'JOB_STATUS_RUNNING' }), 2);
        setTimeout(() => fake.append({ type: 'JOB_EVENT_TYPE_PARTITION_FINISHED', status: 'JOB_STATUS_RUNNING' }), 4);
        setTimeout(() => fake.complete(), 6);
      }
      return read(...args);
    };
    const events = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '0-0' }, never, paceMs));
    assert.deepEqual(events.map((event) => event.type), ['JOB_EVENT_TYPE_STARTED', 'JOB_EVENT_TYPE_PARTITION_STARTED', 'JOB_EVENT_TYPE_PARTITION_FINISHED', 'JOB_EVENT_TYPE_COMPLETED']);
    assert.equal(readsAt.length, 2, 'the three later events in one read');
    // Timers run on the event loop's cached millisecond clock, so they may fire a few ms early by performance.now().
    assert.ok(readsAt[1] - readsAt[0] >= paceMs - 5, `second read ${(readsAt[1] - readsAt[0]).toFixed(1)} ms after the first`);
    assert.equal(fake.waits(), 0);
  });

  test('paced: a watch that is behind (a full read) reads on at once, and a stopped one does not wait out its pace', async () => {
    const fake = fakeJob('JOB_STATUS_RUNNING');
    for (let i = 0; i < 2500; i++) fake.append({ type: 'JOB_EVENT_TYPE_PARTITION_FINISHED', status: 'JOB_STATUS_RUNNING' });
    fake.complete();
    // A pace no test run would wait out: the watch can only end by reading on after its full reads.
    const behind = await all(watchEvents(fake.hub, fake.jobs, { jobId: 'j1', afterEventId: '0-0' }, never, 3_600_000));
    assert.equal(behind.length, 2501);
    assert.equal(behind.at(-1)?.type, 'JOB_EVENT_TYPE_COMPLETED');

    const running = fakeJob('JOB_STATUS_RUNNING');
    running.append({ type: 'JOB_EVENT_TYPE_STARTED', status: 'JOB_STATUS_RUNNING' });
    const stop = new AbortController();
    const seen: JobEvent[] = [];
    for await (const event of watchEvents(running.hub, running.jobs, { jobId: 'j1', afterEventId: '0-0' }, stop.signal, 3_600_000)) {
      seen.push(event);
      stop.abort();
    }
    assert.deepEqual(seen.map((event) => event.type), ['JOB_EVENT_TYPE_STARTED']);
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import type { JobEvent__Output } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import { bearerTokenInterceptor } from '../../shared/grpc/bearer-token-interceptor.js';
import { createCoordinatorClient, type CoordinatorClient } from '../../shared/grpc/clients.js';
import { connect } from '../helpers/jobs.js';
import { streamOutcome } from '../helpers/stream-status.js';

/** A unary call's error, or null; raw grpc-js (the CLI's connection rewords some statuses). */
function failure<T>(invoke: (callback: (error: grpc.ServiceError | null, response?: T) => void) => void): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => invoke((error) => resolve(error)));
}

const deadline = () => ({ deadline: Date.now() + 5000 });

describe('every call ends with a status at once, and errors do not echo unbounded input', { timeout: 120_000 }, () => {
  let cluster: LocalCluster;
  let coordinator: CoordinatorConnection;
  let raw: CoordinatorClient;

  before(async () => {
    cluster = await startLocalCluster({ agents: [{ slots: 2 }] });
    coordinator = connect(cluster.coordinator);
    raw = createCoordinatorClient(cluster.coordinator.address, {}, { interceptors: [bearerTokenInterceptor(cluster.coordinator.adminToken)] });
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });

  after(async () => {
    coordinator?.close();
    raw?.close();
    await cluster?.stop();
  });

  test('WatchJob of an unknown job: NOT_FOUND within 1 s', async () => {
    const { messages, error, ms } = await streamOutcome(raw.watchJob({ jobId: 'no-such-job' }), 1000);
    assert.equal(error?.code, grpc.status.NOT_FOUND, error?.details);
    assert.equal(error?.details, 'no job "no-such-job"');
    assert.equal(messages.length, 0);
    assert.ok(ms < 1000, `${ms} ms`);
    // Resuming a watch of an unknown job too.
    const resumed = await streamOutcome(raw.watchJob({ jobId: 'no-such-job', afterEventId: '1700000000000-0' }), 1000);
    assert.equal(resumed.error?.code, grpc.status.NOT_FOUND);
  });

  test('a request without the id it needs: INVALID_ARGUMENT naming the field', async () => {
    const getJob = await failure((callback) => raw.getJob({ jobId: '' }, deadline(), callback));
    assert.equal(getJob?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(getJob?.details, 'job_id: is required');
    const watch = await streamOutcome(raw.watchJob({ jobId: '' }), 1000);
    assert.equal(watch.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(watch.error?.details, 'job_id: is required');
    const fetch = await streamOutcome(raw.fetchDataset({ id: '' }), 1000);
    assert.equal(fetch.error?.details, 'id: is required');
    const schedule = await failure((callback) => raw.removeSchedule({ name: '' }, deadline(), callback));
    assert.equal(schedule?.details, 'name: is required');
  });

  test('WatchJob with a garbage after_event_id: INVALID_ARGUMENT naming the field, within 1 s', async () => {
    const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 1 } } });
    for (const afterEventId of ['yesterday', `x${'9'.repeat(10_000)}`]) {
      const { messages, error, ms } = await streamOutcome(raw.watchJob({ jobId, afterEventId }), 1000);
      assert.equal(error?.code, grpc.status.INVALID_ARGUMENT, error?.details);
      assert.match(error!.details, /^after_event_id: "/);
      assert.ok(error!.details.length <= 200, `${error!.details.length} characters`);
      assert.equal(messages.length, 0);
      assert.ok(ms < 1000, `${ms} ms`);
    }
  });

  test('FetchDataset of an unknown id: NOT_FOUND within 1 s', async () => {
    for (const id of ['0'.repeat(64), 'not-a-dataset-id']) {
      const { error, ms } = await streamOutcome(raw.fetchDataset({ id }), 1000);
      assert.equal(error?.code, grpc.status.NOT_FOUND, `${id}: ${error?.details}`);
      assert.equal(error?.details, `no dataset "${id}"`);
      assert.ok(ms < 1000, `${ms} ms`);
    }
  });

  test('a 10 KB job id: NOT_FOUND whose message quotes at most about 100 characters of it', async () => {
    const jobId = `j${'x'.repeat(10_239)}`;
    const calls: Array<[string, Promise<grpc.ServiceError | null>]> = [
      ['GetJob', failure((callback) => raw.getJob({ jobId }, deadline(), callback))],
      ['CancelJob', failure((callback) => raw.cancelJob({ jobId }, deadline(), callback))],
      ['WatchJob', streamOutcome(raw.watchJob({ jobId }), 1000).then(({ error }) => error ?? null)],
    ];
    for (const [rpc, call] of calls) {
      const error = await call;
      assert.equal(error?.code, grpc.status.NOT_FOUND, `${rpc}: ${error?.details}`);
      assert.ok(error!.details.length <= 200, `${rpc}: ${error!.details.length} characters`);
      assert.equal(error!.details, `no job "${jobId.slice(0, 100)}…" (10240 characters)`);
    }
    const schedule = await failure((callback) => raw.pauseSchedule({ name: 'ghost' }, deadline(), callback));
    assert.equal(schedule?.code, grpc.status.NOT_FOUND);
    assert.equal(schedule?.details, 'no schedule "ghost"');
  });

  test('the COMPLETED event carries the result, live, resumed and after the end', async () => {
    const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 4, workMs: 300 } } });
    const live = await watchToEnd(coordinator, jobId, { timeoutMs: 30_000 });
    assert.equal(live.job.status, 'JOB_STATUS_COMPLETED', live.job.error);
    assert.deepEqual(JSON.parse(live.job.resultJson), { partitions: 4, checksum: 6 });
    const completed = (events: JobEvent__Output[]) => {
      const last = events.at(-1)!;
      assert.equal(last.type, 'JOB_EVENT_TYPE_COMPLETED');
      return last;
    };
    // Read from the log while the job ran: the event id is the log's.
    const fromLog = completed(live.events);
    assert.match(fromLog.eventId, /^\d+-\d+$/);
    assert.equal(fromLog.resultJson, live.job.resultJson);

    // Resumed after an earlier event: the COMPLETED event comes from the log again.
    const earlier = live.events.filter((event) => event.eventId && event.type !== 'JOB_EVENT_TYPE_COMPLETED').at(-1)!;
    const resumed = await watchToEnd(coordinator, jobId, { timeoutMs: 10_000, afterEventId: earlier.eventId });
    assert.equal(completed(resumed.events).eventId, fromLog.eventId);
    assert.equal(completed(resumed.events).resultJson, live.job.resultJson);

    // A watch begun after the end: one event, from the job record, with the result.
    const late = await watchToEnd(coordinator, jobId, { timeoutMs: 10_000 });
    assert.equal(late.events.length, 1);
    assert.equal(completed(late.events).resultJson, live.job.resultJson);
  });

  test('a tiny job watched from its submission ends the watch right after it completes', async () => {
    // The watch reads the log cursor before the snapshot: a COMPLETED between the two is not missed.
    for (let i = 0; i < 10; i++) {
      const submitted = Date.now();
      const { jobId } = await coordinator.submitJob({ spec: { noop: { partitions: 1 } } });
      let lastEventAt = 0;
      const { job } = await watchToEnd(coordinator, jobId, { timeoutMs: 10_000, onEvent: () => (lastEventAt = Date.now()) });
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      const lateMs = lastEventAt - Math.max(submitted, job.finishedAtMs);
      assert.ok(lateMs < 1000, `job ${jobId}: the watch ended ${lateMs} ms after the job`);
    }
  });

  test('what a new user tries: unknown status, bars 0, walk_forward {0, 0}, a cron every second: INVALID_ARGUMENT naming the field', async () => {
    const list = await failure((callback) => raw.listJobs({ status: 99 as unknown as 'JOB_STATUS_QUEUED' }, deadline(), callback));
    assert.equal(list?.code, grpc.status.INVALID_ARGUMENT, list?.details);
    assert.match(list!.details, /^status: "99" is not one of JOB_STATUS_UNSPECIFIED, /);
    const bars = await failure((callback) => raw.submitJob({ spec: { backtest: { symbols: ['A'], dataset: { name: 'synthetic', bars: 0 } } } }, deadline(), callback));
    assert.equal(bars?.code, grpc.status.INVALID_ARGUMENT, bars?.details);
    assert.match(bars!.details, /^backtest\.dataset\.bars: must be an integer from 100 to \d+ \(leave it unset for 20000\), got "0"/);
    const analysisBars = await failure((callback) => raw.submitJob({ spec: { marketAnalysis: { assets: ['A'], dataset: { bars: 0 } } } }, deadline(), callback));
    assert.match(analysisBars!.details, /^market_analysis\.dataset\.bars: .*leave it unset for 5000/);
    const walkForward = await failure((callback) =>
      raw.submitJob({ spec: { backtest: { symbols: ['A'], walkForward: { inSampleBars: 0, outOfSampleBars: 0 } } } }, deadline(), callback),
    );
    assert.equal(walkForward?.code, grpc.status.INVALID_ARGUMENT, walkForward?.details);
    assert.match(walkForward!.details, /^backtest\.walk_forward\.in_sample_bars: /);
    // The default minimum interval between occurrences is a minute.
    const cron = await failure((callback) => raw.addSchedule({ name: 'every-second', cron: '* * * * * *', template: { spec: { noop: {} } } }, deadline(), callback));
    assert.equal(cron?.code, grpc.status.INVALID_ARGUMENT, cron?.details);
    assert.match(cron!.details, /^cron: "\* \* \* \* \* \*" fires 1s apart; occurrences must be at least 1m apart/);
    const everyMinute = await coordinator.addSchedule({ name: 'every-minute', cron: '* * * * *', template: { spec: { noop: {} } } });
    assert.equal(everyMinute.cron, '* * * * *');
    await coordinator.changeSchedule('remove', 'every-minute');
  });

  test('Redis down: calls fail at once with UNAVAILABLE naming the store', async () => {
    await cluster.redis.stop();
    // Each within its 5 s deadline: after the one retry the API's connection makes (ioredis backs off up to 2 s between tries).
    const getJob = await failure((callback) => raw.getJob({ jobId: 'any' }, deadline(), callback));
    assert.equal(getJob?.code, grpc.status.UNAVAILABLE, getJob?.details);
    assert.match(getJob!.details, /^job store \(Redis\) unavailable: /);
    const datasets = await failure((callback) => raw.listDatasets({}, deadline(), callback));
    assert.equal(datasets?.code, grpc.status.UNAVAILABLE, datasets?.details);
    assert.match(datasets!.details, /^dataset store \(Redis\) unavailable: /);
    const watch = await streamOutcome(raw.watchJob({ jobId: 'any' }), 5000);
    assert.equal(watch.error?.code, grpc.status.UNAVAILABLE, watch.error?.details);
    assert.match(watch.error!.details, /^job store \(Redis\) unavailable: /);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JobEvent__Output } from '../../../shared/generated/quantgrid/v1/JobEvent.js';
import type { JobProgress__Output } from '../../../shared/generated/quantgrid/v1/JobProgress.js';
import { terminalStatusOf } from '../../../shared/job-status.js';
import { describeEvent, describeProgress, isProgressOnly, unitsText } from '../../../cli/render/event-lines.js';
import { JsonWatchDisplay, LineWatchDisplay, ProgressThrottle } from '../../../cli/render/watch-display.js';

function progress(done: number, overrides: Partial<JobProgress__Output> = {}): JobProgress__Output {
  return { partitionsTotal: 10, partitionsDone: done, partitionsRunning: 2, retries: 0, runningNodes: ['node-a', 'node-b'], etaSeconds: 20, partitionsReused: 0, partitionsRecovered: 0, unitsContinued: 0, unitsRejected: 0, unitsFull: 0, barsSimulated: 0, continuedFrom: '', backups: 0, backupsWon: 0, ...overrides };
}

function event(type: string, overrides: Partial<JobEvent__Output> = {}): JobEvent__Output {
  return {
    jobId: 'job-1',
    type: type as JobEvent__Output['type'],
    timeMs: Date.UTC(2024, 0, 1, 12, 0, 0),
    partition: -1,
    nodeId: '',
    attempt: 0,
    message: '',
    progress: progress(0),
    resultJson: '',
    status: 'JOB_STATUS_RUNNING',
    eventId: '',
    failover: false,
    backup: false,
    resultBytes: 0,
    resultTruncated: false,
    job: null,
    ...overrides,
  };
}

describe('event lines', () => {
  it('describes retries with the failing node and the cause', () => {
    const text = describeEvent(
      event('JOB_EVENT_TYPE_PARTITION_RETRIED', { partition: 3, nodeId: 'node-b', attempt: 2, message: 'heartbeat lost' }),
    );
    assert.equal(text, 'partition 3 failed on node-b (attempt 2): heartbeat lost; retrying');
  });

  it('describes progress, start and the end states', () => {
    assert.equal(describeProgress(progress(4, { retries: 1 })), 'progress 4/10 (40%), 2 running on node-a, node-b, retries 1, eta 20.0s');
    assert.equal(describeProgress(progress(0, { partitionsTotal: 0 })), 'progress: not planned yet');
    assert.equal(describeEvent(event('JOB_EVENT_TYPE_STARTED')), 'started: 10 partitions');
    assert.equal(describeEvent(event('JOB_EVENT_TYPE_FAILED', { message: 'partition 3 failed 3 times' })), 'failed: partition 3 failed 3 times');
    assert.match(describeEvent(event('JOB_EVENT_TYPE_COMPLETED', { progress: progress(10) })), /^completed: 10\/10 partitions/);
    assert.equal(describeEvent(event('JOB_EVENT_TYPE_WAITING_FOR_NODES')), 'waiting for nodes');
  });

  it('says what the units of an incremental re-run simulated, and nothing for a job that counted none', () => {
    assert.equal(unitsText(progress(10)), '');
    const continued = progress(10, { unitsContinued: 9800, unitsFull: 200, unitsRejected: 3, barsSimulated: 9800 * 24 + 200 * 5024 });
    assert.equal(unitsText(continued), '9800 units continued from checkpoints, 200 from their first bar (3 given a checkpoint that did not match), 1240000 bars simulated (124 per unit)');
    assert.equal(unitsText(progress(10, { unitsContinued: 3, barsSimulated: 10 })), '3 units continued from checkpoints, 0 from their first bar, 10 bars simulated (3.3 per unit)');
    assert.match(describeEvent(event('JOB_EVENT_TYPE_COMPLETED', { progress: progress(10, { unitsContinued: 80, barsSimulated: 1920 }) })), /; 80 units continued from checkpoints, 0 from their first bar, 1920 bars simulated \(24 per unit\)$/);
  });

  it('shows a straggler\'s backup (its start, its win, the stopped copy) rather than folding it into progress', () => {
    const backup = event('JOB_EVENT_TYPE_PARTITION_STARTED', { partition: 3, nodeId: 'node-b', attempt: 2, backup: true });
    assert.equal(isProgressOnly(backup), false);
    assert.equal(isProgressOnly(event('JOB_EVENT_TYPE_PARTITION_STARTED', { partition: 3, nodeId: 'node-a', attempt: 1 })), true);
    assert.equal(describeEvent(backup), 'partition 3 is a straggler: backup copy started on node-b (attempt 2; the first result wins)');
    assert.equal(describeEvent(event('JOB_EVENT_TYPE_PARTITION_FINISHED', { partition: 3, nodeId: 'node-b', attempt: 2, backup: true })), 'partition 3 finished on node-b (its backup copy won)');
    assert.equal(
      describeEvent(event('JOB_EVENT_TYPE_PARTITION_COPY_STOPPED', { partition: 3, nodeId: 'node-a', attempt: 1, message: 'superseded: attempt 2 on node-b finished first' })),
      'partition 3: copy on node-a (attempt 1) stopped: superseded: attempt 2 on node-b finished first',
    );
    assert.equal(describeProgress(progress(9, { backups: 2, backupsWon: 1 })), 'progress 9/10 (90%), 2 running on node-a, node-b, retries 0, backups 2 (1 won), eta 20.0s');
  });

  it('knows which events end a job', () => {
    assert.equal(terminalStatusOf(event('JOB_EVENT_TYPE_COMPLETED')), 'JOB_STATUS_COMPLETED');
    assert.equal(terminalStatusOf(event('JOB_EVENT_TYPE_CANCELLED')), 'JOB_STATUS_CANCELLED');
    assert.equal(terminalStatusOf(event('JOB_EVENT_TYPE_PROGRESS')), undefined);
  });
});

describe('ProgressThrottle', () => {
  it('lets progress through once per interval and only when it moved', () => {
    let now = 0;
    const throttle = new ProgressThrottle(1000, () => now);
    assert.equal(throttle.due(progress(1)), true);
    now = 500;
    assert.equal(throttle.due(progress(2)), false, 'too soon');
    now = 1500;
    assert.equal(throttle.due(progress(1)), false, 'nothing moved since last shown');
    assert.equal(throttle.due(progress(2)), true);
  });
});

describe('LineWatchDisplay', () => {
  it('prints the snapshot, meaningful events, and progress every few seconds', () => {
    let now = 0;
    const lines: string[] = [];
    const display = new LineWatchDisplay((line) => lines.push(line), 3000, () => now);
    display.event(event('JOB_EVENT_TYPE_PROGRESS', { progress: progress(2) }), true);
    display.event(event('JOB_EVENT_TYPE_PARTITION_FINISHED', { partition: 2, progress: progress(3) }), false);
    display.event(event('JOB_EVENT_TYPE_PARTITION_RETRIED', { partition: 4, nodeId: 'node-b', attempt: 2, message: 'worker crashed' }), false);
    now = 3500;
    display.event(event('JOB_EVENT_TYPE_PARTITION_FINISHED', { partition: 5, progress: progress(6) }), false);
    display.event(event('JOB_EVENT_TYPE_PARTITION_STARTED', { partition: 7, progress: progress(6, { partitionsRunning: 3 }) }), false);
    display.notice('lost the event stream');
    display.event(event('JOB_EVENT_TYPE_COMPLETED', { progress: progress(10) }), false);

    assert.equal(lines.length, 5, lines.join('\n'));
    assert.match(lines[0], /job job-1: running, progress 2\/10 \(20%\)/);
    assert.match(lines[1], /partition 4 failed on node-b \(attempt 2\): worker crashed; retrying/);
    assert.match(lines[2], /progress 6\/10 \(60%\)/);
    assert.match(lines[3], /lost the event stream/);
    assert.match(lines[4], /completed/);
    for (const line of lines) assert.match(line, /^\d\d:\d\d:\d\d /);
  });
});

describe('JsonWatchDisplay', () => {
  it('writes meaningful events as JSON lines without result_json, notices elsewhere', () => {
    const lines: string[] = [];
    const notices: string[] = [];
    const display = new JsonWatchDisplay((line) => lines.push(line), (text) => notices.push(text), 3000, () => 0);
    display.event(event('JOB_EVENT_TYPE_PROGRESS', { progress: progress(0) }), true);
    display.event(event('JOB_EVENT_TYPE_PARTITION_FINISHED', { progress: progress(1) }), false);
    const ended = { id: 'job-1', status: 'JOB_STATUS_COMPLETED' } as NonNullable<JobEvent__Output['job']>;
    display.event(event('JOB_EVENT_TYPE_COMPLETED', { resultJson: '{"partitions":1,"checksum":0}', job: ended }), false);
    display.notice('re-attaching');
    assert.equal(lines.length, 2);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(parsed[0].type, 'JOB_EVENT_TYPE_PROGRESS');
    assert.equal(parsed[1].type, 'JOB_EVENT_TYPE_COMPLETED');
    assert.ok(!('resultJson' in parsed[1]));
    assert.ok(!('job' in parsed[1]) && !('job' in parsed[0]), 'the ended job is reported after the watch, not in its lines');
    assert.deepEqual(notices, ['re-attaching']);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NotFound, ValidationError } from '../../../shared/errors.js';
import type { JobLogLine } from '../../../shared/generated/quantgrid/v1/JobLogLine.js';
import { MAX_JOB_LOG_LINES, MAX_LOG_LINE_BYTES, truncateUtf8 } from '../../../shared/job-log-limits.js';
import { jobLogLines } from '../../../coordinator/api/job-log-rpc.js';
import { storedLine, type JobLogEntry, type StoredLogLine } from '../../../coordinator/jobs/job-log.js';
import { JobExecution } from '../../../coordinator/jobs/job-execution.js';
import type { JobEventLog } from '../../../coordinator/jobs/job-event-log.js';
import type { JobView } from '../../../coordinator/api/job-views.js';
import type { GetJobLogRequest__Output } from '../../../shared/generated/quantgrid/v1/GetJobLogRequest.js';
import type { NodeRecord } from '../../../coordinator/nodes/node-table.js';
import type { PartitionTask } from '../../../coordinator/partitions/partition-dispatcher.js';

describe('truncateUtf8: a log line\'s bound', () => {
  test('any text comes out within the byte bound, as whole characters, starting with the text it cut', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 40, max: 300 }), (text, max) => {
        const cut = truncateUtf8(text, max);
        assert.ok(Buffer.byteLength(cut, 'utf8') <= max, `${Buffer.byteLength(cut)} > ${max}`);
        if (Buffer.byteLength(text, 'utf8') <= max) {
          assert.equal(cut, text);
          return;
        }
        const kept = cut.slice(0, cut.lastIndexOf(' … ['));
        assert.ok(text.startsWith(kept), 'a prefix of the text');
        assert.ok(!kept.includes('\uFFFD') || text.includes('\uFFFD'), 'no character split');
        assert.match(cut, new RegExp(` … \\[${Buffer.byteLength(text, 'utf8')} bytes, cut to ${max}\\]$`));
      }),
    );
  });

  test('a stored line cuts message and detail to 8 KiB each and fills what is about no attempt', () => {
    const line = storedLine({ jobId: 'j', level: 'error', source: 'coordinator', message: 'é'.repeat(10_000), detail: 'x'.repeat(20_000) }, 5);
    assert.ok(Buffer.byteLength(line.message) <= MAX_LOG_LINE_BYTES && Buffer.byteLength(line.message) > MAX_LOG_LINE_BYTES - 60);
    assert.ok(Buffer.byteLength(line.detail) <= MAX_LOG_LINE_BYTES);
    assert.deepEqual({ ...line, message: '', detail: '' }, { timeMs: 5, level: 'error', source: 'coordinator', message: '', partition: -1, nodeId: '', attempt: 0, detail: '' });
  });
});

/** A job's log and record in memory, as jobLogLines reads them. */
function fakeLog(status: string, count: number) {
  const lines: StoredLogLine[] = Array.from({ length: count }, (_, i) => ({ id: `${i + 1}-0`, timeMs: i, level: 'info', source: 'coordinator', message: `line ${i + 1}`, partition: -1, nodeId: '', attempt: 0, detail: '' }));
  const job = { status };
  const order = (id: string) => Number(id.split('-')[0]);
  let gets = 0;
  return {
    lines,
    job,
    gets: () => gets,
    log: { read: async (_jobId: string, afterId: string, n: number) => lines.filter((line) => order(line.id) > order(afterId)).slice(0, n) },
    jobs: {
      get: async (jobId: string) => {
        gets++;
        if (jobId !== 'j1') throw new NotFound('job', jobId);
        return { id: jobId, status: job.status } as JobView;
      },
    },
  };
}

const request = (fields: Partial<GetJobLogRequest__Output>): GetJobLogRequest__Output => ({ jobId: 'j1', afterId: '', limit: 0, follow: false, ...fields });
const never = new AbortController().signal;

async function all(lines: AsyncIterable<JobLogLine>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line.message!);
  return out;
}

describe('jobLogLines: what a GetJobLog call streams', () => {
  test('without follow: the lines so far, after after_id, at most limit, across pages', async () => {
    const fake = fakeLog('JOB_STATUS_RUNNING', 1203);
    assert.equal((await all(jobLogLines(fake.log, fake.jobs, request({}), never))).length, 1203);
    assert.deepEqual(await all(jobLogLines(fake.log, fake.jobs, request({ afterId: '1200-0' }), never)), ['line 1201', 'line 1202', 'line 1203']);
    assert.deepEqual(await all(jobLogLines(fake.log, fake.jobs, request({ afterId: '5-0', limit: 2 }), never)), ['line 6', 'line 7']);
  });

  test('with follow: new lines as they come, and the end once the job has ended and its last lines are read', async () => {
    const fake = fakeLog('JOB_STATUS_RUNNING', 2);
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of jobLogLines(fake.log, fake.jobs, request({ follow: true }), never, 5)) seen.push(line.message!);
    })();
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.deepEqual(seen, ['line 1', 'line 2']);
    fake.lines.push({ ...fake.lines[0], id: '3-0', message: 'line 3' });
    fake.job.status = 'JOB_STATUS_COMPLETED';
    // Written by the ending coordinator just after the status changed: still picked up.
    setTimeout(() => fake.lines.push({ ...fake.lines[0], id: '4-0', message: 'completed' }), 1);
    await following;
    assert.deepEqual(seen, ['line 1', 'line 2', 'line 3', 'completed']);
  });

  test('a follower stops when the call is cancelled', async () => {
    const fake = fakeLog('JOB_STATUS_RUNNING', 1);
    const stop = new AbortController();
    const seen = all(jobLogLines(fake.log, fake.jobs, request({ follow: true }), stop.signal, 5));
    setTimeout(() => stop.abort(), 30);
    assert.deepEqual(await seen, ['line 1']);
  });

  test('bad requests fail naming the field, an unknown job with NOT_FOUND, before any line', async () => {
    const fake = fakeLog('JOB_STATUS_COMPLETED', 3);
    const failure = (fields: Partial<GetJobLogRequest__Output>) => all(jobLogLines(fake.log, fake.jobs, request(fields), never));
    await assert.rejects(failure({ jobId: '' }), (error: ValidationError) => error instanceof ValidationError && error.field === 'job_id');
    await assert.rejects(failure({ afterId: 'yesterday' }), (error: ValidationError) => error instanceof ValidationError && error.field === 'after_id');
    await assert.rejects(failure({ limit: MAX_JOB_LOG_LINES + 1 }), (error: ValidationError) => error instanceof ValidationError && error.field === 'limit');
    await assert.rejects(failure({ jobId: 'nope' }), NotFound);
  });
});

describe('JobExecution: what the coordinator writes in a job\'s log', () => {
  const hub = { publish: () => undefined } as unknown as JobEventLog;
  const node = { id: 'agent-b' } as NodeRecord;
  const setup = () => {
    const lines: JobLogEntry[] = [];
    const execution = new JobExecution('j1', hub, { jobId: 'j1', kind: 'noop', specJson: '{}', datasetIds: [], requiredCapabilities: [], priority: 0, owner: 'sam', cancelled: false }, async () => undefined, (entry) => lines.push(entry));
    execution.begin(4);
    const task = { index: 2, attempts: 1 } as PartitionTask;
    return { lines, execution, task };
  };

  test('a retry names the partition, node and attempt with the worker\'s stack; one that quarantined the node says so', () => {
    const { lines, execution, task } = setup();
    execution.retried(task, node, 1, 'INTERNAL: worker crashed', { stack: 'Error: boom\n    at run', quarantinedForMs: 30_000 });
    assert.deepEqual(lines, [
      { jobId: 'j1', source: 'coordinator', partition: 2, nodeId: 'agent-b', attempt: 1, level: 'warn', message: 'attempt 1 failed on agent-b; retrying on another node: INTERNAL: worker crashed', detail: 'Error: boom\n    at run' },
      { jobId: 'j1', source: 'coordinator', partition: 2, nodeId: 'agent-b', attempt: 1, level: 'warn', message: 'node agent-b quarantined for 30 s after repeated failures: it gets no work meanwhile' },
    ]);
  });

  test('what a partition reports keeps its level (unknown levels count as warnings); a failure is logged once', () => {
    const { lines, execution, task } = setup();
    execution.logged(task, node, 1, 'warn', 'few bars');
    execution.logged(task, node, 1, 'shout', 'odd level');
    execution.failed(task, 'TASK_ERROR: bad', { stack: 'Error: bad', nodeId: 'agent-b' });
    execution.failed({ ...task, index: 3 } as PartitionTask, 'TASK_ERROR: also bad', { nodeId: 'agent-b' });
    assert.deepEqual(lines.map(({ source, level, message }) => [source, level, message]), [
      ['partition', 'warn', 'few bars'],
      ['partition', 'warn', 'odd level'],
      ['coordinator', 'error', 'partition 2 failed: TASK_ERROR: bad'],
    ]);
    assert.equal(lines[2].detail, 'Error: bad');
  });
});

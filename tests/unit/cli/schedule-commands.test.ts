import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { AddScheduleRequest__Output } from '../../../shared/generated/quantgrid/v1/AddScheduleRequest.js';
import type { Schedule } from '../../../shared/generated/quantgrid/v1/Schedule.js';
import { job, startFakeCoordinator, type FakeCoordinator } from '../../helpers/fake-coordinator.js';
import { runCli } from './run-cli.js';

/** The schedule commands as processes against a scripted fake coordinator. */

const servers: FakeCoordinator[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

async function fake(handlers: Parameters<typeof startFakeCoordinator>[0]): Promise<FakeCoordinator> {
  const server = await startFakeCoordinator(handlers);
  servers.push(server);
  return server;
}

const NEXT = Date.UTC(2030, 0, 2, 2, 0, 0);

function schedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    name: 'nightly',
    cron: '0 2 * * *',
    tz: 'UTC',
    missed: 'run-once',
    graceSeconds: 60,
    paused: false,
    template: { name: 'nightly', spec: { noop: { partitions: 4 } } },
    createdAtMs: NEXT - 86_400_000,
    nextRunMs: NEXT,
    ...overrides,
  };
}

const notFound = (name: string) => ({ code: grpc.status.NOT_FOUND, details: `no schedule ${name}` });

describe('quantgrid schedule', { concurrency: 4 }, () => {
  it('add sends the template built by submit\'s own flags and prints the schedule', async () => {
    let received: AddScheduleRequest__Output | undefined;
    const server = await fake({
      AddSchedule: (call, callback) => {
        received = call.request;
        callback(null, schedule({ tz: call.request.tz, cron: call.request.cron, missed: call.request.missed }));
      },
    });
    const run = await runCli([
      '--coordinator', server.address, 'schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--tz', 'Europe/London', '--missed', 'skip',
      '--', 'backtest', '--symbols', 'BTCUSDT,ETHUSDT', '--fast', '5:50:5', '--priority', '2',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /added schedule nightly/);
    assert.match(run.stdout, /0 2 \* \* \* \(Europe\/London\)/);
    assert.match(run.stdout, /skip \(when more than 60 s late\)/);
    assert.ok(received);
    assert.equal(received.name, 'nightly');
    assert.equal(received.tz, 'Europe/London');
    assert.equal(received.missed, 'skip');
    assert.equal(received.graceSeconds, 60);
    assert.deepEqual(received.template?.spec?.backtest?.symbols, ['BTCUSDT', 'ETHUSDT']);
    assert.deepEqual(received.template?.spec?.backtest?.params.fast, { start: 5, stop: 50, step: 5 });
    assert.equal(received.template?.priority, 2);
    assert.equal(received.template?.requestId, '');
  });

  it('add: the coordinator\'s refusal is printed as is, exit 1', async () => {
    const server = await fake({
      AddSchedule: (_call, callback) => callback({ code: grpc.status.ALREADY_EXISTS, details: 'schedule nightly exists already (remove it first to replace it)' }, null),
    });
    const run = await runCli(['--coordinator', server.address, 'schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--', 'noop']);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'quantgrid: schedule nightly exists already (remove it first to replace it)\n');
  });

  it('ls shows next run in the schedule\'s zone, the last run with its outcome and job', async () => {
    const server = await fake({
      ListSchedules: (_call, callback) =>
        callback(null, {
          schedules: [
            schedule({ tz: 'Europe/London', lastRun: { jobId: 'repeat:nightly:1', scheduledAtMs: NEXT - 86_400_000, status: 'JOB_STATUS_COMPLETED' } }),
            schedule({ name: 'scan', missed: 'skip', paused: true, nextRunMs: 0, lastRun: { scheduledAtMs: NEXT - 3_600_000, skipped: true, reason: 'missed' } }),
          ],
        }),
    });
    const run = await runCli(['--coordinator', server.address, 'schedule', 'ls']);
    assert.equal(run.code, 0, run.stderr);
    const nightly = run.stdout.split('\n').find((line) => line.includes('nightly '))!;
    assert.match(nightly, /2030-01-02 02:00:00 \(in /, 'next run in London time (UTC in January)');
    assert.match(nightly, /2030-01-01 02:00:00 .*completed .*repeat:nightly:1 .*run-once .*active/);
    const scan = run.stdout.split('\n').find((line) => line.includes('scan '))!;
    assert.match(scan, /skipped .*skip .*paused/);

    const json = await runCli(['--coordinator', server.address, '--json', 'schedule', 'ls']);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { schedules: Array<{ name: string; lastRun: { status: string } }> };
    assert.deepEqual(parsed.schedules.map((s) => s.name), ['nightly', 'scan']);
    assert.equal(parsed.schedules[0].lastRun.status, 'JOB_STATUS_COMPLETED');
  });

  it('ls with none says how to add one', async () => {
    const server = await fake({ ListSchedules: (_call, callback) => callback(null, { schedules: [] }) });
    const run = await runCli(['--coordinator', server.address, 'schedule', 'ls']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^no schedules \(add one: quantgrid schedule add/);
  });

  it('rm, pause, resume: one line each; unknown names exit 1', async () => {
    const calls: string[] = [];
    const handler = (rpc: string, result: (name: string) => Schedule) => (call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<Schedule>) => {
      calls.push(`${rpc} ${call.request.name}`);
      if (call.request.name === 'ghost') callback(notFound('ghost'), null);
      else callback(null, result(call.request.name));
    };
    const server = await fake({
      RemoveSchedule: handler('rm', (name) => schedule({ name })),
      PauseSchedule: handler('pause', (name) => schedule({ name, paused: true, nextRunMs: 0 })),
      ResumeSchedule: handler('resume', (name) => schedule({ name })),
    } as never);
    const rm = await runCli(['--coordinator', server.address, 'schedule', 'rm', 'nightly']);
    assert.equal(rm.stdout, 'removed schedule nightly\n');
    const pause = await runCli(['--coordinator', server.address, 'schedule', 'pause', 'nightly']);
    assert.equal(pause.stdout, 'paused schedule nightly\n');
    const resume = await runCli(['--coordinator', server.address, 'schedule', 'resume', 'nightly']);
    assert.equal(resume.stdout, 'resumed schedule nightly; next run 2030-01-02 02:00:00 UTC\n');
    const resumeJson = await runCli(['--coordinator', server.address, '--json', 'schedule', 'resume', 'nightly']);
    assert.equal((JSON.parse(resumeJson.stdout) as { paused: boolean }).paused, false);
    const ghost = await runCli(['--coordinator', server.address, 'schedule', 'pause', 'ghost']);
    assert.equal(ghost.code, 1);
    assert.equal(ghost.stderr, 'quantgrid: no schedule ghost\n');
    assert.deepEqual(calls, ['rm nightly', 'pause nightly', 'resume nightly', 'resume nightly', 'pause ghost']);
  });

  it('run-now prints the job id; --json the response', async () => {
    const server = await fake({
      RunScheduleNow: (call, callback) => callback(null, { jobId: 'job-7', job: job({ id: 'job-7', status: 'JOB_STATUS_QUEUED', schedule: call.request.name }) }),
    });
    const run = await runCli(['--coordinator', server.address, 'schedule', 'run-now', 'nightly']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^submitted job job-7 \(schedule nightly\)\nfollow it with: quantgrid --coordinator 127\.0\.0\.1:\d+ job job-7 --watch\n$/);
    const json = await runCli(['--coordinator', server.address, '--json', 'schedule', 'run-now', 'nightly']);
    const response = JSON.parse(json.stdout) as { jobId: string; job: { schedule: string } };
    assert.equal(response.jobId, 'job-7');
    assert.equal(response.job.schedule, 'nightly');
  });

  it('usage errors exit 2 with one line naming the flag, before any call', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['schedule', 'add', 'nightly', '--', 'noop'], /^quantgrid: --cron is required/],
      [['schedule', 'add', 'nightly', '--cron', '0 2 * *', '--', 'noop'], /^quantgrid: --cron: "0 2 \* \*" has 4 fields/],
      [['schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--tz', 'Moon/Base', '--', 'noop'], /^quantgrid: --tz: unknown time zone "Moon\/Base"/],
      [['schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--missed', 'twice', '--', 'noop'], /^quantgrid: --missed: "twice" is not one of run-once, skip/],
      [['schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--grace', 'soon', '--', 'noop'], /^quantgrid: --grace: /],
      [['schedule', 'add', 'nightly', '--cron', '0 2 * * *'], /^quantgrid: schedule add needs the job after --/],
      [['schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--', 'backtest', '--fast', '5'], /^quantgrid: required option '--symbols <list>'/],
      [['schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--', 'noop', '--partitions', 'x'], /^quantgrid: --partitions: /],
      [['schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--', 'noop', '--watch'], /^quantgrid: --watch: /],
      [['schedule', 'add', 'night:ly', '--cron', '0 2 * * *', '--', 'noop'], /^quantgrid: NAME: /],
      [['schedule', 'rm'], /^quantgrid: missing required argument 'name'/],
      [['schedule', 'run-now', 'a', 'b'], /^quantgrid: too many arguments/],
      [['schedule', 'frob'], /^quantgrid: unknown schedule subcommand 'frob'/],
      [['schedule'], /^quantgrid: schedule needs a subcommand/],
    ];
    await Promise.all(
      cases.map(async ([args, pattern]) => {
        // Port 9 (discard): nothing listens, so a command that did call would fail with exit 1.
        const run = await runCli(['--coordinator', '127.0.0.1:9', ...args]);
        assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
        assert.match(run.stderr, pattern);
        assert.equal(run.stdout, '');
      }),
    );
  });

  it('--help of each explains with examples', async () => {
    for (const sub of ['add', 'ls', 'rm', 'pause', 'resume', 'run-now']) {
      const run = await runCli(['schedule', sub, '--help']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`Usage: quantgrid schedule ${sub}`));
      assert.match(run.stdout, new RegExp(`Examples:\\n(.|\\n)*\\$ quantgrid schedule ${sub}`));
    }
  });
});

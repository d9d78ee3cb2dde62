import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import type { Job__Output } from '../../shared/generated/quantgrid/v1/Job.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import type { Schedule__Output } from '../../shared/generated/quantgrid/v1/Schedule.js';
import {
  COORDINATOR_READY,
  DEFAULT_COORDINATOR_ENTRY,
  spawnManaged,
  startLocalCluster,
  type LocalCluster,
  type ManagedProcess,
} from '../../scripts/local-cluster/index.js';
import { connect, eventually, sleep } from '../helpers/jobs.js';
import { runCli } from '../unit/cli/run-cli.js';

/**
 * Schedules on a real cluster: BullMQ job schedulers fire each occurrence once with two coordinators
 * on the same Redis and Consul; pause, resume and run-now; missed occurrences while no coordinator
 * ran (one catch-up run with run-once, none with skip).
 */

interface Coordinator {
  address: string;
  process: ManagedProcess;
  logFile: string;
  client: CoordinatorConnection;
}

/** BullMQ names a scheduler's jobs repeat:<schedule>:<occurrence ms>. */
function occurrenceOf(job: Job__Output): number {
  const match = /^repeat:[^:]+:(\d+)$/.exec(job.id);
  assert.ok(match, `job ${job.id} of schedule ${job.schedule} has a scheduler's id`);
  return Number(match[1]);
}

/** The crons here fire every 2 s: below the default minimum interval (1 minute), allowed by the coordinators of this test. */
const FAST_CRONS = ['--min-schedule-interval', '2s'];

describe('schedules', { timeout: 120_000 }, () => {
  let cluster: LocalCluster;
  const coordinators: Coordinator[] = [];
  let started = 0;

  async function startCoordinator(): Promise<Coordinator> {
    const name = `coordinator-${++started}`;
    const logFile = join(cluster.logDir, `${name}.log`);
    const child = spawnManaged(
      name,
      process.execPath,
      [
        DEFAULT_COORDINATOR_ENTRY,
        '--listen', '127.0.0.1:0',
        '--http-listen', '127.0.0.1:0',
        '--consul', cluster.consul.httpAddress,
        '--redis', cluster.redis.url,
        '--cluster-secret-file', cluster.clusterSecretFile,
        '--admin-token-file', cluster.coordinator.adminTokenFile,
        ...FAST_CRONS,
      ],
      { logFile },
    );
    const [, address] = await child.waitForLine(COORDINATOR_READY, 30_000);
    const coordinator = { address, process: child, logFile, client: connect({ address, adminToken: cluster.coordinator.adminToken }) };
    coordinators.push(coordinator);
    return coordinator;
  }

  async function cli(coordinator: Coordinator, ...args: string[]): Promise<unknown> {
    const run = await runCli(['--coordinator', coordinator.address, '--json', ...args], { env: { QUANTGRID_TOKEN: cluster.coordinator.adminToken } });
    assert.equal(run.code, 0, `quantgrid ${args.join(' ')}: ${run.stderr}`);
    return JSON.parse(run.stdout) as unknown;
  }

  async function jobsOf(client: CoordinatorConnection, schedule: string): Promise<Job__Output[]> {
    return (await client.listJobs({ limit: 1000 })).jobs.filter((job) => job.schedule === schedule);
  }

  async function scheduleNamed(client: CoordinatorConnection, name: string): Promise<Schedule__Output> {
    const schedule = (await client.listSchedules()).schedules.find((s) => s.name === name);
    assert.ok(schedule, `schedule ${name} is listed`);
    return schedule;
  }

  before(async () => {
    cluster = await startLocalCluster({ agents: [{ slots: 2 }], coordinatorArgs: FAST_CRONS });
    coordinators.push({ address: cluster.coordinator.address, process: cluster.coordinator.process, logFile: cluster.coordinator.logFile, client: connect(cluster.coordinator) });
    await startCoordinator();
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });

  after(async () => {
    for (const coordinator of coordinators) coordinator.client.close();
    await Promise.all(coordinators.map((coordinator) => coordinator.process.stop().catch(() => undefined)));
    await cluster?.stop();
  });

  test('a cron firing closer than --min-schedule-interval is INVALID_ARGUMENT cron, and nothing is added', async () => {
    const [a] = coordinators;
    await assert.rejects(
      a.client.addSchedule({ name: 'too-fast', cron: '* * * * * *', template: { spec: { noop: { partitions: 1 } } } }),
      (error: Error & { code?: number }) => error.code === 3 && /cron: .*fires 1s apart; occurrences must be at least 2s apart/.test(error.message),
    );
    assert.equal((await a.client.listSchedules()).schedules.some((s) => s.name === 'too-fast'), false);
  });

  test('a fast cron fires every occurrence once, with two coordinators taking jobs', async () => {
    const [a, b] = coordinators;
    const added = (await cli(a, 'schedule', 'add', 'tick', '--cron', '*/2 * * * * *', '--', 'noop', '--partitions', '2', '--work-ms', '50')) as Schedule__Output;
    assert.equal(added.name, 'tick');
    assert.equal(added.tz, 'UTC');
    assert.equal(added.missed, 'run-once');
    assert.equal(added.template?.spec?.noop?.partitions, 2);
    assert.equal(added.template?.name, 'tick', 'jobs are named after the schedule');
    assert.ok(added.nextRunMs > Date.now() - 1000 && added.nextRunMs % 2000 === 0, `next run ${added.nextRunMs}`);

    await eventually(async () => ((await jobsOf(b.client, 'tick')).length >= 4 ? true : undefined), 15_000, 'four occurrences');
    await cli(b, 'schedule', 'rm', 'tick');
    const jobs = await eventually(async () => {
      const all = await jobsOf(a.client, 'tick');
      return all.every((job) => isTerminalStatus(job.status)) ? all : undefined;
    }, 10_000, 'the jobs of tick to finish');

    // Ids are unique by construction; the times show none ran twice and (on a machine that is not
    // overloaded: a run taken over 2 s late moves the next one on) none was left out.
    const times = jobs.map(occurrenceOf).sort((x, y) => x - y);
    const gaps = times.slice(1).map((time, i) => time - times[i]);
    assert.ok(gaps.every((gap) => gap > 0 && gap % 2000 === 0), `occurrences ${times.join(', ')} on the 2 s grid`);
    assert.ok(gaps.filter((gap) => gap === 2000).length >= gaps.length - 1, `occurrences ${times.join(', ')} 2 s apart`);
    for (const job of jobs) {
      assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
      assert.equal(job.kind, 'noop');
      assert.equal(job.name, 'tick');
    }
    // Each occurrence ran on one coordinator only.
    const logs = (await Promise.all(coordinators.map((c) => readFile(c.logFile, 'utf8')))).join('\n');
    const completions = new Map<string, number>();
    for (const line of logs.split('\n')) {
      const match = /"job":"(repeat:tick:\d+)".*"msg":"job completed"/.exec(line);
      if (match) completions.set(match[1], (completions.get(match[1]) ?? 0) + 1);
    }
    for (const job of jobs) assert.equal(completions.get(job.id), 1, `job ${job.id} completed once in the coordinators' logs`);

    const detail = (await cli(b, 'job', jobs[0].id)) as { schedule: string };
    assert.equal(detail.schedule, 'tick', 'job ID shows the schedule');
    const listed = (await cli(a, 'schedule', 'ls')) as { schedules: Schedule__Output[] };
    assert.ok(!listed.schedules.some((s) => s.name === 'tick'), 'rm removed it');
  });

  test('pause stops firing, run-now submits a job, resume fires again', async () => {
    const [a, b] = coordinators;
    await cli(a, 'schedule', 'add', 'pulse', '--cron', '*/2 * * * * *', '--', 'noop', '--partitions', '1', '--name', 'pulse-job');
    await eventually(async () => ((await jobsOf(a.client, 'pulse')).some((job) => job.status === 'JOB_STATUS_COMPLETED') ? true : undefined), 10_000, 'a first run of pulse');

    const paused = (await cli(b, 'schedule', 'pause', 'pulse')) as Schedule__Output;
    const pausedAt = Date.now();
    assert.equal(paused.paused, true);
    assert.equal(paused.nextRunMs, 0);
    await sleep(4500);
    const whilePaused = (await jobsOf(a.client, 'pulse')).filter((job) => job.id.startsWith('repeat:') && occurrenceOf(job) > pausedAt);
    assert.deepEqual(whilePaused.map((job) => job.id), [], 'no occurrence after pause');

    const submitted = (await cli(b, 'schedule', 'run-now', 'pulse')) as { jobId: string };
    assert.ok(submitted.jobId && !submitted.jobId.startsWith('repeat:'));
    const { job } = await watchToEnd(a.client, submitted.jobId, { timeoutMs: 20_000 });
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    assert.equal(job.schedule, 'pulse');
    assert.equal(job.name, 'pulse-job');
    const afterRunNow = await eventually(async () => {
      const s = await scheduleNamed(a.client, 'pulse');
      return s.lastRun?.status === 'JOB_STATUS_COMPLETED' ? s : undefined;
    }, 5000, 'the run-now job to be the last run');
    assert.equal(afterRunNow.lastRun?.jobId, submitted.jobId);
    assert.equal(afterRunNow.lastRun?.manual, true);
    assert.equal(afterRunNow.paused, true);

    const resumed = (await cli(a, 'schedule', 'resume', 'pulse')) as Schedule__Output;
    const resumedAt = Date.now();
    assert.equal(resumed.paused, false);
    assert.ok(resumed.nextRunMs > resumedAt - 1000);
    await eventually(
      async () => ((await jobsOf(b.client, 'pulse')).some((j) => j.id.startsWith('repeat:') && occurrenceOf(j) > resumedAt && j.status === 'JOB_STATUS_COMPLETED') ? true : undefined),
      8000,
      'an occurrence after resume',
    );
    await cli(a, 'schedule', 'rm', 'pulse');
  });

  test('occurrences missed while no coordinator ran: one catch-up run (run-once), none (skip)', async () => {
    const [a] = coordinators;
    // A daily cron whose one occurrence in this test is 6 s from now.
    const at = Math.ceil((Date.now() + 6000) / 1000) * 1000;
    const when = new Date(at);
    const cron = `${when.getUTCSeconds()} ${when.getUTCMinutes()} ${when.getUTCHours()} * * *`;
    await cli(a, 'schedule', 'add', 'catchup', '--cron', cron, '--', 'noop', '--partitions', '1');
    await cli(a, 'schedule', 'add', 'skipper', '--cron', cron, '--missed', 'skip', '--grace', '1', '--', 'noop', '--partitions', '1');
    assert.equal((await scheduleNamed(a.client, 'catchup')).nextRunMs, at);

    // The whole cluster's coordinators go down across the occurrence.
    await Promise.all(coordinators.map((c) => c.process.stop()));
    assert.ok(Date.now() < at, 'stopped before the occurrence');
    await sleep(at + 3000 - Date.now());
    const back = await startCoordinator();

    const caughtUp = await eventually(async () => {
      const jobs = await jobsOf(back.client, 'catchup');
      return jobs.length > 0 && jobs.every((job) => isTerminalStatus(job.status)) ? jobs : undefined;
    }, 15_000, 'the catch-up run');
    const skipper = await eventually(async () => {
      const s = await scheduleNamed(back.client, 'skipper');
      return s.lastRun ? s : undefined;
    }, 10_000, 'the skipped run to be recorded');
    await sleep(2000); // nothing more may come
    const catchupJobs = await jobsOf(back.client, 'catchup');
    assert.deepEqual(catchupJobs.map((job) => job.id), [`repeat:catchup:${at}`], 'exactly one catch-up run, for the missed occurrence');
    assert.equal(caughtUp[0].status, 'JOB_STATUS_COMPLETED', caughtUp[0].error);
    assert.ok(caughtUp[0].startedAtMs >= at + 2000, 'it ran late, after the restart');

    assert.deepEqual(await jobsOf(back.client, 'skipper'), [], 'skip: the missed occurrence did not run');
    assert.equal(skipper.lastRun?.skipped, true);
    assert.equal(skipper.lastRun?.scheduledAtMs, at);
    assert.match(skipper.lastRun?.reason ?? '', /missed/);

    const catchup = await scheduleNamed(back.client, 'catchup');
    assert.equal(catchup.lastRun?.jobId, `repeat:catchup:${at}`);
    assert.equal(catchup.lastRun?.status, 'JOB_STATUS_COMPLETED');
    for (const s of [catchup, skipper]) assert.equal(s.nextRunMs, at + 24 * 3600 * 1000, `${s.name} goes on from its next occurrence`);

    const table = await runCli(['--coordinator', back.address, 'schedule', 'ls'], { env: { QUANTGRID_TOKEN: cluster.coordinator.adminToken } });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /catchup .*completed/);
    assert.match(table.stdout, /skipper .*skipped/);
  });
});

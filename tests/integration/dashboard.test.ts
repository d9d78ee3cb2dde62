/**
 * The dashboard's HTTP API on a real local cluster (Redis, Consul, two coordinators, agents), hit
 * with fetch as the browser would: login and logout, tokens and roles, CSRF, revocation, the jobs
 * listing's filters and pages, a job's timeline after an agent is SIGKILLed, live updates of a job
 * run by the other coordinator, schedules, datasets, and the refusal to listen beyond loopback
 * without TLS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { startLocalCluster, type ClusterCoordinator, type LocalCluster } from '../../scripts/local-cluster/index.js';
import { DEFAULT_COORDINATOR_ENTRY } from '../../scripts/local-cluster/local-cluster.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import {
  API,
  CSRF_HEADER,
  CSRF_HEADER_VALUE,
  SESSION_COOKIE,
  datasetClosesPath,
  jobCancelPath,
  jobPath,
  jobRerunPath,
  jobStreamPath,
  jobTimelinePath,
  schedulePausePath,
  scheduleResumePath,
  type DatasetCloses,
  type ErrorResponse,
  type JobDetail,
  type JobEventView,
  type JobsResponse,
  type JobSummary,
  type MeResponse,
  type NodesResponse,
  type OverviewResponse,
  type ScheduleView,
  type SchedulesResponse,
  type TimelineResponse,
} from '../../shared/dashboard/api-types.js';
import { connect, eventually, sleep } from '../helpers/jobs.js';
import { readSse } from '../helpers/sse.js';

const csrf = { [CSRF_HEADER]: CSRF_HEADER_VALUE };

describe('the dashboard API (real cluster)', { timeout: 300_000 }, () => {
  let cluster: LocalCluster;
  let second: ClusterCoordinator;
  let admin: CoordinatorConnection;
  let base: string;
  const tokens: Record<'admin' | 'viewer' | 'sam', string> = { admin: '', viewer: '', sam: '' };

  const call = (path: string, init: RequestInit & { token?: string; cookie?: string } = {}, at = base): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    if (init.cookie) headers.set('cookie', init.cookie);
    return fetch(new URL(path, at), { ...init, headers });
  };
  const json = async <T>(path: string, token = tokens.admin, at = base): Promise<T> => {
    const response = await call(path, { token }, at);
    assert.equal(response.status, 200, `${path}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as T;
  };
  const post = (path: string, token: string, body?: unknown): Promise<Response> =>
    call(path, { method: 'POST', token, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  before(async () => {
    cluster = await startLocalCluster({
      agents: [
        { nodeId: 'agent-a', slots: 2 },
        { nodeId: 'agent-b', slots: 2 },
      ],
      coordinatorArgs: ['--job-concurrency', '1', '--heartbeat-timeout', '1s'],
    });
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
    second = await cluster.addCoordinator(['--job-concurrency', '1', '--heartbeat-timeout', '1s']);
    base = cluster.coordinator.httpUrl;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    admin = connect(cluster.coordinator);
    tokens.admin = cluster.coordinator.adminToken;
    tokens.viewer = (await admin.createToken({ user: 'vera', role: 'viewer' })).token;
    tokens.sam = (await admin.createToken({ user: 'sam', role: 'submitter' })).token;
  });

  after(async () => {
    admin?.close();
    await cluster?.stop();
  });

  test('login sets an HttpOnly SameSite=Strict cookie; me, logout; no token is 401', async () => {
    const none = await call(API.me);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as ErrorResponse).error.kind, 'unauthenticated');

    const withoutCsrf = await call(API.login, { method: 'POST', body: JSON.stringify({ token: tokens.viewer }) });
    assert.equal(withoutCsrf.status, 403, 'a login without the CSRF header is refused');

    const wrong = await call(API.login, { method: 'POST', headers: csrf, body: JSON.stringify({ token: 'qg_nope' }) });
    assert.equal(wrong.status, 401);
    const missing = await call(API.login, { method: 'POST', headers: csrf, body: JSON.stringify({}) });
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as ErrorResponse).error.field, 'token');

    const login = await call(API.login, { method: 'POST', headers: csrf, body: JSON.stringify({ token: tokens.viewer }) });
    assert.equal(login.status, 200);
    assert.deepEqual(await login.json(), { user: 'vera', role: 'viewer', authDisabled: false } satisfies MeResponse);
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=`));
    for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(setCookie.includes(attribute), `${attribute} in ${setCookie}`);
    assert.ok(!setCookie.includes('Secure'), 'plain HTTP on loopback: no Secure attribute');
    const cookie = setCookie.split(';')[0];

    const me = await call(API.me, { cookie });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as MeResponse).user, 'vera');
    const nodes = (await (await call(API.nodes, { cookie })).json()) as NodesResponse;
    assert.deepEqual(nodes.nodes.map((node) => node.id).sort(), ['agent-a', 'agent-b']);
    for (const node of nodes.nodes) {
      assert.equal(node.state, 'ready');
      assert.equal(node.slots, 2);
      assert.ok(node.cores > 0 && node.memoryTotalBytes > 0 && node.score.total >= 0 && node.score.cpu > 0, JSON.stringify(node));
      assert.ok(node.loadHistory.length >= 1, 'a load sample taken at start');
    }

    const logout = await call(API.logout, { method: 'POST', cookie, headers: csrf });
    assert.equal(logout.status, 204);
    assert.match(logout.headers.get('set-cookie') ?? '', new RegExp(`^${SESSION_COOKIE}=; Max-Age=0`));
  });

  test('a viewer reads but gets 403 on cancel, naming the role needed; a cookie-borne POST needs the CSRF header', async () => {
    const { jobId } = await admin.submitJob({ name: 'long-one', spec: { noop: { partitions: 50, workMs: 200 } } });
    const refused = await post(jobCancelPath(jobId), tokens.viewer);
    assert.equal(refused.status, 403);
    const body = (await refused.json()) as ErrorResponse;
    assert.equal(body.error.kind, 'permission-denied');
    assert.match(body.error.message, /CancelJob needs the submitter role; user vera is viewer/);
    const detail = await json<JobDetail>(jobPath(jobId), tokens.viewer);
    assert.equal(detail.canCancel, false);
    assert.equal((await json<JobDetail>(jobPath(jobId))).canCancel, true);

    const cookie = `${SESSION_COOKIE}=${tokens.admin}`;
    const noHeader = await call(jobCancelPath(jobId), { method: 'POST', cookie });
    assert.equal(noHeader.status, 403);
    assert.match(((await noHeader.json()) as ErrorResponse).error.message, new RegExp(CSRF_HEADER));
    const foreign = await call(jobCancelPath(jobId), { method: 'POST', cookie, headers: { ...csrf, origin: 'http://evil.example' } });
    assert.equal(foreign.status, 403);

    const sam = await post(jobCancelPath(jobId), tokens.sam);
    assert.equal(sam.status, 403, "a submitter cannot cancel another user's job");
    const cancelled = await call(jobCancelPath(jobId), { method: 'POST', cookie, headers: csrf });
    assert.equal(cancelled.status, 200);
    await eventually(async () => ((await json<JobDetail>(jobPath(jobId))).status === 'JOB_STATUS_CANCELLED' ? true : undefined), 15_000, 'the job cancelled');
    const audit = await admin.listAudit({ limit: 20 });
    assert.ok(audit.entries.some((entry) => entry.action === 'job.cancel' && entry.target === jobId && entry.user === 'admin'), 'audited like CancelJob');

    const rerun = await post(jobRerunPath(jobId), tokens.sam);
    assert.equal(rerun.status, 200);
    const again = (await rerun.json()) as { jobId: string; job: JobSummary };
    assert.notEqual(again.jobId, jobId);
    assert.equal(again.job.owner, 'sam');
    assert.equal(again.job.name, 'long-one');
    const samsCancel = await post(jobCancelPath(again.jobId), tokens.sam);
    assert.equal(samsCancel.status, 200, 'sam cancels his own re-run');
  });

  test('a revoked token stops working within a second', async () => {
    const { token } = await admin.createToken({ user: 'short-lived', role: 'viewer' });
    assert.equal((await call(API.me, { token })).status, 200);
    await admin.revokeToken('short-lived');
    await sleep(1000);
    assert.equal((await call(API.me, { token })).status, 401);
    assert.equal((await call(API.me, { cookie: `${SESSION_COOKIE}=${token}` })).status, 401);
  });

  test('the jobs listing filters by status, owner, kind and name, and pages', async () => {
    const sam = connect(cluster.coordinator, tokens.sam);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await sam.submitJob({ name: `sweep-${i}`, spec: { noop: { partitions: 2 } } })).jobId);
      for (const id of ids) await watchToEnd(sam, id, { timeoutMs: 60_000 });
    } finally {
      sam.close();
    }
    const mine = await json<JobsResponse>(`${API.jobs}?owner=sam&name=SWEEP&status=completed&kind=noop&limit=2`);
    assert.equal(mine.total, 5);
    assert.equal(mine.pages, 3);
    assert.deepEqual(mine.jobs.map((job) => job.name), ['sweep-4', 'sweep-3']);
    const last = await json<JobsResponse>(`${API.jobs}?owner=sam&name=sweep&status=completed&limit=2&page=3`);
    assert.deepEqual(last.jobs.map((job) => job.name), ['sweep-0']);
    assert.equal(last.page, 3);
    for (const job of last.jobs) {
      assert.equal(job.status, 'JOB_STATUS_COMPLETED');
      assert.equal(job.progress.partitionsDone, 2);
      assert.ok(job.resultBytes > 0);
      assert.ok(!('spec' in job), 'a listing has no specs');
    }
    assert.equal((await json<JobsResponse>(`${API.jobs}?owner=nobody`)).total, 0);
    const bad = await call(`${API.jobs}?status=done`, { token: tokens.admin });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as ErrorResponse).error.field, 'status');
    const tooMany = await call(`${API.jobs}?limit=100000`, { token: tokens.admin });
    assert.equal(tooMany.status, 400);
    assert.equal((await call(jobPath('no-such-job'), { token: tokens.admin })).status, 404);
    const overview = await json<OverviewResponse>(API.overview);
    assert.equal(overview.nodes.byState.ready, 2);
    assert.equal(overview.slots.total, 4);
    assert.ok(overview.jobs.completedToday >= 5 && overview.jobs.cancelledToday >= 1, JSON.stringify(overview.jobs));
  });

  test('live updates of a job run by the other coordinator reach a page served by this one', async () => {
    const auth = { authorization: `Bearer ${tokens.viewer}` };
    const ids: string[] = [];
    const finished = new Set<string>();
    // The page's stream opens first; then four jobs, and both coordinators (one job at a time each) run some.
    const global = readSse(
      new URL(API.stream, base).href,
      auth,
      (message) => {
        const job = message.data as JobSummary;
        if (message.event === 'job' && job.status === 'JOB_STATUS_COMPLETED') finished.add(job.id);
        return ids.length === 4 && ids.every((id) => finished.has(id));
      },
      120_000,
    );
    await sleep(500);
    for (let i = 0; i < 4; i++) ids.push((await admin.submitJob({ name: `live-${i}`, spec: { noop: { partitions: 8, workMs: 250 } } })).jobId);
    const messages = await global;
    assert.ok(messages.some((message) => message.event === 'overview'));
    assert.ok(messages.some((message) => message.event === 'nodes'));
    const log = await readFile(second.logFile, 'utf8');
    const ranBySecond = ids.find((id) => log.includes(`"job":"${id}"`));
    // `global` ended only once this page's live feed had reported every job completed: the other coordinator's too.
    assert.ok(ranBySecond, 'the second coordinator ran one of the jobs');

    // From the start of its log (Last-Event-ID 0-0): what the other coordinator wrote, event by event.
    const perJob = await readSse(new URL(jobStreamPath(ranBySecond), base).href, { ...auth, 'last-event-id': '0-0' }, (message) => message.event === 'job-event' && (message.data as JobEventView).type === 'JOB_EVENT_TYPE_COMPLETED');
    const events = perJob.map((message) => message.data as JobEventView);
    assert.equal(events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_FINISHED').length, 8, 'every partition event of the other coordinator streamed');
    assert.ok(perJob.every((message) => /^\d+-\d+$/.test(message.id)), 'events carry their log ids');
    // Resuming after an event id gives the events after it, none before.
    const cut = perJob.find((message) => (message.data as JobEventView).type === 'JOB_EVENT_TYPE_PARTITION_FINISHED')!;
    const resumed = await readSse(new URL(jobStreamPath(ranBySecond), base).href, { ...auth, 'last-event-id': cut.id }, (message) => (message.data as JobEventView).type === 'JOB_EVENT_TYPE_COMPLETED');
    assert.deepEqual(resumed.map((m) => m.id), perJob.slice(perJob.indexOf(cut) + 1).map((m) => m.id));
  });

  test('schedules pause and resume, audited as the gRPC API does', async () => {
    await admin.addSchedule({ name: 'hourly-noop', cron: '0 * * * *', template: { name: 'from-schedule', spec: { noop: { partitions: 1 } } } });
    const listed = await json<SchedulesResponse>(API.schedules, tokens.viewer);
    const schedule = listed.schedules.find((s) => s.name === 'hourly-noop')!;
    assert.equal(schedule.paused, false);
    assert.equal(schedule.kind, 'noop');
    assert.ok(schedule.nextRunMs > Date.now());
    // Its next occurrence waits in BullMQ as a job; it is no job yet, and not listed (as `quantgrid jobs` does not).
    assert.equal((await json<JobsResponse>(`${API.jobs}?schedule=hourly-noop`)).total, 0);
    assert.equal((await post(schedulePausePath('hourly-noop'), tokens.viewer)).status, 403);
    const paused = (await (await post(schedulePausePath('hourly-noop'), tokens.admin)).json()) as ScheduleView;
    assert.equal(paused.paused, true);
    assert.equal(paused.nextRunMs, 0);
    const resumed = (await (await post(scheduleResumePath('hourly-noop'), tokens.admin)).json()) as ScheduleView;
    assert.equal(resumed.paused, false);
    assert.ok(resumed.nextRunMs > Date.now());
    assert.equal((await post(schedulePausePath('no-such'), tokens.admin)).status, 404);
    const actions = (await admin.listAudit({ limit: 20 })).entries.filter((entry) => entry.target === 'hourly-noop').map((entry) => entry.action);
    assert.deepEqual(actions.slice(0, 2), ['schedule.resume', 'schedule.pause']);
    await admin.changeSchedule('remove', 'hourly-noop');
  });

  test("a dataset's closes come downsampled, keeping the first and last bars and every extreme", async () => {
    const bars = 5000;
    const start = Date.UTC(2024, 0, 1);
    const closes = Array.from({ length: bars }, (_, i) => 100 + 10 * Math.sin(i / 37) + (i === 1234 ? 50 : 0) - (i === 4321 ? 40 : 0));
    const csv = ['timestamp,open,high,low,close,volume', ...closes.map((close, i) => `${start + i * 3_600_000},${close},${close + 1},${close - 1},${close},1`)].join('\n');
    const info = await admin.importDataset({ symbol: 'WAVE', timeframe: '1h', content: Buffer.from(csv) });
    const chart = await json<DatasetCloses>(`${datasetClosesPath(info.id)}?points=100`, tokens.viewer);
    assert.equal(chart.bars, bars);
    assert.ok(chart.close.length <= 100 && chart.close.length > 50, `${chart.close.length} points`);
    assert.equal(chart.time[0], start);
    assert.equal(chart.time.at(-1), start + (bars - 1) * 3_600_000);
    assert.ok(chart.close.includes(Math.max(...closes)) && chart.close.includes(Math.min(...closes)), 'the spike and the dip are kept');
    for (let i = 1; i < chart.time.length; i++) assert.ok(chart.time[i] > chart.time[i - 1], 'in time order');
    const whole = await json<DatasetCloses>(`${datasetClosesPath(info.id)}?points=10000`);
    assert.deepEqual(whole.close, closes);
    const bad = await call(`${datasetClosesPath(info.id)}?points=1`, { token: tokens.admin });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as ErrorResponse).error.field, 'points');
    const removed = await call(`/api/datasets/${info.id}`, { method: 'DELETE', token: tokens.viewer });
    assert.equal(removed.status, 403);
    assert.equal((await call(`/api/datasets/${info.id}`, { method: 'DELETE', token: tokens.admin })).status, 200);
    assert.equal((await call(datasetClosesPath(info.id), { token: tokens.admin })).status, 404);
  });

  test('the pages: SPA routes get index.html; unknown API paths are JSON 404s; wrong methods 405', async () => {
    const root = await call('/');
    const route = await call('/jobs/some-id');
    assert.equal(root.status, 200);
    assert.match(root.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(route.status, root.status);
    assert.equal(await route.text(), await root.text());
    assert.equal(root.headers.get('x-frame-options'), 'DENY');
    const unknown = await call('/api/nothing-here', { token: tokens.admin });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as ErrorResponse).error.kind, 'not-found');
    const wrongMethod = await call(API.jobs, { method: 'DELETE', token: tokens.admin });
    assert.equal(wrongMethod.status, 405);
  });

  test('refuses to listen beyond loopback without TLS', () => {
    const refused = spawnSync(process.execPath, [DEFAULT_COORDINATOR_ENTRY, '--cluster-secret-file', cluster.clusterSecretFile, '--metrics-listen', 'off', '--http-listen', '0.0.0.0:0'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /--http-listen: 0\.0\.0\.0 is not a loopback address; the dashboard carries tokens, so beyond loopback it needs TLS \(--tls-cert and --tls-key\)/);
  });

  test("an agent SIGKILLed mid-job: the timeline shows its attempts failed over and the partitions finished elsewhere", async () => {
    const { jobId } = await admin.submitJob({ name: 'victim', spec: { noop: { partitions: 24, workMs: 400 } } });
    let killing: Promise<void> | undefined;
    await watchToEnd(admin, jobId, {
      timeoutMs: 120_000,
      onEvent: (event) => {
        if (!killing && event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && event.nodeId === 'agent-b') killing = cluster.killAgent('agent-b', 'SIGKILL');
      },
    });
    await killing;
    const timeline = await json<TimelineResponse>(jobTimelinePath(jobId), tokens.viewer);
    const lost = timeline.attempts.filter((attempt) => attempt.nodeId === 'agent-b' && (attempt.outcome === 'failover' || attempt.outcome === 'retried'));
    assert.ok(lost.length >= 1, JSON.stringify(timeline.attempts.filter((a) => a.nodeId === 'agent-b')));
    assert.ok(lost.some((attempt) => attempt.outcome === 'failover'), 'a dead node is a failover');
    for (const attempt of lost) {
      const redone = timeline.attempts.find((a) => a.partition === attempt.partition && a.outcome === 'completed');
      assert.ok(redone && redone.nodeId === 'agent-a' && redone.attempt > attempt.attempt && redone.startMs >= attempt.endMs, `partition ${attempt.partition} redone on agent-a`);
    }
    const completed = new Set(timeline.attempts.filter((a) => a.outcome === 'completed').map((a) => a.partition));
    assert.equal(completed.size, 24, 'every partition completed once');
    assert.ok(timeline.lanes.some((lane) => lane.nodeId === 'agent-b'));
    assert.ok(timeline.lanes.filter((lane) => lane.nodeId === 'agent-a').every((lane) => lane.slot < 2), 'agent-a has two slots: two lanes');
    assert.ok(timeline.attempts.every((a) => a.endMs >= a.startMs && a.endMs > 0));
    // Once it has left Consul the coordinator forgets it; the dashboard still lists it, as gone.
    const nodes = await eventually(async () => {
      const listed = await json<NodesResponse>(API.nodes);
      return listed.nodes.find((node) => node.id === 'agent-b')?.state === 'gone' ? listed : undefined;
    }, 45_000, 'agent-b shown as gone');
    const gone = nodes.nodes.find((node) => node.id === 'agent-b')!;
    assert.equal(gone.slots, 2);
    assert.ok(gone.loadHistory.length >= 1);
    assert.ok(nodes.nodes.find((node) => node.id === 'agent-a')?.state === 'ready');
  });
});

/**
 * The dashboard in Debian's chromium (playwright-core) against a real local cluster: Consul, Redis, a
 * coordinator serving the dashboard and two agents. What a person does: log in with a token, see the
 * nodes, submit a job with the CLI and watch it complete on the page, open its timeline, heatmap and
 * equity chart, find that a viewer cannot cancel, and see a SIGKILLed agent gone and its partitions
 * retried on the timeline. Screenshots of the pages go to test-artifacts/screenshots/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { dashboardUrl, startLocalCluster, listCoordinatorNodes, type LocalCluster } from '../../scripts/local-cluster/index.js';
import { launchChromium, saveScreenshot, signIn } from '../../scripts/chromium.js';
import { jobCancelPath, jobResultCsvPath, CSRF_HEADER, CSRF_HEADER_VALUE } from '../../shared/dashboard/api-types.js';
import type { BacktestResult } from '../../shared/tasks/backtest/merge.js';
import { runCli } from '../helpers/cli-process.js';
import { createToken } from '../helpers/dashboard.js';
import { csvOf } from '../helpers/bars-csv.js';
import { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { compareEventIds } from '../../shared/dashboard/event-merge.js';

/**
 * A sweep long enough to watch (and to kill an agent in): 2 symbols × 39 × 51 combinations over `bars`
 * bars, in up to 30 partitions. Each test gives its own seed: the same spec again would come from the
 * partition result cache without running anything.
 */
/** A job that runs for seconds, not a fraction of one: the tests watch it while it runs. */
const LIVE_BARS = 400_000;

function sweep(seed: number, bars = 20_000): string[] {
  return ['backtest', '--symbols', 'BTCUSDT,ETHUSDT', '--timeframe', '1h', '--bars', String(bars), '--seed', String(seed), '--fast', '2:40:1', '--slow', '50:150:2', '--top', '15', '--max-partitions', '30'];
}
const PAGE_TIMEOUT_MS = 150_000;

/**
 * Run in the page (as text: this file is compiled without the DOM's types): records every job status
 * and every partitions-done count the job page shows from now on, and marks the window (a reload
 * would lose the mark).
 */
const RECORD_STATUS_AND_PROGRESS = `
  window.qgMark = true;
  window.qgStatuses = [];
  window.qgDone = [];
  const record = () => {
    const status = document.querySelector('section.page-job')?.getAttribute('data-status') ?? '';
    if (status && window.qgStatuses.at(-1) !== status) window.qgStatuses.push(status);
    const done = Number(document.querySelector('.page-job > .progress')?.getAttribute('aria-valuenow'));
    if (Number.isFinite(done) && window.qgDone.at(-1) !== done) window.qgDone.push(done);
  };
  record();
  new MutationObserver(record).observe(document.body, { subtree: true, attributes: true, childList: true });
`;

describe('the dashboard in chromium, on a local cluster of two agents', { timeout: 360_000 }, () => {
  let cluster: LocalCluster;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let url: string;
  let dir: string;
  const cli = (args: string[]) => runCli(cluster.coordinator, args);

  function submit(args: string[]): string {
    const submitted = cli(['submit', ...args, '--json']);
    assert.equal(submitted.status, 0, submitted.stderr);
    const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };
    assert.ok(jobId, submitted.stdout);
    return jobId;
  }

  async function timelineOutcomes(on: Page): Promise<Array<{ partition: number; node: string; outcome: string }>> {
    return on.$$eval('figure.timeline rect.attempt', (rects) =>
      rects.map((rect) => ({ partition: Number(rect.getAttribute('data-partition')), node: rect.getAttribute('data-node') ?? '', outcome: rect.getAttribute('data-outcome') ?? '' })),
    );
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qg-dashboard-test-'));
    cluster = await startLocalCluster({ agents: [{ slots: 1 }, { slots: 1 }] });
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
    url = dashboardUrl(cluster.coordinator);
    browser = await launchChromium();
    admin = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page = await admin.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });

  after(async () => {
    await browser?.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the login page takes a token: a wrong one is refused with a message, the admin token signs in', async () => {
    await page.goto(`${url}/jobs`);
    await page.waitForSelector('input[name=token]');
    await saveScreenshot(page, 'login');
    await page.fill('input[name=token]', 'not-a-token');
    await page.click('button[type=submit]');
    const refusal = await page.waitForSelector('main.login [role=alert]');
    assert.ok((await refusal.textContent())?.trim(), 'the refusal says why');
    assert.equal(await page.$('header.top'), null, 'still signed out');

    await signIn(page, url, cluster.coordinator.adminToken);
    assert.equal(await page.getAttribute('header.top .who', 'data-role'), 'admin');
    assert.ok((await page.textContent('header.top .who'))?.includes('admin'));
  });

  test('the nodes page lists the cluster\'s nodes as the coordinator does: ready, with their slots and cores', async () => {
    await page.goto(`${url}/nodes`);
    await page.waitForSelector('tr[data-node="agent-b"][data-state="ready"]');
    await page.waitForSelector('tr[data-node="agent-a"][data-state="ready"]');
    const listed = await listCoordinatorNodes(cluster.coordinator.address, 5000, cluster.coordinator.adminToken);
    const shown = await page.$$eval('table[data-table=nodes] tbody tr', (rows) => rows.map((row) => ({ id: row.getAttribute('data-node'), cells: [...row.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '') })));
    assert.deepEqual(shown.map((row) => row.id).sort(), listed.map((node) => node.id).sort());
    for (const node of listed) {
      const row = shown.find((r) => r.id === node.id)!;
      assert.match(row.cells[2], new RegExp(`/ ${node.slots}$`), `${node.id} slots: ${row.cells[2]}`);
      assert.equal(row.cells[3], String(node.cores), `${node.id} cores`);
    }
    await saveScreenshot(page, 'nodes-ready');
  });

  let completedJob = '';

  test('a job submitted with the CLI shows up live and progresses to completed on its page, without a reload', async () => {
    await page.goto(`${url}/jobs`);
    await page.waitForSelector('table[data-table=jobs], .page-jobs p.muted');
    const jobId = submit(sweep(11, LIVE_BARS));
    completedJob = jobId;
    // The list follows the server's event stream: the new job appears without a reload.
    await page.waitForSelector(`tr[data-job="${jobId}"]`, { timeout: 30_000 });
    await page.click(`tr[data-job="${jobId}"] a`);
    await page.waitForSelector(`section.page-job[data-job="${jobId}"]`);
    // Record every status and progress the page shows from here on, and mark the window: a reload would lose the mark.
    await page.evaluate(RECORD_STATUS_AND_PROGRESS);
    await page.waitForSelector(`section.page-job[data-status="JOB_STATUS_COMPLETED"]`, { timeout: PAGE_TIMEOUT_MS });
    const seen = (await page.evaluate('({ qgStatuses, qgDone, qgMark })')) as { qgStatuses: string[]; qgDone: number[]; qgMark: boolean };
    assert.equal(seen.qgMark, true, 'the page was not reloaded');
    assert.equal(seen.qgStatuses.at(-1), 'JOB_STATUS_COMPLETED');
    assert.ok(seen.qgStatuses.length >= 2, `the page showed the job before it completed: ${seen.qgStatuses.join(' → ')}`);
    assert.ok(seen.qgDone.length >= 2, `progress moved on the page: ${seen.qgDone.join(' → ')}`);
    for (let i = 1; i < seen.qgDone.length; i++) assert.ok(seen.qgDone[i] >= seen.qgDone[i - 1], `progress never goes back: ${seen.qgDone.join(' → ')}`);
    const total = Number(await page.getAttribute('.page-job > .progress', 'aria-valuemax'));
    assert.equal(seen.qgDone.at(-1), total, 'every partition done');
    // The event log merged the first page of events and the live stream: each event once, in order.
    const eventIds = await page.$$eval('table[data-table=events] tr[data-event-id]', (rows) => rows.map((row) => row.getAttribute('data-event-id') ?? ''));
    assert.ok(eventIds.length >= total, `${eventIds.length} events shown for ${total} partitions`);
    for (let i = 1; i < eventIds.length; i++) assert.ok(compareEventIds(eventIds[i - 1], eventIds[i]) < 0, `events in order, none twice: ${eventIds[i - 1]} then ${eventIds[i]}`);
  });

  test('the completed job\'s page shows its timeline, ranking, heatmap and equity curves as the result has them', async () => {
    const shown = cli(['job', completedJob, '--json']);
    assert.equal(shown.status, 0, shown.stderr);
    const job = JSON.parse(shown.stdout) as { resultJson: string; progress: { partitionsTotal: number } };
    const result = JSON.parse(job.resultJson) as BacktestResult;

    await page.goto(`${url}/jobs/${completedJob}`);
    await page.waitForSelector('table[data-table=ranking] tbody tr');
    // Timeline: every partition has a completed attempt, in a lane of one of the two agents.
    const attempts = await timelineOutcomes(page);
    const completed = new Set(attempts.filter((a) => a.outcome === 'completed').map((a) => a.partition));
    assert.equal(completed.size, job.progress.partitionsTotal, JSON.stringify(attempts));
    assert.deepEqual([...new Set(attempts.map((a) => a.node))].sort().filter((n) => !['agent-a', 'agent-b'].includes(n)), []);

    // Ranking: the result's rows in rank order, sortable by a metric.
    const ranks = await page.$$eval('table[data-table=ranking] tbody tr td:first-child', (cells) => cells.map((cell) => Number(cell.textContent)));
    assert.deepEqual(ranks, result.top.map((row) => row.rank));
    const header = await page.$$eval('table[data-table=ranking] thead th', (cells) => cells.map((cell) => cell.textContent?.replace(/[▴▾]/g, '').trim()));
    const fastColumn = header.indexOf('fast');
    const firstFast = await page.$eval(`table[data-table=ranking] tbody tr:first-child td:nth-child(${fastColumn + 1})`, (cell) => Number(cell.textContent));
    assert.equal(firstFast, result.top[0].params.fast);
    await page.click('table[data-table=ranking] thead th:nth-child(1) button');
    const resorted = await page.$$eval('table[data-table=ranking] tbody tr td:first-child', (cells) => cells.map((cell) => Number(cell.textContent)));
    assert.deepEqual(resorted, [...ranks].reverse(), 'a second click on rank sorts descending');

    // Heatmap of the two swept parameters (mean over the two symbols) and the best rows' equity curves.
    assert.ok(result.heatmap, 'a two-parameter sweep over two symbols has a heatmap');
    const heatmap = await page.$eval('figure[data-chart=heatmap] canvas', (canvas) => ({ width: (canvas as unknown as { width: number }).width, height: (canvas as unknown as { height: number }).height }));
    assert.ok(heatmap.width > result.heatmap.xs.length && heatmap.height > result.heatmap.ys.length, JSON.stringify(heatmap));
    assert.ok(result.equityCurves?.length, 'the result has equity curves');
    await page.waitForSelector('[data-chart=equity] canvas');
    await page.waitForSelector('[data-chart=drawdown] canvas');
    const legend = await page.$$eval('[data-chart=equity] .u-legend .u-series', (rows) => rows.length);
    assert.equal(legend, result.equityCurves.length + 1, 'one series per curve (and the x axis)');

    // The CSV download: a header and a line per ranked row.
    const csv = await page.request.get(`${url}${jobResultCsvPath(completedJob)}`);
    assert.equal(csv.status(), 200);
    const lines = (await csv.text()).trim().split('\n');
    assert.equal(lines.length, result.top.length + 1, lines.slice(0, 3).join('\n'));
    await saveScreenshot(page, 'job');
  });

  test('a viewer sees a running job but gets no cancel button, and the server refuses the viewer\'s cancel', async () => {
    const jobId = submit(sweep(12, 200_000));
    const viewer = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const viewerPage = await viewer.newPage();
      await signIn(viewerPage, url, createToken(cluster.coordinator, 'vera', 'viewer'));
      assert.equal(await viewerPage.getAttribute('header.top .who', 'data-role'), 'viewer');
      await viewerPage.goto(`${url}/jobs/${jobId}`);
      await viewerPage.waitForSelector(`section.page-job[data-job="${jobId}"]`);
      assert.equal(await viewerPage.$('button[name=cancel]'), null, 'no cancel button for a viewer');
      assert.equal(await viewerPage.$('button[name=rerun]'), null, 'no re-run button for a viewer');
      const refused = await viewerPage.evaluate(
        async ([path, header, value]) => {
          const response = await fetch(path, { method: 'POST', headers: { [header]: value, 'Content-Type': 'application/json' }, body: '{}' });
          return { status: response.status, body: (await response.json()) as { error?: { message?: string } } };
        },
        [jobCancelPath(jobId), CSRF_HEADER, CSRF_HEADER_VALUE] as const,
      );
      assert.equal(refused.status, 403, JSON.stringify(refused));
      assert.match(refused.body.error?.message ?? '', /submitter|admin/, 'the refusal names the role needed');
    } finally {
      await viewer.close();
    }
    // The admin can: the button cancels the job.
    await page.goto(`${url}/jobs/${jobId}`);
    await page.click('button[name=cancel]');
    await page.waitForSelector(`section.page-job[data-status="JOB_STATUS_CANCELLED"]`, { timeout: 30_000 });
  });

  test('an agent killed with SIGKILL shows as gone, and its partitions\' retries show on the timeline', async () => {
    const jobId = submit(sweep(13, LIVE_BARS));
    await page.goto(`${url}/jobs/${jobId}`);
    // Kill agent-b once the page shows a partition running there.
    await page.waitForSelector('figure.timeline rect.attempt[data-node="agent-b"][data-outcome="running"]', { timeout: 60_000 });
    await cluster.killAgent('agent-b', 'SIGKILL');
    await page.waitForSelector(`section.page-job[data-status="JOB_STATUS_COMPLETED"]`, { timeout: PAGE_TIMEOUT_MS });
    await page.waitForTimeout(1500); // the timeline's last reload after the end
    const attempts = await timelineOutcomes(page);
    const moved = attempts.filter((a) => a.node === 'agent-b' && (a.outcome === 'failover' || a.outcome === 'retried'));
    assert.ok(moved.length >= 1, `an attempt on agent-b was retried: ${JSON.stringify(attempts.filter((a) => a.node === 'agent-b'))}`);
    for (const attempt of moved) {
      assert.ok(
        attempts.some((a) => a.partition === attempt.partition && a.node === 'agent-a' && a.outcome === 'completed'),
        `partition ${attempt.partition} completed on agent-a after agent-b died`,
      );
    }
    assert.ok((await page.$$('figure.timeline line.move')).length >= moved.length, 'each retry is drawn to its next attempt');
    await saveScreenshot(page, 'job-failover');

    await page.goto(`${url}/nodes`);
    await page.waitForSelector('tr[data-node="agent-b"][data-state="gone"]', { timeout: 30_000 });
    await page.waitForSelector('tr[data-node="agent-a"][data-state="ready"]');
  });

  test('overview, jobs, schedules and datasets pages show what the cluster holds', async () => {
    const file = join(dir, 'btc-1h.csv');
    await writeFile(file, csvOf(2000));
    const imported = cli(['data', 'import', file, '--symbol', 'BTCUSDT', '--timeframe', '1h', '--json']);
    assert.equal(imported.status, 0, imported.stderr);
    const { id } = JSON.parse(imported.stdout) as { id: string };
    assert.equal(cli(['data', 'tag', 'BTCUSDT-1h', `sha256:${id}`]).status, 0);
    const added = cli(['schedule', 'add', 'nightly', '--cron', '0 2 * * *', '--tz', 'Europe/London', '--', 'backtest', '--symbols', 'BTCUSDT', '--dataset', 'BTCUSDT-1h', '--fast', '5:50:5', '--slow', '20:200:10']);
    assert.equal(added.status, 0, added.stderr);

    await page.goto(`${url}/`);
    await page.waitForSelector('[data-stat=nodes] .stat-value');
    await page.waitForSelector(`tr[data-job="${completedJob}"]`);
    await page.waitForSelector('[data-chart=activity] canvas', { timeout: 15_000 }); // two live snapshots
    await saveScreenshot(page, 'overview');

    await page.goto(`${url}/jobs?status=completed`);
    await page.waitForSelector(`tr[data-job="${completedJob}"]`);
    const statuses = await page.$$eval('table[data-table=jobs] tbody tr[data-job]', (rows) => rows.map((row) => row.getAttribute('data-status')));
    assert.ok(statuses.length >= 1 && statuses.every((s) => s === 'JOB_STATUS_COMPLETED'), statuses.join(' '));
    await page.goto(`${url}/jobs`);
    await page.waitForSelector(`tr[data-job="${completedJob}"]`);
    await saveScreenshot(page, 'jobs');

    await page.goto(`${url}/schedules`);
    await page.waitForSelector('[data-schedule="nightly"] button[name=pause]');
    await page.click('[data-schedule="nightly"] button[name=pause]');
    await page.waitForSelector('[data-schedule="nightly"][data-paused="true"] button[name=resume]');
    await page.click('[data-schedule="nightly"] button[name=resume]');
    await page.waitForSelector('[data-schedule="nightly"][data-paused="false"]');
    await saveScreenshot(page, 'schedules');

    await page.goto(`${url}/datasets`);
    await page.click(`tr[data-dataset="${id}"] button.link`);
    await page.waitForSelector('[data-chart=closes] canvas');
    await saveScreenshot(page, 'datasets');

    // By now the nodes have load samples (one every 30 s) to draw; agent-b is still listed, gone.
    await page.goto(`${url}/nodes`);
    await page.waitForSelector('tr[data-node="agent-a"] .sparkline canvas', { timeout: 60_000 });
    await page.waitForSelector('tr[data-node="agent-b"][data-state="gone"]');
    await saveScreenshot(page, 'nodes');
  });

  test('a page of many jobs is windowed: few rows in the document, yet every job in order by scrolling, End and Tab', async () => {
    const count = 130;
    const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken || undefined });
    try {
      let next = 0;
      const deadline = Date.now() + 60_000;
      // More jobs than one user may have unfinished (--max-jobs-per-user 100), with the earlier tests' jobs
      // perhaps still running: a submission refused for that waits for some to end, as the error says.
      const submit = async (i: number): Promise<void> => {
        for (;;) {
          try {
            await connection.submitJob({ spec: { noop: { partitions: 1 } }, name: `many-${i}`, noCache: true });
            return;
          } catch (error) {
            if ((error as { code?: number }).code !== grpc.status.RESOURCE_EXHAUSTED || Date.now() > deadline) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      };
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < count) await submit(next++);
        }),
      );
      // Settled, so that the list does not change under the scroll.
      for (let waited = 0; (await connection.listJobs({ limit: 1000, status: 'JOB_STATUS_COMPLETED' })).jobs.filter((job) => job.name?.startsWith('many-')).length < count; waited += 250) {
        assert.ok(waited < 60_000, `${count} noop jobs completed within 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      connection.close();
    }
    await page.goto(`${url}/jobs?limit=200`);
    const listed = (await page.evaluate(`fetch('/api/jobs?limit=200').then((r) => r.json()).then((body) => body.jobs.map((job) => job.id))`)) as string[];
    assert.ok(listed.length > count, `${listed.length} jobs listed`);
    await page.waitForSelector(`table[data-table=jobs][aria-rowcount="${listed.length + 1}"] tbody tr[data-job]`);
    const inDocument = await page.$$eval('table[data-table=jobs] tbody tr[data-job]', (rows) => rows.length);
    assert.ok(inDocument < listed.length, `${inDocument} of ${listed.length} rows in the document`);

    // Scrolling a viewport at a time shows every job, each at its place in the list.
    const seen = new Map<number, string>();
    for (let step = 0; step < 100; step++) {
      const rows = await page.$$eval('table[data-table=jobs] tbody tr[data-job]', (trs) => trs.map((tr) => ({ index: Number(tr.getAttribute('aria-rowindex')) - 2, id: tr.getAttribute('data-job') ?? '', top: tr.getBoundingClientRect().top })));
      for (const row of rows) {
        if (seen.has(row.index)) assert.equal(seen.get(row.index), row.id, `row ${row.index} keeps its job`);
        seen.set(row.index, row.id);
      }
      const atEnd = (await page.evaluate('window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 1')) as boolean;
      if (atEnd) break;
      await page.mouse.wheel(0, 700);
      await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
    }
    assert.deepEqual(
      [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, id]) => id),
      listed,
    );

    // Home, then End: the last job's row is drawn on screen.
    await page.keyboard.press('Home');
    await page.keyboard.press('End');
    // (Polled with evaluate: waitForFunction evaluates text in the page, which its CSP forbids.)
    const lastRowOnScreen = `(() => { const box = document.querySelector('tr[aria-rowindex="${listed.length + 1}"]')?.getBoundingClientRect(); return !!box && box.top < window.innerHeight && box.bottom > 0; })()`;
    for (let waited = 0; !((await page.evaluate(lastRowOnScreen)) as boolean); waited += 50) {
      assert.ok(waited < 5000, 'the last row is drawn on screen after End');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await page.getAttribute(`tr[aria-rowindex="${listed.length + 1}"]`, 'data-job'), listed.at(-1));

    // Tab from the first row's link goes down the rows, each scrolled into view, past the first window.
    await page.keyboard.press('Home');
    await page.waitForSelector('tr[aria-rowindex="2"] a');
    await page.focus('tr[aria-rowindex="2"] a');
    const tabs = 80;
    for (let i = 0; i < tabs; i++) await page.keyboard.press('Tab');
    const focused = (await page.evaluate(`(() => { const row = document.activeElement?.closest('tr'); const box = row?.getBoundingClientRect(); return { id: row?.getAttribute('data-job'), visible: !!box && box.top < window.innerHeight && box.bottom > 0 }; })()`)) as { id: string; visible: boolean };
    assert.deepEqual(focused, { id: listed[tabs], visible: true });
    await saveScreenshot(page, 'jobs-many');
  });
});

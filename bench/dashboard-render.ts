/**
 * How fast the dashboard shows a big cluster: a coordinator with 50 real agents (1 slot each) and
 * 1,000 finished jobs in Redis (real noop jobs submitted over gRPC and run on the agents), its pages
 * loaded in Debian's chromium (playwright-core). Time to content, measured in the page from the start
 * of its navigation (performance.now()) to the moment the page shows its data: the jobs page with a
 * page of all 1,000 jobs (/jobs?limit=1000: the table holds 1,000 rows — aria-rowcount —, is as tall
 * as 1,000 rows, and every row in the viewport is drawn; the list is windowed, so rows far off screen
 * are not in the document), the nodes page with 50 rows and their load sparklines drawn, the overview
 * with its figures and latest jobs. On the jobs page, also how long a jump to its end (End key's
 * scroll) takes to show the 1,000th job. Each page loaded RUNS times in a fresh tab after one
 * unmeasured warm-up; medians. Goal: every page < 1 s.
 *
 * Run: node dist/bench/run-all.js dashboard-render   (QUANTGRID_BENCH_QUICK=1: 5 agents, 200 jobs)
 */
import { loadavg } from 'node:os';
import type { Browser, BrowserContext } from 'playwright-core';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { launchChromium, signIn } from '../scripts/chromium.js';
import { dashboardUrl, type LocalCluster } from '../scripts/local-cluster/index.js';
import { startBenchCluster } from './lib/cluster.js';
import { isMain, logProgress, measureBench, runBench, size, sleep, waitFor, type Headline } from './lib/harness.js';
import { fmt, median } from './lib/stats.js';

const BENCH = 'dashboard-render';
const RUNS = 7;
const GOAL_MS = 1000;
const SUBMIT_CONCURRENCY = 20;

interface PageCase {
  name: string;
  path: string;
  /** Runs in the page: true once the page shows its content. */
  ready: string;
  /** Runs in the page once ready: a promise of the ms some further step took (reported apart). */
  then?: { name: string; run: string };
}

/** The jobs table holds `jobs` rows, is as tall as they are, and every row in the viewport is drawn. */
function jobsShown(jobs: number): string {
  return `(() => {
    const table = document.querySelector('table[data-table=jobs]');
    const rows = table ? table.querySelectorAll('tbody tr[data-job]') : [];
    if (!table || table.getAttribute('aria-rowcount') !== '${jobs + 1}' || rows.length === 0) return false;
    const bottom = rows[rows.length - 1].getBoundingClientRect().bottom;
    const rowPx = rows[0].getBoundingClientRect().height;
    return table.getBoundingClientRect().height >= ${jobs} * rowPx && bottom >= Math.min(window.innerHeight, table.getBoundingClientRect().bottom - 1);
  })()`;
}

/** Scrolls to the page's end and resolves with the ms until the last job's row is drawn on screen. */
function scrollToLastJob(jobs: number): string {
  return `new Promise((resolve) => {
    const started = performance.now();
    window.scrollTo(0, document.documentElement.scrollHeight);
    const look = () => {
      const row = document.querySelector('table[data-table=jobs] tbody tr[aria-rowindex="${jobs + 1}"]');
      const box = row && row.getBoundingClientRect();
      if (box && box.bottom > 0 && box.top < window.innerHeight) resolve(performance.now() - started);
      else requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
  })`;
}

function cases(jobs: number, nodes: number): PageCase[] {
  return [
    { name: `jobs page, ${jobs} rows`, path: `/jobs?limit=${jobs}`, ready: jobsShown(jobs), then: { name: `jobs page, scroll to the ${jobs}th row`, run: scrollToLastJob(jobs) } },
    { name: `nodes page, ${nodes} nodes with sparklines`, path: '/nodes', ready: `document.querySelectorAll('table[data-table=nodes] tbody tr').length >= ${nodes} && [...document.querySelectorAll('table[data-table=nodes] .sparkline')].every((s) => s.querySelector('canvas'))` },
    { name: 'overview', path: '/', ready: `document.querySelector('[data-stat=nodes] .stat-value')?.textContent === '${nodes}' && document.querySelectorAll('table[data-table=jobs] tbody tr').length >= 10` },
  ];
}

/** Submits `count` one-partition noop jobs, SUBMIT_CONCURRENCY at a time, and waits until every one completed. */
async function seedJobs(cluster: LocalCluster, count: number): Promise<void> {
  const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken || undefined });
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: SUBMIT_CONCURRENCY }, async () => {
        while (next < count) {
          const i = next++;
          await connection.submitJob({ spec: { noop: { partitions: 1 } }, name: `render-bench-${i}`, noCache: true });
        }
      }),
    );
    await waitFor(
      async () => (await connection.listJobs({ limit: count, status: 'JOB_STATUS_COMPLETED' })).jobs.length >= count,
      300_000,
      `${count} completed jobs`,
      500,
    );
  } finally {
    connection.close();
  }
}

/** When the last answer of the JSON API (not the event stream) arrived, in ms since the navigation's start. */
const LAST_API_ANSWER = `Math.max(0, ...performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/') && !e.name.includes('/stream')).map((e) => e.responseEnd))`;

/**
 * Loads path in a fresh tab: ms from the navigation's start until ready holds, as the page's clock
 * says, and of that until the last API answer arrived (the rest is the page's own work).
 */
async function timeToContent(context: BrowserContext, baseUrl: string, page: PageCase): Promise<{ contentMs: number; apiMs: number; thenMs?: number }> {
  const tab = await context.newPage();
  try {
    await tab.goto(`${baseUrl}${page.path}`, { waitUntil: 'commit' });
    await tab.waitForFunction(page.ready, undefined, { timeout: 30_000, polling: 'raf' });
    const contentMs = (await tab.evaluate('performance.now()')) as number;
    const apiMs = (await tab.evaluate(LAST_API_ANSWER)) as number;
    return { contentMs, apiMs, thenMs: page.then ? ((await tab.evaluate(page.then.run)) as number) : undefined };
  } finally {
    await tab.close();
  }
}

export async function runDashboardRender(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const nodes = size(50, 5);
  // 1,000 (200 in quick mode): page sizes the jobs page offers.
  const jobs = size(1000, 200);
  // 50 agents start at once on a small machine: give each ready line longer than the usual 30 s.
  process.env.QUANTGRID_START_TIMEOUT_MS ??= '180000';
  logProgress(BENCH, `starting a coordinator and ${nodes} agents`);
  const cluster = await startBenchCluster(
    Array.from({ length: nodes }, () => ({ slots: 1 })),
    {},
    'secure',
    ['--max-jobs-per-user', String(jobs * 2), '--retention-count', String(jobs * 2)],
  );
  let browser: Browser | undefined;
  const times: Record<string, number[]> = {};
  const apiTimes: Record<string, number[]> = {};
  const thenTimes: Record<string, number[]> = {};
  const loadBefore = loadavg();
  try {
    logProgress(BENCH, `submitting ${jobs} noop jobs`);
    await seedJobs(cluster, jobs);
    const baseUrl = dashboardUrl(cluster.coordinator);
    browser = await launchChromium();
    // bypassCSP: the readiness checks are text evaluated in the page, which the dashboard's CSP (no eval) would refuse.
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true });
    await signIn(await context.newPage(), baseUrl, cluster.coordinator.adminToken);
    for (const page of cases(jobs, nodes)) {
      await timeToContent(context, baseUrl, page); // warm-up: the bundle in the cache, the server's first answers
      times[page.name] = [];
      apiTimes[page.name] = [];
      for (let run = 1; run <= RUNS; run++) {
        const { contentMs, apiMs, thenMs } = await timeToContent(context, baseUrl, page);
        times[page.name].push(contentMs);
        apiTimes[page.name].push(apiMs);
        if (page.then && thenMs !== undefined) (thenTimes[page.then.name] ??= []).push(thenMs);
        logProgress(BENCH, `${page.name}: run ${run}/${RUNS} ${fmt(contentMs)} ms, the last API answer at ${fmt(apiMs)} ms${thenMs === undefined ? '' : `, ${page.then?.name} ${fmt(thenMs)} ms`} (load ${loadavg()[0].toFixed(2)})`);
        await sleep(200);
      }
    }
  } finally {
    await browser?.close();
    await cluster.stop();
  }
  const loadAfter = loadavg();
  const headlines: Headline[] = Object.entries(times).map(([name, values]) => ({
    name: `dashboard time to content: ${name} (${nodes} nodes, ${jobs} jobs)`,
    unit: 'ms',
    median: median(values),
    goal: { op: '<=', value: GOAL_MS },
    note: `median of ${values.length} loads in chromium (${values.map((v) => fmt(v)).join(', ')}); the last API answer came at ${fmt(median(apiTimes[name]))} ms (median); load average ${loadBefore[0].toFixed(2)} → ${loadAfter[0].toFixed(2)}`,
  }));
  for (const [name, values] of Object.entries(thenTimes)) {
    headlines.push({ name: `dashboard: ${name} (${nodes} nodes, ${jobs} jobs)`, unit: 'ms', median: median(values), note: `median of ${values.length} (${values.map((v) => fmt(v)).join(', ')}), from the scroll to the row drawn on screen` });
  }
  return { headlines, details: { nodes, jobs, runs: RUNS, times, apiTimes, thenTimes, loadavgBefore: loadBefore, loadavgAfter: loadAfter } };
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runDashboardRender));
}

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../../scripts/local-cluster/free-port.js';
import { LIST_JOBS_MAX } from '../../../shared/api-limits.js';
import { EXIT_PARAMS } from '../../../shared/tasks/backtest/index.js';
import { runCli } from './run-cli.js';

/** One line on stderr, `quantgrid: …`, nothing on stdout, no stack trace. */
function assertOneLineError(run: { stdout: string; stderr: string }, pattern: RegExp): void {
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0], /^quantgrid: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(run.stdout, '');
}

describe('usage errors exit 2 with one line naming the flag', { concurrency: 4 }, () => {
  const cases: Array<[string[], RegExp]> = [
    [['submit', 'backtest', '--symbols', 'BTCUSDT', '--fast', '5:x'], /--fast: "5:x" is not a range/],
    [['submit', 'backtest', '--symbols', 'BTCUSDT', '--slow', '200:20:10'], /--slow: .*stop 20 is below start 200/],
    [['submit', 'backtest', '--symbols', 'BTCUSDT', '--param', 'fast'], /--param: "fast" is not like name=start:stop:step/],
    [['submit', 'backtest', '--fast', '5:50:5'], /required option '--symbols <list>'/],
    [['submit', 'backtest', '--symbols', 'BTCUSDT', '--bars', 'many'], /--bars: "many" is not a number/],
    [['submit', 'analysis', '--assets', 'BTCUSDT', '--seed', '-4'], /--seed: "-4" is not an integer/],
    [['submit', 'backtest', '--symbols', 'BTCUSDT', '--dataset', 'sha256:1234'], /--dataset: "sha256:1234" is neither a dataset id/],
    [['submit', 'analysis', '--assets', 'BTCUSDT', '--dataset', 'data/btc.csv'], /--dataset: "data\/btc.csv" is neither a dataset id/],
    [['data', 'tag', '1h-btc', 'sha256:1234'], /NAME: "1h-btc" is not a tag name/],
    [['data', 'append', 'not a tag', 'x.csv'], /ID\|TAG: "not a tag" is neither a dataset id/],
    [['data', 'rm', 'sha256:12'], /ID\|TAG: "sha256:12" is neither a dataset id/],
    [['submit', 'noop', '--partitions', '0'], /--partitions: /],
    [['logs', 'j1', '--limit', '0'], /--limit: /],
    [['logs', 'j1', '--after', 'yesterday'], /--after: "yesterday" is not a line id/],
    [['submit', 'noop', '--bogus'], /unknown option '--bogus'/],
    [['submit', 'futures'], /unknown job kind 'futures'/],
    [['submit'], /submit needs a job kind/],
    [['jobs', '--status', 'sleeping'], /--status: "sleeping" is not a job status/],
    [['jobs', '--limit', '0'], /--limit: /],
    [['jobs', '--limit', String(LIST_JOBS_MAX + 1)], new RegExp(`--limit: "${LIST_JOBS_MAX + 1}" is not an integer from 1 to ${LIST_JOBS_MAX}`)],
    [['job'], /missing required argument 'id'/],
    [['cancel', 'a', 'b'], /too many arguments/],
    [['--coordinator', 'localhost', 'jobs'], /--coordinator: "localhost" is not HOST:PORT/],
    [['--timeout', '-1', 'nodes'], /--timeout: /],
    [['--tls-ca', '/nonexistent/ca.pem', 'nodes'], /cannot read the TLS CA at \/nonexistent\/ca.pem/],
    [['launch'], /unknown command 'launch'/],
    [[], /missing command/],
  ];
  for (const [args, pattern] of cases) {
    it(`quantgrid ${args.join(' ')}`, async () => {
      const run = await runCli(args);
      assert.equal(run.code, 2, run.stderr);
      assertOneLineError(run, pattern);
    });
  }

  it('names the environment variable when the bad value came from there', async () => {
    const run = await runCli(['nodes'], { env: { QUANTGRID_COORDINATOR: 'nope' } });
    assert.equal(run.code, 2);
    assertOneLineError(run, /QUANTGRID_COORDINATOR: "nope" is not HOST:PORT/);
  });
});

describe('help', { concurrency: 4 }, () => {
  for (const args of [['--help'], ['submit', 'backtest', '--help'], ['submit', 'analysis', '--help'], ['submit', 'noop', '--help'], ['jobs', '--help'], ['job', '--help'], ['cancel', '--help'], ['nodes', '--help']]) {
    it(`quantgrid ${args.join(' ')} explains the flags with examples`, async () => {
      const run = await runCli(args);
      assert.equal(run.code, 0);
      assert.match(run.stdout, /^Usage: quantgrid/);
      assert.match(run.stdout, /Examples:\n\s+\$ quantgrid/);
      assert.match(run.stdout, /--coordinator <host:port>/, 'global options are listed too');
      assert.equal(run.stderr, '');
    });
  }
});

describe('--dataset in help', { concurrency: 2 }, () => {
  for (const kind of ['backtest', 'analysis']) {
    it(`quantgrid submit ${kind} --help explains --dataset`, async () => {
      const run = await runCli(['submit', kind, '--help']);
      assert.equal(run.code, 0);
      const text = run.stdout.replace(/\s+/g, ' ');
      assert.match(text, /--dataset <id\|tag> run on an imported dataset \(sha256:<id>, the bare id, or a tag/);
      assert.match(text, /coarser \(resampled\)/);
    });
  }
});

describe('exit rules in help', () => {
  it('quantgrid submit backtest --help lists every exit param with its bounds, from the kind', async () => {
    const run = await runCli(['submit', 'backtest', '--help']);
    assert.equal(run.code, 0);
    for (const param of EXIT_PARAMS) assert.ok(run.stdout.includes(`${param.name} (${param.min} to ${param.max}): ${param.description}`), param.name);
  });
});

describe('an unreachable coordinator', () => {
  it('exits 1 at once with `coordinator unreachable at HOST:PORT`', async () => {
    const port = await freePort();
    // "At once": well before the call's 60 s timeout, which a CLI that waited for the coordinator would reach (a
    // bound far from both, so that a loaded machine's slow start does not fail it).
    const run = await runCli(['--coordinator', `127.0.0.1:${port}`, '--timeout', '60', 'jobs']);
    assert.equal(run.code, 1, run.stderr);
    assertOneLineError(run, new RegExp(`^quantgrid: coordinator unreachable at 127\\.0\\.0\\.1:${port}$`));
    assert.ok(run.elapsedMs < 30_000, `took ${Math.round(run.elapsedMs)}ms`);
  });

  it('is reported the same way with --json (nothing on stdout)', async () => {
    const port = await freePort();
    const run = await runCli(['nodes', '--json', '--coordinator', `127.0.0.1:${port}`]);
    assert.equal(run.code, 1);
    assertOneLineError(run, /coordinator unreachable at 127\.0\.0\.1:\d+/);
  });

  it('takes the address from QUANTGRID_COORDINATOR', async () => {
    const port = await freePort();
    const run = await runCli(['submit', 'noop'], { env: { QUANTGRID_COORDINATOR: `127.0.0.1:${port}` } });
    assert.equal(run.code, 1);
    assertOneLineError(run, new RegExp(`coordinator unreachable at 127\\.0\\.0\\.1:${port}`));
  });
});

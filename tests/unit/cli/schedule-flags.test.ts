import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import { UsageError } from '../../../cli/cli-error.js';
import { buildAddScheduleRequest, parseCron } from '../../../cli/schedule-flags.js';
import { parseJobTemplate, templateParser } from '../../../cli/schedule-template.js';
import { buildBacktestRequest } from '../../../cli/kinds/backtest.js';
import { cliKindByName } from '../../../cli/kinds/index.js';
import { buildNoopRequest } from '../../../cli/kinds/noop.js';
import { noopKind } from '../../../shared/tasks/noop/index.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof UsageError, `a UsageError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('no error');
}

describe('schedule add: the job after -- is parsed by the submit commands themselves', () => {
  it('gives the request `quantgrid submit <kind>` would send (without a request id)', () => {
    const words = ['backtest', '--symbols', 'BTCUSDT,ETHUSDT', '--fast', '5:50:5', '--slow', '20:200:10', '--name', 'nightly-sweep', '--priority', '3'];
    // Only what was given: the coordinator applies the kind's defaults.
    const expected = buildBacktestRequest({ symbols: 'BTCUSDT,ETHUSDT', fast: '5:50:5', slow: '20:200:10', name: 'nightly-sweep', priority: '3' });
    assert.deepEqual(parseJobTemplate(words), expected);
    assert.equal(parseJobTemplate(words).requestId, '');
    assert.deepEqual(parseJobTemplate(['noop', '--partitions', '3']), buildNoopRequest({ partitions: '3' }));
    // The alias `analysis` parses as market-analysis.
    assert.deepEqual(parseJobTemplate(['analysis', '--assets', 'BTCUSDT']), parseJobTemplate(['market-analysis', '--assets', 'BTCUSDT']));
  });

  it('has a request builder for every kind of quantgrid submit', () => {
    const program = templateParser(() => undefined);
    const kinds = program.commands.find((command) => command.name() === 'submit')!.commands.map((command) => command.name());
    assert.ok(kinds.length >= 3);
    for (const kind of kinds) assert.ok(cliKindByName(kind)?.buildRequest, `a builder for ${kind}`);
  });

  it('refuses what submit refuses, naming the flag', () => {
    assert.match(usageError(() => parseJobTemplate(['backtest', '--symbols', 'BTCUSDT', '--fast', '5:x'])), /^--fast: /);
    assert.match(usageError(() => parseJobTemplate(['backtest', '--symbols', 'BTCUSDT', '--watch'])), /^--watch: /);
    assert.match(usageError(() => parseJobTemplate(['futures'])), /unknown job kind 'futures'/);
    assert.match(usageError(() => parseJobTemplate([])), /needs the job after --/);
    // commander's own errors (unknown or missing options) are CommanderErrors: exit 2 as well
    assert.throws(() => parseJobTemplate(['noop', '--bogus']), CommanderError);
  });
});

describe('schedule add flags', () => {
  const job = ['noop'];

  it('defaults: UTC, run-once, 60 s grace', () => {
    const request = buildAddScheduleRequest('nightly', { cron: '0 2 * * *' }, job);
    assert.equal(request.name, 'nightly');
    assert.equal(request.cron, '0 2 * * *');
    assert.equal(request.tz, 'UTC');
    assert.equal(request.missed, 'run-once');
    assert.equal(request.graceSeconds, 60);
    assert.equal(noopKind.validate(request.template?.spec?.noop, DEFAULT_SPEC_LIMITS).partitions, 4, 'the kind\'s default, applied by the coordinator');
  });

  it('takes a time zone, a policy, a grace and a 6-field cron', () => {
    const request = buildAddScheduleRequest('fast', { cron: ' */3  * * * * * ', tz: 'Europe/London', missed: 'skip', grace: '5' }, job);
    assert.equal(request.cron, '*/3 * * * * *');
    assert.equal(request.tz, 'Europe/London');
    assert.equal(request.missed, 'skip');
    assert.equal(request.graceSeconds, 5);
  });

  it('names the flag at fault', () => {
    assert.match(usageError(() => buildAddScheduleRequest('n', {}, job)), /^--cron is required/);
    assert.match(usageError(() => buildAddScheduleRequest('n', { cron: '* * * *' }, job)), /^--cron: .* 4 fields/);
    assert.match(usageError(() => buildAddScheduleRequest('n', { cron: '0 2 * * * ; rm' }, job)), /^--cron: /);
    assert.match(usageError(() => buildAddScheduleRequest('n', { cron: '0 2 * * *', tz: 'Nowhere/Land' }, job)), /^--tz: unknown time zone/);
    assert.match(usageError(() => buildAddScheduleRequest('n', { cron: '0 2 * * *', missed: 'twice' }, job)), /^--missed: /);
    assert.match(usageError(() => buildAddScheduleRequest('n', { cron: '0 2 * * *', grace: '0' }, job)), /^--grace: /);
    assert.match(usageError(() => buildAddScheduleRequest('a:b', { cron: '0 2 * * *' }, job)), /^NAME: /);
  });

  it('cron shape: names and special characters pass, for the coordinator to check their values', () => {
    assert.equal(parseCron('0 9 * * MON-FRI'), '0 9 * * MON-FRI');
    assert.equal(parseCron('0 0 L * ?'), '0 0 L * ?');
  });
});

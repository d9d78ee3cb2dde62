import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUANTGRID_VERSION } from '../../../shared/version.js';
import { asksOnlyVersion } from '../../../cli/version-flag.js';
import { runCli } from './run-cli.js';

test('only a lone version flag takes the short path', () => {
  assert.equal(asksOnlyVersion(['--version']), true);
  assert.equal(asksOnlyVersion(['-V']), true);
  assert.equal(asksOnlyVersion([]), false);
  assert.equal(asksOnlyVersion(['--json', '--version']), false);
  assert.equal(asksOnlyVersion(['--version', 'jobs']), false);
  assert.equal(asksOnlyVersion(['-v']), false);
  assert.equal(asksOnlyVersion(['--versions']), false);
});

test('the short path prints what commander prints for the version flags', async () => {
  // With another flag before it, commander's own --version answers (the long path).
  const viaCommander = await runCli(['--json', '--version']);
  assert.equal(viaCommander.code, 0);
  assert.equal(viaCommander.stdout, `${QUANTGRID_VERSION}\n`);
  for (const flag of ['--version', '-V']) {
    const short = await runCli([flag]);
    assert.equal(short.code, 0, flag);
    assert.equal(short.stderr, '', flag);
    assert.equal(short.stdout, viaCommander.stdout, flag);
  }
});

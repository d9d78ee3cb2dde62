/**
 * What a push refuses before anything is stored: imports of anything but local files and the SDK
 * (bundling), a bad definition, a strategy that fails on synthetic bars, and one that is not
 * deterministic (state kept between combinations shows when the second run takes them in reverse).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../../shared/errors.js';
import { bundleStrategy } from '../../../shared/sandbox/strategy-bundle.js';
import { checkStrategy } from '../../../shared/sandbox/strategy-check.js';

const dir = mkdtempSync(join(tmpdir(), 'qg-strategy-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(source: string, ext = 'ts'): string {
  const path = join(dir, `s${files++}.${ext}`);
  writeFileSync(path, source);
  return path;
}

const HEADER = "import { defineStrategy, sma } from 'quantgrid/strategy';\n";
function strategy(rule: string, extra = ''): string {
  return `${HEADER}${extra}
export default defineStrategy({
  name: 'probe',
  params: { fast: { min: 1, max: 500, period: true, default: { start: 5, stop: 20, step: 5 } }, slow: { min: 2, max: 500, period: true, default: { start: 30, stop: 60, step: 10 } } },
  constraint: ['fast', 'slow'],
  indicators: (p) => ({ fast: sma(p.fast), slow: sma(p.slow) }),
  rule: ${rule},
});`;
}

async function refused(source: string, pattern: RegExp, ext = 'ts'): Promise<void> {
  await assert.rejects(
    async () => checkStrategy(await bundleStrategy(file(source, ext)), 'probe@test'),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError, `a ValidationError, got ${String(error)}`);
      assert.equal(error.field, 'file');
      assert.match(error.message, pattern);
      return true;
    },
  );
}

test('a good strategy (TypeScript or JavaScript) bundles and passes, giving its manifest', async () => {
  for (const ext of ['ts', 'js']) {
    const manifest = checkStrategy(await bundleStrategy(file(strategy('(t, { ind }) => (ind.fast[t] > ind.slow[t] ? 1 : -1)'), ext)), 'probe@test');
    assert.deepEqual(manifest.params.map((p) => [p.name, p.defaultRange]), [['fast', { start: 5, stop: 20, step: 5 }], ['slow', { start: 30, stop: 60, step: 10 }]]);
    assert.deepEqual(manifest.constraints, [{ left: 'fast', right: 'slow' }]);
  }
});

test('imports of Node modules or packages are refused at bundling, by name', async () => {
  await refused(`${HEADER}import { readFileSync } from 'fs';\nexport default readFileSync;`, /only local files and quantgrid\/strategy can be imported, not "fs"/);
  await refused(`${HEADER}export default import('node:child_process');`, /not "node:child_process"/);
  await refused(`${HEADER}import _ from 'lodash';\nexport default _;`, /not "lodash"/);
  await refused(`const fs = require('fs');\nexport default fs;`, /not "fs"/, 'js');
});

test('a bad definition is refused naming its field', async () => {
  await refused(strategy('(t) => 0').replace("name: 'probe'", "name: 'Bad Name'"), /strategy definition: name:|name: lower-case/);
  await refused(strategy('(t) => 0').replace('max: 500, period: true, default: { start: 5', 'max: 3, period: true, default: { start: 5'), /params\.fast\.default\.start/);
  await refused(strategy('(t) => 0').replace("constraint: ['fast', 'slow']", "constraint: ['slow', 'fast']"), /constraint: slow < fast needs two adjacent parameters/);
});

test('a strategy that fails on synthetic bars is refused with the sandbox error', async () => {
  await refused(strategy("(t) => { if (t > 50) throw new Error('boom'); return 0; }"), /check run on synthetic bars failed: strategy probe@test failed in run: .*boom/);
  await refused(strategy("(t) => 'long'"), /returned string at bar/);
  await refused(strategy('(t) => { for (;;) {} }'), /exceeded its time limit/);
  await refused(strategy("(t) => (typeof process === 'undefined' ? process.env.HOME : 0)"), /process is not defined/);
});

test('a nondeterministic strategy is refused: state kept between combinations, or randomness', async () => {
  await refused(strategy('(t, { ind }) => { calls++; return calls % 7 === 0 ? 1 : 0; }', 'let calls = 0;\n'), /not deterministic: fast=\d+ slow=\d+ short=[01]/);
  await refused(strategy('(t) => (Math.random() > 0.5 ? 1 : 0)'), /Math\.random is not available/);
});

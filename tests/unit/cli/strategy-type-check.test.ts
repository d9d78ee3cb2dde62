/** strategy push's type check: a strategy's mistakes in TypeScript are named by file and line; the examples pass. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { typeCheckStrategy } from '../../../cli/strategy-type-check.js';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/strategies/', import.meta.url));

test('type errors are reported by line; the examples type-check clean', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qg-types-'));
  try {
    const file = join(dir, 'bad.ts');
    writeFileSync(
      file,
      [
        "import { defineStrategy, sma } from 'quantgrid/strategy';",
        'export default defineStrategy({',
        "  name: 'bad',",
        '  params: { fast: { min: 1, max: 100, default: 5 } },',
        '  indicators: (p) => ({ fast: sma(p.fsat) }),',
        '  rule: (t, { ind }) => (ind.fast[t] > 0 ? 1 : 2),',
        '});',
      ].join('\n'),
    );
    const errors = await typeCheckStrategy(file);
    assert.ok(errors, 'TypeScript is installed in the repository');
    assert.match(errors[0], /bad\.ts:5: Property 'fsat' does not exist/);
    assert.ok(errors.some((e) => /bad\.ts:6: .*'2' is not assignable/.test(e)), errors.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(await typeCheckStrategy(join(EXAMPLES, 'rsi-trend.ts')), []);
});

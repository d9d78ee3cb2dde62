import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NO_CODE_CACHE_ENV } from '../../../cli/code-cache.js';

const CODE_CACHE = fileURLToPath(new URL('../../../cli/code-cache.js', import.meta.url));

/** Loads the bundle in a new process (the cache is written at exit): its value and the cache's outcome. */
function load(bundle: string, cacheHome: string, extraEnv: NodeJS.ProcessEnv = {}): { value: unknown; cache: string } {
  const script = `import { requireWithCodeCache } from ${JSON.stringify(CODE_CACHE)};
const loaded = requireWithCodeCache(${JSON.stringify(bundle)});
process.stdout.write(JSON.stringify({ value: loaded.exports.value(), cache: loaded.cache }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: cacheHome, [NO_CODE_CACHE_ENV]: '', ...extraEnv } });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { value: unknown; cache: string };
}

test('a bundle runs from the code cache of the run before, and a rebuilt one (same length) never does', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qg-code-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, 'bundle.cjs');
  const cacheHome = path.join(dir, 'cache');
  const cacheDir = path.join(cacheHome, 'quantgrid', 'code-cache');
  writeFileSync(bundle, 'module.exports = { value: () => require("node:path").basename("/a/one") };\n');
  assert.deepEqual(load(bundle, cacheHome), { value: 'one', cache: 'miss' });
  const [written] = readdirSync(cacheDir);
  assert.ok(written, 'the first run wrote a cache');
  assert.equal(statSync(path.join(cacheDir, written)).mode & 0o777, 0o600);
  assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
  assert.deepEqual(load(bundle, cacheHome), { value: 'one', cache: 'hit' });

  // Another build: the same length (V8 alone would take the old cache for it), a later mtime.
  writeFileSync(bundle, 'module.exports = { value: () => require("node:path").basename("/a/two") };\n');
  const later = new Date(Date.now() + 10_000);
  utimesSync(bundle, later, later);
  assert.deepEqual(load(bundle, cacheHome), { value: 'two', cache: 'miss' });
  assert.equal(readdirSync(cacheDir).length, 1, 'the old build\'s cache was removed');
  assert.notEqual(readdirSync(cacheDir)[0], written);
  assert.deepEqual(load(bundle, cacheHome), { value: 'two', cache: 'hit' });

  // A damaged cache is refused by V8: compiled again, the same result, rewritten.
  writeFileSync(path.join(cacheDir, readdirSync(cacheDir)[0]), 'not a code cache');
  assert.deepEqual(load(bundle, cacheHome), { value: 'two', cache: 'miss' });
  assert.deepEqual(load(bundle, cacheHome), { value: 'two', cache: 'hit' });

  assert.deepEqual(load(bundle, cacheHome, { [NO_CODE_CACHE_ENV]: '1' }), { value: 'two', cache: 'off' });
});

test('an unwritable cache folder costs only the compile', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qg-code-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, 'bundle.cjs');
  writeFileSync(bundle, 'module.exports = { value: () => 42 };\n');
  // A file where the cache's folder would be.
  const cacheHome = path.join(dir, 'not-a-folder');
  writeFileSync(cacheHome, '');
  assert.deepEqual(load(bundle, cacheHome), { value: 42, cache: 'miss' });
  assert.deepEqual(load(bundle, cacheHome), { value: 42, cache: 'miss' });
});

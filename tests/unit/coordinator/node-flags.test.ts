import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COORDINATOR_NODE_FLAGS } from '../../../coordinator/config/node-flags.js';

// dist/tests/unit/coordinator/ → the repository (the sources the launchers are).
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Every line of `text` that starts the coordinator with node (a command, not prose). */
function coordinatorLaunches(text: string): string[] {
  return text.split('\n').filter((line) => /\bnode\b.*\bdist\/coordinator\/main\.js/.test(line) && !/^\s*(#|\/\/|\*|\|)/.test(line) && !line.includes('`'));
}

test('every way of starting the coordinator passes its Node flags', () => {
  const launchers: Array<[string, string[]]> = [
    ['scripts/container-entrypoint.sh', coordinatorLaunches(read('scripts/container-entrypoint.sh'))],
    ['package.json', [(JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.coordinator]],
    ['docs/deployment.md', coordinatorLaunches(read('docs/deployment.md'))],
  ];
  for (const [file, lines] of launchers) {
    assert.ok(lines.length > 0, `${file}: no coordinator command found`);
    for (const line of lines) {
      for (const flag of COORDINATOR_NODE_FLAGS) {
        // The flag goes to node, before the script: after it, it would be a coordinator argument.
        const beforeScript = line.slice(0, line.indexOf('dist/coordinator/main.js'));
        assert.ok(beforeScript.split(/\s+/).includes(flag), `${file}: "${line.trim()}" does not give node ${flag}`);
      }
    }
  }
  assert.match(read('scripts/local-cluster/local-cluster.ts'), /options\.coordinatorNodeFlags \?\? COORDINATOR_NODE_FLAGS\), coordinatorEntry/);
});

test('with the coordinator flags V8 keeps the young generation at 2 × 2 MiB under a steady allocation', () => {
  const script = [
    "const v8 = require('node:v8');",
    'let keep = [];',
    "for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 5000) keep = []; }",
    "const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');",
    'console.log(space.space_size);',
  ].join('\n');
  const youngBytes = (flags: readonly string[]) => Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }).trim());
  const limited = youngBytes(COORDINATOR_NODE_FLAGS);
  const unlimited = youngBytes([]);
  assert.ok(limited <= 4 * 2 ** 20, `young generation ${limited} bytes with ${COORDINATOR_NODE_FLAGS.join(' ')}`);
  // Without the flags the same allocation grows it beyond: the check above measures the flag.
  assert.ok(unlimited > 4 * 2 ** 20, `young generation ${unlimited} bytes without the flags`);
});

/**
 * The import rules of .dependency-cruiser.cjs (no circles; shared/ below the processes; the processes
 * import none of each other nor scripts/; no tests or benchmarks in production code; the
 * coordinator's folder layering), checked over the TypeScript
 * sources with dependency-cruiser. A failure lists every violation: rule, importing file, imported file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { allTaskKinds } from '../../shared/tasks/registry.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCE_FOLDERS = ['shared', 'coordinator', 'node-agent', 'cli', 'scripts', 'bench', 'tests'];

async function cruiseSources(): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(join(ROOT, '.dependency-cruiser.cjs'));
  const tsConfig = extractTSConfig(join(ROOT, 'tsconfig.json'));
  const result = await cruise(SOURCE_FOLDERS, { ...options, baseDir: ROOT, validate: true }, undefined, { tsConfig });
  return result.output as ICruiseResult;
}

test('the sources keep the import rules of .dependency-cruiser.cjs', { timeout: 60_000 }, async () => {
  const result = await cruiseSources();

  // The rules only mean something over a graph whose imports were resolved to the sources.
  assert.ok(result.summary.totalCruised > 200, `cruised only ${result.summary.totalCruised} modules`);
  const main = result.modules.find((module) => module.source === 'coordinator/main.ts');
  assert.ok(main?.dependencies.some((d) => d.resolved === 'coordinator/config/coordinator-config.ts'), 'coordinator/main.ts → coordinator/config/coordinator-config.ts resolved');
  const unresolved = result.modules.flatMap((module) => module.dependencies.filter((d) => d.couldNotResolve).map((d) => `${module.source} → ${d.module}`));
  assert.deepEqual(unresolved, [], 'every import resolves');
  // cli/kinds/index.ts loads each kind's CLI file by the kind's name, an import no rule sees: the
  // files are checked as sources of the cli folder, so each must be where that import looks.
  const cruised = new Set(result.modules.map((module) => module.source));
  for (const kind of allTaskKinds()) assert.ok(cruised.has(`cli/kinds/${kind.name}.ts`), `cli/kinds/${kind.name}.ts (the CLI of task kind ${kind.name}) is checked`);

  const violations = result.summary.violations.map((v) => {
    const cycle = v.cycle?.length ? ` (circle: ${v.cycle.map((step) => step.name).join(' → ')})` : '';
    return `${v.rule.name}: ${v.from} → ${v.to}${cycle}`;
  });
  assert.deepEqual(violations, [], `${violations.length} import rule violation(s):\n  ${violations.join('\n  ')}`);
});

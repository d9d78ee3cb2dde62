/**
 * The dashboard's bundle (scripts/build-dashboard-ui.ts): built into a temp dir, it holds everything
 * the page loads (no CDN: index.html names only its own files), and of the project's code only the
 * browser-safe parts of shared/: no coordinator, agent, CLI or script code and no Node module.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDashboardUi } from '../../../scripts/build-dashboard-ui.js';

test('the dashboard bundles into index.html, app.js and app.css, from dashboard-ui/, shared/ and the npm packages only', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qg-dashboard-ui-'));
  try {
    const metafile = await buildDashboardUi(dir);
    const files = await readdir(dir);
    for (const file of ['index.html', 'app.js', 'app.css']) assert.ok(files.includes(file), `${file} in ${files.join(' ')}`);

    const html = await readFile(join(dir, 'index.html'), 'utf8');
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    assert.deepEqual(references.sort(), ['/app.css', '/app.js'], 'the page loads its own two files, nothing from elsewhere');

    const inputs = Object.keys(metafile.inputs);
    // (npm packages by their real path: node_modules may be a link to another checkout's)
    const outside = inputs.filter((input) => !/^(dashboard-ui|shared)\//.test(input) && !/(^|\/)node_modules\/(preact|uplot)\//.test(input));
    assert.deepEqual(outside, [], 'only dashboard-ui/, shared/, preact and uplot are bundled');
    assert.ok(inputs.some((input) => /(^|\/)node_modules\/uplot\//.test(input)), 'uPlot is bundled, not fetched');
    const nodeImports = Object.values(metafile.inputs).flatMap((input) => input.imports.filter((i) => i.path.startsWith('node:') || i.external).map((i) => i.path));
    assert.deepEqual(nodeImports, [], 'no Node module and nothing left external');

    const js = await readFile(join(dir, 'app.js'), 'utf8');
    assert.doesNotMatch(js, /https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i, 'no URL of another host in the code');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

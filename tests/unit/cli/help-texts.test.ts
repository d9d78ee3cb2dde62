import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HELP_TEXTS_FILE, HELP_TEXTS_WIDTH, helpTextKey, prebuiltHelp } from '../../../cli/help-texts.js';
import { renderHelpTexts } from '../../../cli/help-render.js';
import { runCli } from './run-cli.js';

const PIPE = { isTTY: false };

test('a help text is looked up only for command words followed by a lone help flag', () => {
  assert.equal(helpTextKey(['--help']), '');
  assert.equal(helpTextKey(['-h']), '');
  assert.equal(helpTextKey(['jobs', '--help']), 'jobs');
  assert.equal(helpTextKey(['data', 'import', '-h']), 'data import');
  assert.equal(helpTextKey([]), undefined);
  assert.equal(helpTextKey(['jobs']), undefined);
  assert.equal(helpTextKey(['--json', '--help']), undefined);
  assert.equal(helpTextKey(['jobs', '--help', '--json']), undefined);
  assert.equal(helpTextKey(['job', 'abc123', '--help']), 'job abc123');
  assert.equal(helpTextKey(['job', '4f1c2a', '--help']), undefined);
  assert.equal(helpTextKey(['job', 'sha256:ab', '--help']), undefined);
});

test('the prebuilt text is used only at its width and when its file has the command', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'quantgrid-help-'));
  try {
    const file = pathToFileURL(path.join(dir, 'help-texts.json'));
    assert.equal(prebuiltHelp(['--help'], PIPE, file), undefined, 'no file');
    writeFileSync(file, JSON.stringify({ '': 'top\n', jobs: 'jobs\n' }));
    assert.equal(prebuiltHelp(['--help'], PIPE, file), 'top\n');
    assert.equal(prebuiltHelp(['jobs', '-h'], PIPE, file), 'jobs\n');
    assert.equal(prebuiltHelp(['nosuch', '--help'], PIPE, file), undefined);
    assert.equal(prebuiltHelp(['constructor', '--help'], PIPE, file), undefined);
    assert.equal(prebuiltHelp(['--help'], { isTTY: true, columns: HELP_TEXTS_WIDTH }, file), 'top\n');
    assert.equal(prebuiltHelp(['--help'], { isTTY: true }, file), 'top\n');
    assert.equal(prebuiltHelp(['--help'], { isTTY: true, columns: 120 }, file), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the built help texts are commander's output of today's definitions, for every command", async () => {
  const built = JSON.parse(readFileSync(HELP_TEXTS_FILE, 'utf8')) as Record<string, string>;
  const live = await renderHelpTexts();
  assert.deepEqual(Object.keys(built).sort(), Object.keys(live).sort());
  for (const key of Object.keys(live)) assert.equal(built[key], live[key], `quantgrid ${key} --help`);
  for (const key of ['', 'jobs', 'data import', 'submit analysis', 'token create']) assert.ok(key in built, key);
});

test('the CLI prints the prebuilt text without loading commander, the same as commander prints', async () => {
  for (const words of [[], ['jobs'], ['data', 'import'], ['submit', 'analysis'], ['token']]) {
    // An empty code-cache folder: commander, once loaded, leaves its cache there at exit.
    const cacheHome = mkdtempSync(path.join(tmpdir(), 'quantgrid-help-cache-'));
    try {
      const env = { XDG_CACHE_HOME: cacheHome };
      const prebuilt = await runCli([...words, '--help'], { env });
      const cacheDir = path.join(cacheHome, 'quantgrid', 'code-cache');
      assert.equal(prebuilt.code, 0, words.join(' '));
      assert.equal(prebuilt.stderr, '');
      assert.deepEqual(existsSync(cacheDir) ? readdirSync(cacheDir) : [], [], `${words.join(' ')}: loaded no cached package`);
      // A flag before --help: commander answers.
      const viaCommander = await runCli(['--json', ...words, '--help'], { env });
      assert.equal(viaCommander.code, 0);
      assert.ok(readdirSync(cacheDir).some((name) => name.startsWith('commander.cjs')), 'commander answered the long path');
      assert.equal(prebuilt.stdout, viaCommander.stdout, words.join(' '));
    } finally {
      rmSync(cacheHome, { recursive: true, force: true });
    }
  }
});

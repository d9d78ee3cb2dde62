import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { InvalidArgumentError } from 'commander';
import { readSecretFile, warnIfSecretFileExposed } from '../../../shared/config/secret-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'quantgrid-secret-file-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string, mode = 0o600): string {
  const full = path.join(dir, name);
  writeFileSync(full, content, { mode });
  chmodSync(full, mode);
  return full;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    return error.message;
  }
  assert.fail('expected a refusal');
}

test('reads one line, dropping the trailing newline', () => {
  const secret = readSecretFile(file('token', 's3cr3t-value\n'));
  assert.equal(secret.reveal(), 's3cr3t-value');
  assert.equal(secret.exposure, undefined, 'mode 0600 is private');
  assert.equal(readSecretFile(file('crlf', 'abc\r\n')).reveal(), 'abc');
});

test('refuses a missing, empty or multi-line file, without quoting the content', () => {
  assert.equal(refusal(() => readSecretFile(path.join(dir, 'absent'))), `cannot read ${path.join(dir, 'absent')}: no such file`);
  assert.equal(refusal(() => readSecretFile(file('empty', ''))), `${path.join(dir, 'empty')} is empty`);
  assert.equal(refusal(() => readSecretFile(file('blank', ' \n\n'))), `${path.join(dir, 'blank')} is empty`);
  const twoLines = refusal(() => readSecretFile(file('two', 'first-hunter2\nsecond-hunter2\n')));
  assert.match(twoLines, /has more than one line/);
  assert.ok(!twoLines.includes('hunter2'), 'content not quoted');
  assert.match(refusal(() => readSecretFile(dir)), /is a directory$/);
});

test('a file group or others can read is read, with a warning', () => {
  const loose = readSecretFile(file('loose', 'x\n', 0o644));
  assert.equal(loose.reveal(), 'x');
  assert.match(loose.exposure!, /readable by others \(mode 0644\); chmod 600 it$/);
  assert.match(readSecretFile(file('group', 'x\n', 0o640)).exposure!, /readable by its group \(mode 0640\)/);
  const warnings: string[] = [];
  warnIfSecretFileExposed({ warn: (_fields, message) => warnings.push(message) }, '--some-token-file', loose);
  warnIfSecretFileExposed({ warn: (_fields, message) => warnings.push(message) }, '--some-token-file', readSecretFile(file('private', 'y')));
  warnIfSecretFileExposed({ warn: (_fields, message) => warnings.push(message) }, '--some-token-file', undefined);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^--some-token-file: .*loose is readable by others/);
});

test('the secret never shows in JSON, inspect or string form', () => {
  const secret = readSecretFile(file('hidden', 'do-not-print-me\n'));
  for (const shown of [JSON.stringify({ secret }), inspect({ secret }), String(secret), `${secret}`]) {
    assert.ok(!shown.includes('do-not-print-me'), shown);
    assert.ok(shown.includes('redacted'), shown);
  }
});

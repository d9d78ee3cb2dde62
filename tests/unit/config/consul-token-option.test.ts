import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAgentConfig } from '../../../node-agent/agent-config.js';
import { CommandLineExit } from '../../../shared/config/command-line.js';

const COORDINATOR_MAIN = fileURLToPath(new URL('../../../coordinator/main.js', import.meta.url));
const AGENT_MAIN = fileURLToPath(new URL('../../../node-agent/main.js', import.meta.url));

const dir = mkdtempSync(path.join(tmpdir(), 'quantgrid-consul-token-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const tokenFile = path.join(dir, 'consul.token');
writeFileSync(tokenFile, '0b5e1f2a-aaaa-bbbb-cccc-000000000001\n', { mode: 0o600 });
const emptyFile = path.join(dir, 'empty.token');
writeFileSync(emptyFile, '', { mode: 0o600 });
const missingFile = path.join(dir, 'missing.token');

function agentExit(argv: string[], env: Record<string, string> = {}): CommandLineExit {
  try {
    parseAgentConfig(argv, { env, cores: 2 });
  } catch (error) {
    assert.ok(error instanceof CommandLineExit, String(error));
    return error;
  }
  assert.fail('expected the parse to fail');
}

test('agent: no token by default; the file is read from the flag or QUANTGRID_CONSUL_TOKEN_FILE', () => {
  assert.equal(parseAgentConfig([], { env: {}, cores: 2 }).consulToken, undefined);
  const fromFlag = parseAgentConfig(['--consul-token-file', tokenFile], { env: {}, cores: 2 }).consulToken!;
  assert.equal(fromFlag.reveal(), '0b5e1f2a-aaaa-bbbb-cccc-000000000001');
  assert.equal(fromFlag.file, tokenFile);
  const fromEnv = parseAgentConfig([], { env: { QUANTGRID_CONSUL_TOKEN_FILE: tokenFile }, cores: 2 }).consulToken!;
  assert.equal(fromEnv.reveal(), '0b5e1f2a-aaaa-bbbb-cccc-000000000001');
});

test('agent: a missing or empty file is a one-line error naming the flag (or the variable)', () => {
  const missing = agentExit(['--consul-token-file', missingFile]);
  assert.equal(missing.exitCode, 2);
  assert.equal(missing.message, `--consul-token-file: cannot read ${missingFile}: no such file`);
  assert.equal(agentExit(['--consul-token-file', emptyFile]).message, `--consul-token-file: ${emptyFile} is empty`);
  assert.equal(agentExit([], { QUANTGRID_CONSUL_TOKEN_FILE: emptyFile }).message, `QUANTGRID_CONSUL_TOKEN_FILE: ${emptyFile} is empty`);
});

for (const [name, main] of [
  ['coordinator', COORDINATOR_MAIN],
  ['agent', AGENT_MAIN],
] as const) {
  test(`${name} process: a missing or empty token file exits 2 with one line naming the flag`, () => {
    for (const [file, reason] of [
      [missingFile, `cannot read ${missingFile}: no such file`],
      [emptyFile, `${emptyFile} is empty`],
    ]) {
      const run = spawnSync(process.execPath, [main, '--consul-token-file', file], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(run.status, 2, run.stderr);
      assert.equal(run.stderr.trim(), `quantgrid-${name}: --consul-token-file: ${reason}`);
    }
  });
}

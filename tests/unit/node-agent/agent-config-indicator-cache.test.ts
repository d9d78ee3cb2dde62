import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_OPTIONS as AGENT_OPTION_OBJECTS, DEFAULT_INDICATOR_CACHE_MB, parseAgentConfig } from '../../../node-agent/agent-config.js';
import { CommandLineExit as AgentConfigExit } from '../../../shared/config/command-line.js';

/** The option table as the README documents it, read off the commander Options. */
const AGENT_OPTIONS = AGENT_OPTION_OBJECTS.map((option) => ({ name: option.attributeName(), env: option.envVar, defaultText: option.defaultValueDescription }));

const MIB = 1024 * 1024;
const parse = (argv: string[], env: Record<string, string> = {}) => parseAgentConfig(argv, { env, cores: 2 });

test('--indicator-cache-mb: the agent-wide indicator-cache budget, 160 MiB by default', () => {
  assert.equal(DEFAULT_INDICATOR_CACHE_MB, 160);
  assert.equal(parse([]).indicatorCacheBytes, 160 * MIB);
  assert.equal(parse(['--indicator-cache-mb', '64']).indicatorCacheBytes, 64 * MIB);
  assert.equal(parse(['--indicator-cache-mb', '0']).indicatorCacheBytes, 0);
  assert.equal(parse([], { QUANTGRID_INDICATOR_CACHE_MB: '96' }).indicatorCacheBytes, 96 * MIB);
  assert.equal(parse(['--indicator-cache-mb=32'], { QUANTGRID_INDICATOR_CACHE_MB: '96' }).indicatorCacheBytes, 32 * MIB);
  const option = AGENT_OPTIONS.find((o) => o.name === 'indicatorCacheMb');
  assert.equal(option?.env, 'QUANTGRID_INDICATOR_CACHE_MB');
  assert.equal(option?.defaultText, '160');
});

test('--indicator-cache-mb rejects what is not a whole number of MiB', () => {
  for (const bad of ['-1', '1.5', 'lots']) {
    assert.throws(() => parse(['--indicator-cache-mb', bad]), (error: unknown) => error instanceof AgentConfigExit && error.exitCode === 2 && /--indicator-cache-mb/.test(error.message));
  }
});

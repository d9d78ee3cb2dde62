import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Help } from 'commander';
import { COMMANDS, requestedCommand } from '../../../cli/command-list.js';
import { addGlobalOptions } from '../../../cli/global-options.js';
import { staticImports } from '../../helpers/import-graph.js';
import { CLI_BUNDLE, CLI_MAIN, runCli } from './run-cli.js';

function programWithGlobals(): Command {
  return addGlobalOptions(new Command('quantgrid'));
}

describe('the CLI loads only the command it runs', () => {
  test('each listed command is what its own definition says: name, help term and description', async () => {
    for (const entry of COMMANDS) {
      const program = programWithGlobals();
      (await entry.register())(program);
      assert.equal(program.commands.length, 1, entry.name);
      const command = program.commands[0];
      assert.equal(command.name(), entry.name);
      assert.equal(new Help().subcommandTerm(command), entry.term, `${entry.name}: the term --help lists`);
      assert.equal(command.description(), entry.description);
    }
  });

  test('the command is the first word past the global options and their values', () => {
    const program = programWithGlobals();
    const name = (args: string[]) => requestedCommand(program, args)?.name;
    assert.equal(name(['jobs', '--status', 'running']), 'jobs');
    assert.equal(name(['--coordinator', '10.0.0.5:7000', '--json', 'job', 'x']), 'job');
    assert.equal(name(['--token-file', 'jobs', 'nodes']), 'nodes', 'a value that looks like a command is a value');
    assert.equal(name(['--timeout=3', 'cancel', 'j1']), 'cancel');
    assert.equal(name(['--version']), undefined);
    assert.equal(name(['--help']), undefined);
    assert.equal(name(['launch']), undefined);
  });

  test('--version loads no package; --help neither gRPC nor protobuf nor any command: the program imports only commander', () => {
    const main = staticImports(CLI_MAIN);
    assert.deepEqual([...main.packages.keys()], [], JSON.stringify(Object.fromEntries(main.packages), null, 1));
    const programFile = fileURLToPath(new URL('../../../cli/program.js', import.meta.url));
    assert.equal(main.modules.has(programFile), false, 'main.js imports program.js only when it runs it');
    const { modules, packages } = staticImports(programFile);
    assert.deepEqual([...packages.keys()], ['commander'], JSON.stringify(Object.fromEntries(packages), null, 1));
    const commandsDir = fileURLToPath(new URL('../../../cli/commands/', import.meta.url));
    assert.deepEqual([...modules].filter((file) => file.startsWith(commandsDir)), []);
  });

  test('the bundle users run loads, before its code runs, no package code and not the program', () => {
    const { modules, packages } = staticImports(CLI_BUNDLE);
    assert.deepEqual([...packages.keys()], []);
    // esbuild notes each bundled module's path above its code.
    for (const file of modules) assert.doesNotMatch(readFileSync(file, 'utf8'), /node_modules\/|cli\/program\.js/, file);
    // The entry is CommonJS (scripts/build-cli.ts): it requires only Node's modules, and imports the program when it runs it.
    const entry = readFileSync(CLI_BUNDLE, 'utf8');
    const required = [...entry.matchAll(/\brequire\((['"])([^'"]+)\1\)/g)].map((match) => match[2]);
    assert.deepEqual(required.filter((specifier) => !specifier.startsWith('node:')), [], 'the entry requires only node: modules');
    assert.deepEqual([...entry.matchAll(/\bimport\((['"])([^'"]+)\1\)/g)].map((match) => match[2]), ['./program.mjs']);
  });

  test('a command still runs, with its own help, and --help lists every command', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    for (const entry of COMMANDS) assert.match(help.stdout, new RegExp(`\\n  ${entry.term.replace(/[[\]]/g, '\\$&')} +\\S`), entry.term);
    const jobsHelp = await runCli(['--json', 'jobs', '--help']);
    assert.equal(jobsHelp.code, 0);
    assert.match(jobsHelp.stdout, /^Usage: quantgrid jobs \[options\]/);
    assert.match(jobsHelp.stdout, /--status <status>/);
  });
});

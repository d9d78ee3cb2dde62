import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Command, Help } from 'commander';
import { COMMANDS, requestedCommand } from '../../../cli/command-list.js';
import { addGlobalOptions } from '../../../cli/global-options.js';
import { staticImports } from '../../helpers/import-graph.js';
import { CLI_MAIN, runCli } from './run-cli.js';

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

  test('--help and --version load neither gRPC nor protobuf nor any command: the entry module imports only commander', () => {
    const { modules, packages } = staticImports(CLI_MAIN);
    assert.deepEqual([...packages.keys()], ['commander'], JSON.stringify(Object.fromEntries(packages), null, 1));
    const commandsDir = fileURLToPath(new URL('../../../cli/commands/', import.meta.url));
    assert.deepEqual([...modules].filter((file) => file.startsWith(commandsDir)), []);
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

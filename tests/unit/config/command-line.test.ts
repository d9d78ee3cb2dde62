import { test } from 'node:test';
import { exitOf } from '../../helpers/command-line.js';
import assert from 'node:assert/strict';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultFromText, describedDefault, parseCommandLine, valueSource } from '../../../shared/config/command-line.js';
import { parseIntegerFrom } from '../../../shared/config/parsers.js';

function program(): Command {
  return new Command('test')
    .configureOutput({ writeOut: () => undefined })
    .addOption(defaultFromText(new Option('--port <port>', 'a port').env('TEST_PORT').argParser(parseIntegerFrom(0, 65535)), '7070'))
    .addOption(describedDefault(new Option('--name <name>', 'a name').env('TEST_NAME'), 'the host name'));
}

test('the flag wins over the variable, the variable over the default; an empty variable counts as unset', () => {
  const parse = (argv: string[], env: NodeJS.ProcessEnv) => {
    const p = program();
    parseCommandLine(p, argv, env);
    return { values: p.opts(), source: valueSource(p, p.options[0]) };
  };
  assert.deepEqual(parse([], {}), { values: { port: 7070, name: null }, source: '--port' });
  assert.deepEqual(parse([], { TEST_PORT: '8080', TEST_NAME: 'n' }), { values: { port: 8080, name: 'n' }, source: 'TEST_PORT' });
  assert.deepEqual(parse(['--port', '9090'], { TEST_PORT: '8080' }), { values: { port: 9090, name: null }, source: '--port' });
  assert.deepEqual(parse([], { TEST_PORT: '' }).values, { port: 7070, name: null });
});

test('a rejected value is one line naming where it came from, in the parser\'s words', () => {
  assert.equal(exitOf(() => parseCommandLine(program(), ['--port', 'x'], {})).exitCode, 2);
  assert.equal(exitOf(() => parseCommandLine(program(), ['--port', 'x'], {})).message, '--port: "x" must be an integer from 0 to 65535');
  assert.equal(exitOf(() => parseCommandLine(program(), [], { TEST_PORT: '70000' })).message, 'TEST_PORT: "70000" must be an integer from 0 to 65535');
  // The flag is read first: its bad value is the one reported even when the variable is bad too.
  assert.equal(exitOf(() => parseCommandLine(program(), ['--port=-1'], { TEST_PORT: 'y' })).message, '--port: "-1" must be an integer from 0 to 65535');
  assert.equal(exitOf(() => parseCommandLine(program(), ['--xyz'], {})).message, "unknown option '--xyz'");
  assert.equal(exitOf(() => parseCommandLine(program(), ['--nam', 'x'], {})).message, "unknown option '--nam' (Did you mean --name?)");
});

test('--help exits with code 0 and no message; process.env is left as it was', () => {
  const before = process.env;
  let help = '';
  const p = program().configureOutput({ writeOut: (text) => (help += text) });
  const exit = exitOf(() => parseCommandLine(p, ['--help'], { TEST_PORT: '1' }));
  assert.deepEqual([exit.exitCode, exit.message], [0, '']);
  assert.match(help, /--port <port>\s+a port \(default: 7070, env: TEST_PORT\)/);
  assert.match(help, /--name <name>\s+a name \(default: the host name, env: TEST_NAME\)/);
  assert.equal(process.env, before);
  assert.equal(process.env.TEST_PORT, undefined);
});

test('defaultFromText parses the default with the option\'s own parser, so a bad default cannot be written', () => {
  assert.equal(defaultFromText(new Option('--n <n>').argParser(parseIntegerFrom(1, 9)), '3').defaultValue, 3);
  assert.throws(() => defaultFromText(new Option('--n <n>').argParser(parseIntegerFrom(1, 9)), '30'), InvalidArgumentError);
  assert.throws(() => defaultFromText(new Option('--n <n>'), '3'), /needs the option's argParser/);
});

/**
 * Reading a process's command line and environment with commander, the same way for every quantgrid
 * process: a flag wins over its environment variable, the variable over the default; an empty
 * variable counts as unset; a value an option's parser rejects is reported naming where it came from
 * (the flag, or the environment variable), in one line.
 */
import type { EventEmitter } from 'node:events';
import { Command, CommanderError, InvalidArgumentError, type Option } from 'commander';

/** Parsing ended without a configuration: a bad flag or value (exit code 2), or --help / --version (exit code 0, no message). */
export class CommandLineExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CommandLineExit';
  }
}

/** parse(text), or a CommandLineExit (code 2) "<source>: <reason>" when parse throws InvalidArgumentError. */
export function parseValueFrom<T>(source: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new CommandLineExit(2, `${source}: ${error.message}`);
    throw error;
  }
}

/** Where the option's current value came from, as a user names it: its flag, or its environment variable. */
export function valueSource(program: Command, option: Option): string {
  const fromEnv = program.getOptionValueSource(option.attributeName()) === 'env';
  return fromEnv && option.envVar ? option.envVar : (option.long ?? option.flags);
}

/**
 * Parses argv (without node and the script) and env into program's options (read them with
 * program.opts()). Throws CommandLineExit: code 2 with a one-line message for anything bad, 0 once
 * commander has written --help or --version. The environment is read from env, not process.env.
 */
export function parseCommandLine(program: Command, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  /** The last value handed to an option's parser, and where from: the one rejected when parsing fails. */
  let last: { source: string; option: Option; text: string } | undefined;
  // A Command is an EventEmitter (its typings show only on()); prepended, these listeners run
  // before commander's own, which parses the value.
  const events = program as unknown as EventEmitter;
  for (const option of program.options) {
    events.prependListener(`option:${option.name()}`, (text: string) => (last = { source: option.long ?? option.flags, option, text }));
    if (option.envVar) events.prependListener(`optionEnv:${option.name()}`, (text: string) => (last = { source: option.envVar!, option, text }));
  }
  program.exitOverride().configureOutput({ outputError: () => undefined });

  // Commander reads process.env; it is swapped for the parse (synchronous: nothing else runs meanwhile).
  const saved = process.env;
  process.env = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') throw new CommandLineExit(0, '');
    if (error.code === 'commander.invalidArgument' && last?.option.parseArg) {
      const { source, option, text } = last;
      // The parser is pure: asked again, it gives the reason on its own, without commander's wording.
      parseValueFrom(source, text, (value) => option.parseArg!(value, undefined));
    }
    // One line, also when commander adds a suggestion ("(Did you mean --slots?)") on a line of its own.
    throw new CommandLineExit(2, error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '));
  } finally {
    process.env = saved;
  }
}

/**
 * Sets option's default from the text a user would type, parsed by the option's own parser (so it is
 * written once, and checked like any value) and shown as typed in --help.
 */
export function defaultFromText(option: Option, text: string): Option {
  if (!option.parseArg) throw new Error(`${option.flags}: defaultFromText needs the option's argParser first`);
  return option.default(option.parseArg(text, undefined), text);
}

/**
 * For an option whose default depends on other values or on the machine, or that has none: the value
 * is null unless given (the caller resolves it after parsing), and --help shows description as the default.
 */
export function describedDefault(option: Option, description: string): Option {
  return option.default(null, description);
}

/**
 * The quantgrid CLI's program: commander with the global options, the command the arguments run
 * defined in full and the others listed by name (command-list.ts).
 */
import { Command, Help } from 'commander';
import { QUANTGRID_VERSION } from '../shared/version.js';
import { commanderErrorLine, commanderExitCode, EXIT, UsageError } from './cli-error.js';
import { COMMANDS, requestedCommand, type CommandEntry } from './command-list.js';
import { addGlobalOptions } from './global-options.js';
import { VERSION_FLAGS } from './version-flag.js';

/** Where commander writes its output and how wide it wraps help (by default: stdout, at the terminal's width or 80). */
export interface ProgramOutput {
  writeOut?: (text: string) => void;
  helpWidth?: number;
}

function buildProgram(output: ProgramOutput): Command {
  const { writeOut, helpWidth } = output;
  // Settings made here are inherited by every command created afterwards.
  const program = new Command('quantgrid')
    .description('quantgrid: run backtests and market analysis on the machines you own')
    .version(QUANTGRID_VERSION, VERSION_FLAGS)
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      outputError: (text, write) => write(commanderErrorLine(text)),
      ...(writeOut ? { writeOut } : {}),
      ...(helpWidth ? { getOutHelpWidth: () => helpWidth } : {}),
    })
    .addHelpText(
      'after',
      `
Exit codes: 0 success (a watched job completed), 1 coordinator error or the job failed/was cancelled,
2 bad flags or arguments, 130 Ctrl-C while watching (the job keeps running).

Examples:
  $ quantgrid nodes
  $ quantgrid submit backtest --symbols BTCUSDT,ETHUSDT --fast 5:50:5 --slow 20:200:10 --watch
  $ quantgrid jobs --status running
  $ quantgrid --coordinator 10.0.0.5:7000 job 4f1c2a --watch`,
    );
  addGlobalOptions(program);
  return program;
}

/**
 * Every top-level command, in the order of COMMANDS: the one the arguments run is loaded and
 * defined in full; the others are only a name and a description for `quantgrid --help`.
 */
async function addCommands(program: Command, wanted: CommandEntry | undefined): Promise<void> {
  const listed = new Map<Command, CommandEntry>();
  for (const entry of COMMANDS) {
    if (entry === wanted) (await entry.register())(program);
    else listed.set(program.command(entry.name).description(entry.description), entry);
  }
  const help = new Help();
  program.configureHelp({ showGlobalOptions: true, subcommandTerm: (command) => listed.get(command)?.term ?? help.subcommandTerm(command) });
  // Reached only when no command matched (set last: commands created before do not inherit it).
  program.allowExcessArguments().action((_options: unknown, command: Command) => {
    const name = command.args[0];
    throw new UsageError(name === undefined ? 'missing command (see quantgrid --help)' : `unknown command '${name}' (see quantgrid --help)`);
  });
}

/** The program for these arguments (without node and the script): the command they run defined in full. */
export async function createProgram(args: readonly string[], output: ProgramOutput = {}): Promise<Command> {
  const program = buildProgram(output);
  await addCommands(program, requestedCommand(program, args));
  return program;
}

/** Runs the command the arguments name (process.argv: node, the script, then the arguments); sets process.exitCode. */
export async function runProgram(argv: readonly string[]): Promise<void> {
  try {
    const program = await createProgram(argv.slice(2));
    await program.parseAsync(argv);
  } catch (error) {
    // Help, version and commander's usage errors need nothing more; the rest is told by report-error.ts (which loads the client library).
    process.exitCode = commanderExitCode(error) ?? (await import('./report-error.js')).reportError(error);
  }
}

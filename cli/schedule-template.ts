import { Command } from 'commander';
import type { SubmitJobRequest } from '../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { commanderErrorLine, UsageError } from './cli-error.js';
import { registerSubmitCommand } from './commands/submit.js';
import { cliKindByName, kindNamesText } from './kinds/index.js';

/**
 * A fresh `quantgrid submit` command tree, built by the same code as the real one, whose kinds only
 * capture their parsed flags instead of submitting (the kind by its name, also when given by an alias).
 */
export function templateParser(onParsed: (kind: string, flags: Record<string, unknown>) => void): Command {
  const program = new Command('quantgrid')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(commanderErrorLine(text)) });
  registerSubmitCommand(program);
  const submit = program.commands.find((command) => command.name() === 'submit')!;
  for (const kind of submit.commands) kind.action((flags: Record<string, unknown>) => onParsed(kind.name(), flags));
  return program;
}

/**
 * The job a schedule submits, from the words after `--` in `schedule add`: exactly what
 * `quantgrid submit <kind> …` takes (same flags and checks), without --watch.
 */
export function parseJobTemplate(words: readonly string[]): SubmitJobRequest {
  if (words.length === 0) {
    throw new UsageError('schedule add needs the job after --, as for quantgrid submit: e.g. -- backtest --symbols BTCUSDT');
  }
  let parsed: { kind: string; flags: Record<string, unknown> } | undefined;
  templateParser((kind, flags) => (parsed = { kind, flags })).parse(['submit', ...words], { from: 'user' });
  if (!parsed) throw new UsageError(`schedule add: no job kind after -- (one of: ${kindNamesText()})`);
  if (parsed.flags.watch) throw new UsageError('--watch: a schedule\'s jobs run later; follow one with quantgrid job ID --watch');
  const cli = cliKindByName(parsed.kind);
  if (!cli) throw new Error(`no CLI for job kind ${parsed.kind}`);
  return cli.buildRequest(parsed.flags);
}

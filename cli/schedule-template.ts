import { Command } from 'commander';
import type { SubmitJobRequest } from '../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { commanderErrorLine, UsageError } from './cli-error.js';
import { registerSubmitCommand } from './commands/submit.js';
import {
  buildAnalysisRequest,
  buildBacktestRequest,
  buildNoopRequest,
  type AnalysisFlags,
  type BacktestFlags,
  type NoopFlags,
} from './spec-builders.js';

/** The request builder of each `submit <kind>` subcommand (a kind missing here fails the unit tests). */
export const TEMPLATE_BUILDERS: Readonly<Record<string, (flags: Record<string, unknown>) => SubmitJobRequest>> = {
  backtest: (flags) => buildBacktestRequest(flags as BacktestFlags),
  analysis: (flags) => buildAnalysisRequest(flags as AnalysisFlags),
  noop: (flags) => buildNoopRequest(flags as NoopFlags),
};

/**
 * A fresh `quantgrid submit` command tree, built by the same code as the real one, whose kinds only
 * capture their parsed flags instead of submitting.
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
 * `quantgrid submit <kind> …` takes (same flags, defaults and checks), without --watch.
 */
export function parseJobTemplate(words: readonly string[]): SubmitJobRequest {
  if (words.length === 0) {
    throw new UsageError('schedule add needs the job after --, as for quantgrid submit: e.g. -- backtest --symbols BTCUSDT');
  }
  let parsed: { kind: string; flags: Record<string, unknown> } | undefined;
  templateParser((kind, flags) => (parsed = { kind, flags })).parse(['submit', ...words], { from: 'user' });
  if (!parsed) throw new UsageError('schedule add: no job kind after -- (one of: backtest, analysis, noop)');
  if (parsed.flags.watch) throw new UsageError('--watch: a schedule\'s jobs run later; follow one with quantgrid job ID --watch');
  const build = TEMPLATE_BUILDERS[parsed.kind];
  if (!build) throw new Error(`no request builder for job kind ${parsed.kind}`);
  return build(parsed.flags);
}

import type { Command } from 'commander';
import { JOB_LOG_LINE_ID_PATTERN, MAX_JOB_LOG_LINES, MAX_LOG_LINE_BYTES } from '../../shared/job-log-limits.js';
import { EXIT, UsageError } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { flagValue, parseIntegerIn } from '../flag-parsers.js';
import { renderLogLine } from '../render/log-lines.js';
import { commandDescription } from '../command-summaries.js';

async function run(context: CommandContext, flags: { follow?: boolean; after?: string; limit?: string }, [jobId]: string[]): Promise<number> {
  const limit = flags.limit === undefined ? 0 : flagValue('--limit', flags.limit, parseIntegerIn(1, MAX_JOB_LOG_LINES));
  if (flags.after !== undefined && !JOB_LOG_LINE_ID_PATTERN.test(flags.after)) throw new UsageError(`--after: "${flags.after}" is not a line id (like 1764631801000-0, as --json prints them)`);
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.on('SIGINT', onInterrupt);
  try {
    for await (const line of context.connection.jobLog(jobId, { afterId: flags.after, follow: flags.follow, limit, signal: controller.signal })) {
      if (context.json) context.printJsonLine(line);
      else context.print(renderLogLine(line));
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  if (controller.signal.aborted) {
    context.note(`stopped following; job ${jobId} keeps running`);
    return EXIT.INTERRUPTED;
  }
  return EXIT.OK;
}

/** `quantgrid logs JOB [-f]`: a job's log; --follow goes on until the job ends. */
export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description(commandDescription('logs'))
    .argument('<id>', 'job id')
    .option('-f, --follow', 'keep printing new lines until the job ends (Ctrl-C stops following, not the job)')
    .option('--after <line-id>', 'only the lines after this one (an id from --json output)')
    .option('--limit <n>', `print at most this many lines (1 to ${MAX_JOB_LOG_LINES})`)
    .addHelpText(
      'after',
      `
A job's log is kept in Redis with the job (the coordinator's --retention): its latest
${MAX_JOB_LOG_LINES.toLocaleString('en-US')} lines, each message and stack trace cut to ${MAX_LOG_LINE_BYTES / 1024} KiB. Lines read:
  TIME LEVEL WHERE  MESSAGE     WHERE is "job" or "partition N NODE#ATTEMPT"; [task] marks what the
                                task's code reported; a stack trace follows, indented.
--json prints each line as one JSON object (id, timeMs, level, source, message, partition, nodeId, attempt, detail).

Examples:
  $ quantgrid logs 4f1c2a
  $ quantgrid logs 4f1c2a -f
  $ quantgrid logs 4f1c2a --json | jq -r 'select(.level == "error") | .detail'`,
    )
    .action(commandAction(run));
}

import type { Command } from 'commander';
import { isTerminalStatus } from '../../shared/job-status.js';
import { CliError, EXIT, UsageError } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { followJob, jobForJson, reportFinishedJob } from '../follow-job.js';
import { statusName } from '../render/format.js';
import { renderJobDetails } from '../render/job-tables.js';
import { allCliKinds, cliKindByName } from '../kinds/index.js';
import { parseResultJson, renderResult } from '../render/result-tables.js';
import { commandDescription } from '../command-summaries.js';

/** Checks the flags before anything is sent: --csv is its own output format. */
export function checkJobFlags(flags: { watch?: boolean; csv?: boolean }, json: boolean): void {
  if (flags.csv && json) throw new UsageError('--csv and --json are two output formats: give one');
  if (flags.csv && flags.watch) throw new UsageError('--csv prints a finished job\'s table: drop --watch (or run `job ID --csv` once the job is done)');
}

async function run(context: CommandContext, flags: { watch?: boolean; csv?: boolean }, [jobId]: string[]): Promise<number> {
  checkJobFlags(flags, context.json);
  const job = await context.connection.getJob(jobId);
  if (flags.csv) {
    const result = parseResultJson(job.resultJson);
    if (result === null) throw new CliError(`job ${jobId} has no result yet (status ${statusName(job.status)})`);
    const csv = cliKindByName(job.kind)?.csv;
    if (!csv || typeof result !== 'object') {
      const tables = allCliKinds().filter((cli) => cli.csv).map((cli) => cli.kind.name).join(' and ');
      throw new CliError(`--csv: job ${jobId} is a ${job.kind || 'job of no known kind'}; only ${tables} results have a table`);
    }
    process.stdout.write(csv(result));
    return EXIT.OK;
  }
  if (flags.watch) {
    if (!context.json) context.print(renderJobDetails(job, Date.now()));
    return isTerminalStatus(job.status) ? reportFinishedJob(context, job) : followJob(context, jobId);
  }
  if (context.json) {
    context.printJson(jobForJson(job));
    return EXIT.OK;
  }
  context.print(renderJobDetails(job, Date.now()));
  if (job.resultJson) context.print(renderResult(parseResultJson(job.resultJson), job.kind));
  return EXIT.OK;
}

/** `quantgrid job ID`: one job's state and result; --watch follows it live. */
export function registerJobCommand(program: Command): void {
  program
    .command('job')
    .description(commandDescription('job'))
    .argument('<id>', 'job id (as printed by submit and listed by `quantgrid jobs`)')
    .option('--watch', 'follow the job live until it ends (exit 0 only if it completed, 1 if it failed or was cancelled)')
    .option('--csv', 'print a backtest\'s full table (submitted with --full-table), else its top rows, as CSV with a header')
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid job 4f1c2a
  $ quantgrid job 4f1c2a --watch          # re-attach to a running job; Ctrl-C stops watching, not the job
  $ quantgrid job 4f1c2a --json | jq .result.top
  $ quantgrid job 4f1c2a --csv > sweep.csv`,
    )
    .action(commandAction(run));
}

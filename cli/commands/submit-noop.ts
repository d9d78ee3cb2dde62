import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { commandAction } from '../command-context.js';
import { buildNoopRequest, NOOP_DEFAULTS, type NoopFlags } from '../spec-builders.js';
import { addSubmitOptions, newRequestId, submitJob } from '../submit-job.js';

async function run(context: CommandContext, flags: NoopFlags & { watch?: boolean }): Promise<number> {
  const request = buildNoopRequest({ ...flags, requestId: flags.requestId ?? newRequestId() });
  return submitJob(context, request, flags.watch === true);
}

/** `quantgrid submit noop`: partitions that only busy-wait, for benchmarks and tests. */
export function registerSubmitNoopCommand(submit: Command): void {
  const command = submit
    .command('noop')
    .description('a job of partitions that only busy-wait: for benchmarks and failure tests')
    .option('--partitions <n>', 'number of partitions', NOOP_DEFAULTS.partitions)
    .option('--work-ms <ms>', 'busy-work per partition in milliseconds', NOOP_DEFAULTS.workMs)
    .option('--fail-partition <index>', 'a partition index that always fails (to test failure handling)');
  addSubmitOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid submit noop --partitions 64 --work-ms 250 --watch
  $ quantgrid submit noop --partitions 4 --fail-partition 2 --watch   # ends FAILED, exit 1`,
    )
    .action(commandAction(run));
}

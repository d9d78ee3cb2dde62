import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { flagValue } from '../flag-parsers.js';
import { parseDatasetRef, parseTagName } from '../dataset-ref.js';

async function run(context: CommandContext, _flags: unknown, [name, ref]: string[]): Promise<number> {
  const tag = await context.connection.tagDataset({ name: flagValue('NAME', name, parseTagName), dataset: flagValue('ID', ref, parseDatasetRef) });
  if (context.json) context.printJson(tag);
  else context.print(`tag ${tag.name} → sha256:${tag.id}`);
  return EXIT.OK;
}

/** `quantgrid data tag NAME ID`: points a tag at a version. */
export function registerDataTagCommand(data: Command): void {
  data
    .command('tag')
    .description('point a tag (a name such as BTCUSDT-1h) at a version of a dataset; jobs and schedules may then name the dataset by its tag')
    .argument('<name>', 'the tag: 1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter')
    .argument('<dataset>', 'the version: its id (sha256:<id> or the bare id), or another tag (the version it points at)')
    .addHelpText(
      'after',
      `
A job naming a tag (submit … --dataset BTCUSDT-1h) runs on the version the tag points at when it is
submitted, and records that version's id; a schedule's jobs on the version at each firing. data append
on a tag moves it to the new version. Moving someone else's tag needs the admin role.

Examples:
  $ quantgrid data tag BTCUSDT-1h sha256:3f2a…
  $ quantgrid submit backtest --dataset BTCUSDT-1h --strategy sma-crossover`,
    )
    .action(commandAction(run));
}

import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { flagValue } from '../flag-parsers.js';
import { formatBytes } from '../render/format.js';
import { parseDatasetRef } from '../dataset-ref.js';

async function run(context: CommandContext, flags: { force?: boolean }, [ref]: string[]): Promise<number> {
  const response = await context.connection.removeDataset({ name: flagValue('ID|TAG', ref, parseDatasetRef), force: flags.force === true });
  if (context.json) context.printJson(response);
  else if (response.removedTag) context.print(`removed tag ${response.removedTag} (the version it pointed at is kept)`);
  else {
    const tags = response.removedTags.length > 0 ? `, and its tags ${response.removedTags.join(', ')}` : '';
    context.print(`removed dataset sha256:${response.removedId}${tags}; ${formatBytes(Number(response.freedBytes))} freed`);
  }
  return EXIT.OK;
}

/** `quantgrid data rm ID|TAG`: removes a version, or a tag. */
export function registerDataRmCommand(data: Command): void {
  data
    .command('rm')
    .description('remove a version of a dataset (by id), or a tag (by name: the tag only, never the version)')
    .argument('<dataset>', 'a version\'s id (sha256:<id> or the bare id), or a tag')
    .option('--force', 'even while a queued or running job or a schedule uses it (a version: its tags go with it)')
    .addHelpText(
      'after',
      `
Refused while a queued or running job reads the version, a schedule names it (or a tag pointing at
it), or a tag points at it — unless --force. Only its owner (who imported or appended it; who set the
tag) or an admin may remove it. Versions that extend it keep their bars: chunks they share stay.

Examples:
  $ quantgrid data rm sha256:3f2a…
  $ quantgrid data rm BTCUSDT-1h-old
  $ quantgrid data rm sha256:3f2a… --force`,
    )
    .action(commandAction(run));
}

import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';

async function run(context: CommandContext, _flags: unknown, args: string[]): Promise<number> {
  const response = await context.connection.removeStrategy(args[0]);
  if (context.json) context.printJson(response);
  else for (const s of response.strategies) context.print(`removed: ${s.name}@${s.id}`);
  return EXIT.OK;
}

/** `quantgrid strategy rm NAME[@ID]`. */
export function registerStrategyRmCommand(strategy: Command): void {
  strategy
    .command('rm')
    .description('remove a strategy version (NAME@ID) or every version of NAME from listings and from --strategy')
    .argument('<ref>', 'NAME or NAME@ID')
    .addHelpText(
      'after',
      `
A submitter removes only versions it pushed; admins remove any. Jobs already submitted keep
running the exact version they recorded: the bundle stays stored while a kept job ran it, and the
coordinators' hourly sweep deletes it after that.

Examples:
  $ quantgrid strategy rm triple-ma@3f2a9c1b
  $ quantgrid strategy rm triple-ma`,
    )
    .action(commandAction(run));
}

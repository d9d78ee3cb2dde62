import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { renderStrategyDetails } from '../render/strategy-table.js';

interface Flags {
  code?: boolean;
}

async function run(context: CommandContext, flags: Flags, args: string[]): Promise<number> {
  const { info, code } = await context.connection.getStrategy(args[0]);
  if (flags.code) process.stdout.write(code.endsWith('\n') ? code : `${code}\n`);
  else if (context.json) context.printJson({ info });
  else if (info) context.print(renderStrategyDetails(info));
  return EXIT.OK;
}

/** `quantgrid strategy show NAME[@ID]`: one version, its parameters (as --param takes them). */
export function registerStrategyShowCommand(strategy: Command): void {
  strategy
    .command('show')
    .description("one strategy version: id, owner, and its parameters with their bounds and default ranges")
    .argument('<ref>', 'NAME (the latest version) or NAME@ID (an id or a unique prefix of at least 8 hex digits)')
    .option('--code', 'print the stored bundle instead')
    .addHelpText('after', '\nExamples:\n  $ quantgrid strategy show triple-ma\n  $ quantgrid strategy show triple-ma@3f2a9c1b --code')
    .action(commandAction(run));
}

import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ValidationError } from '../../shared/errors.js';
import { bundleStrategy } from '../../shared/sandbox/strategy-bundle.js';
import { CliError, EXIT, UsageError } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { renderStrategyDetails } from '../render/strategy-table.js';
import { typeCheckStrategy } from '../strategy-type-check.js';

interface Flags {
  name?: string;
  typeCheck: boolean;
}

async function run(context: CommandContext, flags: Flags, args: string[]): Promise<number> {
  const file = args[0];
  if (!/\.(ts|js|mts|mjs)$/.test(file)) throw new UsageError(`${file}: a strategy file is .ts or .js`);
  if (!existsSync(file)) throw new UsageError(`cannot read ${file}: no such file`);
  if (/\.m?ts$/.test(file) && flags.typeCheck) {
    const errors = await typeCheckStrategy(file);
    if (errors === undefined) context.note('TypeScript is not installed here: pushing without a type check');
    else if (errors.length > 0) throw new CliError(`${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more type errors)` : ''}`);
  }
  let code: string;
  try {
    code = await bundleStrategy(file);
  } catch (error) {
    if (error instanceof ValidationError) throw new CliError(`${file}: ${error.reason}`);
    throw error;
  }
  const info = await context.connection.pushStrategy(code, flags.name ?? '');
  if (context.json) context.printJson(info);
  else {
    context.print(`${info.alreadyPresent ? 'already stored' : 'pushed'}: ${info.name}@${info.id}`);
    context.print(renderStrategyDetails(info));
  }
  return EXIT.OK;
}

/** `quantgrid strategy push FILE`: bundles a strategy and its local imports, stores it in the cluster. */
export function registerStrategyPushCommand(strategy: Command): void {
  strategy
    .command('push')
    .description('bundle a strategy file (and its local imports) and store it in the cluster, after a check run in a sandbox')
    .argument('<file>', "a .ts or .js module whose default export is defineStrategy({ … }) from 'quantgrid/strategy'")
    .option('--name <name>', "store it under this name instead of the strategy's own")
    .option('--no-type-check', 'skip the strict type check of a .ts file against the SDK (on by default when TypeScript is installed)')
    .addHelpText(
      'after',
      `
A .ts file is type-checked first (strict, against the SDK's types) when TypeScript is installed.
The file may import only its own local files and quantgrid/strategy (no Node modules or packages:
it runs in a sandbox without them). The coordinator loads it in a sandbox, checks its definition,
and runs it twice on synthetic bars (the second time with its combinations in reverse order): a
strategy that fails or gives different targets is refused, and nothing is stored. The id is the
SHA-256 of the bundle; pushing the same code again changes nothing. Pushing needs the submitter role.

Examples:
  $ quantgrid strategy push examples/strategies/triple-ma.ts
  $ quantgrid strategy push my-sma.ts --name sma-v2
  $ quantgrid submit backtest --strategy triple-ma --symbols BTCUSDT --param fast=5:20:5 --watch`,
    )
    .action(commandAction(run));
}

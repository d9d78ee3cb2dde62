import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { renderNodesTable } from '../render/node-table.js';
import { commandDescription } from '../command-summaries.js';

async function run(context: CommandContext): Promise<number> {
  const response = await context.connection.listNodes();
  if (context.json) context.printJson(response);
  else context.print(renderNodesTable(response.nodes, Date.now()));
  return EXIT.OK;
}

/** `quantgrid nodes`: the agents the coordinator knows, with their measurements and scores. */
export function registerNodesCommand(program: Command): void {
  program
    .command('nodes')
    .description(commandDescription('nodes'))
    .addHelpText(
      'after',
      `
The score decides where partitions go. cpu, memory and network are normalised against the best
node (1 = best); total = their weighted mean × load factor, where load factor = 1 − the larger of
slot use and measured CPU load.

Examples:
  $ quantgrid nodes
  $ quantgrid --coordinator 10.0.0.5:7000 nodes --json | jq '.nodes[] | {id, state}'`,
    )
    .action(commandAction(run));
}

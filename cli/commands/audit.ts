import type { Command } from 'commander';
import { LIST_AUDIT_DEFAULT, LIST_AUDIT_MAX } from '../../shared/api-limits.js';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { flagValue, parseIntegerIn } from '../flag-parsers.js';
import { formatTimestamp } from '../render/format.js';
import { renderTable } from '../render/table.js';
import { commandDescription } from '../command-summaries.js';


async function run(context: CommandContext, flags: { user?: string; limit: string }): Promise<number> {
  const limit = flagValue('--limit', flags.limit, parseIntegerIn(1, LIST_AUDIT_MAX));
  const { entries } = await context.connection.listAudit({ user: flags.user ?? '', limit });
  if (context.json) context.printJson({ entries });
  else {
    context.print(renderTable(['time', 'user', 'action', 'target', 'detail'], entries.map((e) => [formatTimestamp(e.timeMs), e.user, e.action, e.target, e.detail])));
  }
  return EXIT.OK;
}

/** `quantgrid audit`: who did what, newest first (admin). */
export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description(commandDescription('audit'))
    .option('--user <user>', 'only what this user did')
    .option('--limit <n>', `most entries, newest first (at most ${LIST_AUDIT_MAX})`, String(LIST_AUDIT_DEFAULT))
    .addHelpText(
      'after',
      `
Kept in Redis for the coordinator's --retention time.

Examples:
  $ quantgrid audit
  $ quantgrid audit --user alice --limit 20`,
    )
    .action(commandAction(run));
}

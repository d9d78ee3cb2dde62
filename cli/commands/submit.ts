import type { Command } from 'commander';
import { UsageError } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import type { AnyCliKind } from '../kinds/cli-kind.js';
import { allCliKinds, kindNamesText } from '../kinds/index.js';
import { addSubmitOptions, newRequestId, submitJob } from '../submit-job.js';
import { commandDescription } from '../command-summaries.js';

/** `quantgrid submit <kind>` of one kind: its flags (cli/kinds/<kind>.ts), then the common ones. */
export function registerSubmitKindCommand(submit: Command, cli: AnyCliKind): Command {
  const command = submit.command(cli.kind.name).aliases([...cli.aliases]).description(cli.kind.description);
  cli.addFlags(command);
  addSubmitOptions(command);
  command.action(
    commandAction(async (context: CommandContext, flags: Record<string, unknown> & { watch?: boolean; requestId?: string }) => {
      const request = cli.buildRequest({ ...flags, requestId: flags.requestId ?? newRequestId() });
      return submitJob(context, request, flags.watch === true);
    }),
  );
  return command;
}

/** `quantgrid submit <kind>`: one subcommand per task kind of the shared registry. */
export function registerSubmitCommand(program: Command): void {
  const kinds = allCliKinds();
  const submit = program
    .command('submit')
    .description(commandDescription('submit'))
    .addHelpText('after', `\nExamples:\n${kinds.map((cli) => `  $ ${cli.example}`).join('\n')}`);
  for (const cli of kinds) registerSubmitKindCommand(submit, cli);
  // Reached only when no kind matched (set last: the kinds do not inherit it).
  submit.allowExcessArguments().action((_options: unknown, command: Command) => {
    const kind = command.args[0];
    const names = kindNamesText();
    throw new UsageError(kind === undefined ? `submit needs a job kind: ${names}` : `unknown job kind '${kind}' (one of: ${names})`);
  });
}

import type { Command } from 'commander';
import { ROLES } from '../../shared/auth/roles.js';
import { parseDurationMs } from '../../shared/config/parsers.js';
import { EXIT, UsageError } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { flagValue } from '../flag-parsers.js';
import { formatTimestamp } from '../render/format.js';
import { renderTable } from '../render/table.js';
import { USER_TOKEN_FILE_HELP, userTokenFile } from '../token-source.js';
import { commandDescription, TOKEN_SUBCOMMANDS } from '../command-summaries.js';


function parseRole(text: string): string {
  if (!(ROLES as readonly string[]).includes(text)) throw new Error(`"${text}" is not a role (one of: ${ROLES.join(', ')})`);
  return text;
}

function parseExpiry(text: string): number {
  const seconds = Math.ceil(parseDurationMs(text) / 1000);
  if (seconds < 1) throw new Error(`"${text}" must be at least 1s`);
  return seconds;
}

async function create(context: CommandContext, flags: { role: string; expires?: string }, [user]: string[]): Promise<number> {
  const role = flagValue('--role', flags.role, parseRole);
  const expiresInSeconds = flags.expires === undefined ? 0 : flagValue('--expires', flags.expires, parseExpiry);
  const response = await context.connection.createToken({ user, role, expiresInSeconds });
  if (context.json) {
    context.printJson(response);
    return EXIT.OK;
  }
  const expires = response.info?.expiresAtMs ? `, expires ${formatTimestamp(response.info.expiresAtMs)}` : '';
  // The token goes to stdout alone on its line (so `> file` captures it); the rest to stderr.
  process.stderr.write(`quantgrid: token for ${user} (${role}${expires}); shown once, the coordinator keeps only its hash:\n`);
  context.print(response.token);
  process.stderr.write(`quantgrid: the user saves it (mode 0600) as ${userTokenFile()}, or passes --token-file or QUANTGRID_TOKEN\n`);
  return EXIT.OK;
}

async function list(context: CommandContext): Promise<number> {
  const { tokens } = await context.connection.listTokens();
  if (context.json) context.printJson({ tokens });
  else {
    context.print(
      renderTable(
        ['user', 'role', 'created', 'expires'],
        tokens.map((token) => [token.user, token.role, formatTimestamp(token.createdAtMs), token.expiresAtMs ? formatTimestamp(token.expiresAtMs) : 'never']),
      ),
    );
  }
  return EXIT.OK;
}

async function revoke(context: CommandContext, _flags: unknown, [user]: string[]): Promise<number> {
  const info = await context.connection.revokeToken(user);
  if (context.json) context.printJson(info);
  else context.print(`revoked the token of ${info.user} (${info.role}); it stops working on every coordinator within a second`);
  return EXIT.OK;
}

async function whoami(context: CommandContext): Promise<number> {
  const principal = await context.connection.whoAmI();
  if (context.json) context.printJson(principal);
  else context.print(`${principal.user} (${principal.role})`);
  return EXIT.OK;
}

/** `quantgrid token …`: API tokens (admin), and who the current one belongs to. */
export function registerTokenCommand(program: Command): void {
  const token = program
    .command('token')
    .description(commandDescription('token'))
    .addHelpText(
      'after',
      `
Every call to the coordinator carries a token; each token belongs to one user and has a role:
  viewer     reads jobs, nodes, datasets and schedules
  submitter  also submits and cancels its own jobs, imports datasets, manages its own schedules
  admin      everything: others' jobs and schedules, tokens, the audit trail
The coordinator stores only a hash of each token. The first admin token is in the coordinator's
--admin-token-file. The CLI sends QUANTGRID_TOKEN, else the file of --token-file, else
${USER_TOKEN_FILE_HELP}.

Examples:
  $ quantgrid token create alice --role submitter --expires 90d > alice.token
  $ quantgrid token ls
  $ quantgrid token revoke alice
  $ quantgrid token whoami`,
    );
  token
    .command('create')
    .description('create a token for a user (admin); prints it once')
    .argument('<user>', 'user name: 1 to 64 of A-Z a-z 0-9 . _ - @')
    .requiredOption('--role <role>', `one of: ${ROLES.join(', ')}`)
    .option('--expires <duration>', 'lifetime, e.g. 12h, 30d, 90d (default: never)')
    .action(commandAction(create));
  token.command('ls').description('list tokens: user, role, created, expires (admin)').action(commandAction(list));
  token.command('revoke').description("revoke a user's token (admin)").argument('<user>', 'user name').action(commandAction(revoke));
  token.command('whoami').description('the user and role of the token this CLI sends').action(commandAction(whoami));
  token.allowExcessArguments().action((_options: unknown, command: Command) => {
    const name = command.args[0];
    throw new UsageError(name === undefined ? `token needs a subcommand: ${TOKEN_SUBCOMMANDS}` : `unknown token subcommand '${name}' (one of: ${TOKEN_SUBCOMMANDS})`);
  });
}

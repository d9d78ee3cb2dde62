import type { Command } from 'commander';
import { writeNewClusterSecretFile } from '../../shared/auth/cluster-secret-file.js';
import { CliError, EXIT } from '../cli-error.js';
import { commandDescription } from '../command-summaries.js';

async function init(file: string): Promise<number> {
  try {
    await writeNewClusterSecretFile(file);
  } catch (error) {
    throw new CliError(`cluster init: ${(error as Error).message}`, EXIT.FAILURE);
  }
  process.stdout.write(`wrote a new cluster secret to ${file} (mode 0600)\n`);
  process.stdout.write(
    [
      'Copy it to every coordinator and node agent machine (e.g. scp, or your secrets manager), keep it',
      'mode 0600 and readable only by the user quantgrid runs as, and start each process with',
      `  --cluster-secret-file ${file}`,
      'An agent without it is listed as unverified and gets no work; a coordinator without it cannot',
      'call the agents. To rotate it, write a new one and restart every process with it.',
      '',
    ].join('\n'),
  );
  return EXIT.OK;
}

/** `quantgrid cluster init`: a new cluster secret (no coordinator needed). */
export function registerClusterCommand(program: Command): void {
  const cluster = program.command('cluster').description(commandDescription('cluster'));
  cluster
    .command('init')
    .description('write a new cluster secret file (mode 0600) shared by coordinators and agents, and say how to distribute it')
    .argument('[file]', 'where to write it', 'cluster.secret')
    .addHelpText(
      'after',
      `
Coordinators and agents prove to each other that they hold this secret: every call to an agent
is signed with an HMAC of it, and every status probe asks the agent to answer a fresh challenge
with it (the secret itself never crosses the network). It refuses to overwrite an existing file.

Examples:
  $ quantgrid cluster init /etc/quantgrid/cluster.secret`,
    )
    .action(async (file: string) => {
      process.exitCode = await init(file);
    });
}

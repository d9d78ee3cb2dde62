/**
 * `npm run cluster`: a quantgrid cluster on this machine that stays up until Ctrl-C (Consul, Redis,
 * the coordinator and node agents), for trying the CLI on your own data. Prints the coordinator's
 * address and the lines to use it; jobs, datasets and schedules persist in Redis under --data-dir.
 * Wiring only: flags in local-cluster/cluster-command-config.ts, the run in local-cluster/cluster-command.ts.
 */
import { CommandLineExit } from '../shared/config/command-line.js';
import { parseClusterCommandConfig, runClusterCommand, terminalOutput, type ClusterCommandConfig } from './local-cluster/index.js';

const out = terminalOutput('cluster');

let config: ClusterCommandConfig;
try {
  config = parseClusterCommandConfig(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof CommandLineExit)) throw error;
  if (error.message) out.warn(error.message);
  process.exit(error.exitCode);
}
void runClusterCommand(config, out);

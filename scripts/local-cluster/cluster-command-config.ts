/** The flags of `npm run cluster` (scripts/cluster.ts), each with an environment variable. */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultFromText, describedDefault, parseCommandLine } from '../../shared/config/command-line.js';
import { DEFAULT_COORDINATOR_PORT } from '../../shared/config/coordinator-port.js';
import { parseIntegerFrom, parseNonEmpty } from '../../shared/config/parsers.js';
import { MAX_SLOTS } from '../../node-agent/agent-config.js';
import type { AgentOptions } from './local-cluster.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ClusterCommandConfig {
  agents: number;
  slots: number;
  /** undefined: DEFAULT_COORDINATOR_PORT (where the CLI looks) when free, else any free port. */
  coordinatorPort: number | undefined;
  /** undefined: any free port. */
  redisPort: number | undefined;
  consulPort: number | undefined;
  /** Absolute. */
  dataDir: string;
}

const parsePort = parseIntegerFrom(1, 65535);
/** Agents are named agent-a … agent-z. */
const MAX_AGENTS = 26;

function parseRedisPort(text: string): number {
  const port = parsePort(text);
  if (port === 6379) throw new InvalidArgumentError("6379 belongs to the machine's own Redis; pick another port, or leave the default (a free one)");
  return port;
}

export const CLUSTER_OPTIONS: readonly Option[] = [
  defaultFromText(new Option('--agents <n>', 'node agents to start').env('QUANTGRID_CLUSTER_AGENTS').argParser(parseIntegerFrom(1, MAX_AGENTS)), '2'),
  defaultFromText(new Option('--slots <n>', 'worker threads of each agent (partitions it runs at once)').env('QUANTGRID_CLUSTER_SLOTS').argParser(parseIntegerFrom(1, MAX_SLOTS)), '1'),
  describedDefault(
    new Option('--port <port>', "port of the coordinator's gRPC API on 127.0.0.1").env('QUANTGRID_CLUSTER_PORT').argParser(parsePort),
    `${DEFAULT_COORDINATOR_PORT} when free (the CLI's default), else any free port`,
  ),
  describedDefault(
    new Option('--redis-port <port>', 'port of the Redis server holding jobs, datasets and schedules').env('QUANTGRID_CLUSTER_REDIS_PORT').argParser(parseRedisPort),
    'any free port',
  ),
  describedDefault(
    new Option('--consul-port <port>', 'HTTP port of the Consul dev agent the agents register with').env('QUANTGRID_CLUSTER_CONSUL_PORT').argParser(parsePort),
    'any free port',
  ),
  new Option('--data-dir <dir>', "where Redis's data (append-only file), the logs, the agents' dataset caches and secrets/ (the cluster secret and the admin token) live; kept across runs")
    .env('QUANTGRID_CLUSTER_DATA_DIR')
    .argParser((text) => resolve(parseNonEmpty(text)))
    .default(join(REPO_ROOT, '.quantgrid'), '.quantgrid/ in the repository'),
];

const HELP_AFTER = `
Starts Consul (a dev agent: its data is thrown away), Redis, one coordinator and the agents on this
machine, all on 127.0.0.1, and keeps them running until Ctrl-C (or SIGTERM): then the agents drain and
leave Consul, and everything stops. Once ready it prints the coordinator's address and the line to
point the quantgrid CLI at it. Jobs, results, datasets and schedules are kept in Redis under
--data-dir, so they are there again after the next start.

Examples:
  $ npm run cluster
  $ npm run cluster -- --agents 3 --slots 2 --port 7100
  $ node dist/scripts/cluster.js --data-dir /tmp/qg`;

/** Parses argv (without node and the script); throws CommandLineExit (code 2 for bad flags, 0 after --help). */
export function parseClusterCommandConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ClusterCommandConfig {
  const program = new Command('npm run cluster --')
    .description('A quantgrid cluster on this machine that stays up until Ctrl-C, for trying the CLI on your own data.')
    .helpOption('-h, --help', 'show this help and exit')
    .allowExcessArguments(false)
    .configureOutput({ writeErr: () => undefined })
    .addHelpText('after', HELP_AFTER);
  for (const option of CLUSTER_OPTIONS) program.addOption(option);
  parseCommandLine(program, argv, env);
  const values = program.opts<{ agents: number; slots: number; port: number | null; redisPort: number | null; consulPort: number | null; dataDir: string }>();
  return {
    agents: values.agents,
    slots: values.slots,
    coordinatorPort: values.port ?? undefined,
    redisPort: values.redisPort ?? undefined,
    consulPort: values.consulPort ?? undefined,
    dataDir: values.dataDir,
  };
}

/** The agents to start: agent-a, agent-b, …, each with its own dataset cache under the data dir. */
export function clusterAgents(config: ClusterCommandConfig): AgentOptions[] {
  return Array.from({ length: config.agents }, (_, index) => {
    const nodeId = `agent-${String.fromCharCode(97 + index)}`;
    return { nodeId, slots: config.slots, extraArgs: ['--dataset-cache-dir', join(config.dataDir, 'dataset-cache', nodeId)] };
  });
}

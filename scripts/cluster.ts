/**
 * `npm run cluster`: a quantgrid cluster on this machine that stays up until Ctrl-C (Consul, Redis,
 * the coordinator and node agents), for trying the CLI on your own data. Prints the coordinator's
 * address and the lines to use it; jobs, datasets and schedules persist in Redis under --data-dir.
 * Wiring only: flags in local-cluster/cluster-command-config.ts, start and stop in
 * local-cluster/cluster-session.ts, the processes in local-cluster/local-cluster.ts.
 */
import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CommandLineExit } from '../shared/config/command-line.js';
import {
  addShutdownHook,
  clusterAgents,
  isPortFree,
  lockDataDir,
  parseClusterCommandConfig,
  PREFERRED_COORDINATOR_PORT,
  startClusterSession,
  stopClusterSession,
  terminalOutput,
  waitForReadyAgents,
  type ClusterCommandConfig,
  type LocalCluster,
} from './local-cluster/index.js';

const out = terminalOutput('cluster');

let cluster: LocalCluster | undefined;
let unlock: (() => Promise<void>) | undefined;
let stopping: Promise<boolean> | undefined;

/** Stops the cluster in order and releases the data dir; resolves false when it did not stop cleanly. */
function stop(): Promise<boolean> {
  stopping ??= (async () => {
    let clean = true;
    if (cluster) {
      clean = await stopClusterSession(cluster, out);
      out.say(out.dim('cluster stopped'));
    }
    await unlock?.();
    return clean;
  })();
  return stopping;
}

/** A path as the person typing in the repository would write it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

async function run(config: ClusterCommandConfig): Promise<void> {
  const logDir = join(config.dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  unlock = await lockDataDir(config.dataDir);
  // Ctrl-C / SIGTERM: stop in order; the process registry then exits 130 / 143.
  addShutdownHook(async () => void (await stop()));

  out.say(out.bold(`quantgrid cluster: ${config.agents} agent(s) × ${config.slots} slot(s), data in ${shown(config.dataDir)}/`));
  out.say(out.dim(`logs of every process go to ${shown(logDir)}/`));
  const startedAt = Date.now();
  const coordinatorPort = config.coordinatorPort ?? ((await isPortFree(PREFERRED_COORDINATOR_PORT)) ? PREFERRED_COORDINATOR_PORT : 0);
  cluster = await startClusterSession(
    {
      agents: clusterAgents(config),
      coordinatorPort,
      redis: { dir: join(config.dataDir, 'redis'), port: config.redisPort, appendOnly: true, appendFsync: 'everysec' },
      consulHttpPort: config.consulPort,
      logDir,
    },
    out,
  );
  await waitForReadyAgents(cluster, out, startedAt);

  const address = cluster.coordinator.address;
  out.say('');
  out.say(out.bold('Ready. In another terminal, in this repository:'));
  out.say(`  export QUANTGRID_COORDINATOR=${address}`);
  out.say('  node dist/cli/main.js nodes');
  out.say('  node dist/cli/main.js submit backtest --symbols BTCUSDT --timeframe 1h --bars 20000 --fast 5:50:5 --slow 20:200:10 --watch');
  out.say(out.dim('(or: npm run cli -- nodes, with the same export). Ctrl-C here stops the cluster; its jobs, datasets and schedules stay in Redis.'));

  // A part that dies on its own takes the cluster down: a half cluster only confuses.
  for (const part of [cluster.coordinator.process, cluster.redis.process, cluster.consul.process]) {
    void part.exited.then(async (status) => {
      if (stopping) return;
      out.warn(`${part.name} exited on its own (code ${status.code}, signal ${status.signal}); see ${shown(logDir)}/${part.name}.log`);
      await stop();
      process.exit(1);
    });
  }
}

let config: ClusterCommandConfig;
try {
  config = parseClusterCommandConfig(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof CommandLineExit)) throw error;
  if (error.message) out.warn(error.message);
  process.exit(error.exitCode);
}
run(config).catch(async (error: Error) => {
  if (stopping) return; // a signal arrived during start-up: the shutdown hook reports and exits
  out.warn(error.message);
  await stop().catch(() => undefined);
  process.exit(1);
});

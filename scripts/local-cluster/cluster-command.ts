/**
 * `npm run cluster`'s life: lock the data dir, start the cluster (Redis keeping its data there), print
 * the coordinator's address and the lines to use it, and stay up until Ctrl-C / SIGTERM, or until a
 * part dies on its own; then stop in order (see cluster-session.ts) and release the data dir.
 */
import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DEFAULT_COORDINATOR_PORT } from '../../shared/config/coordinator-port.js';
import { clusterAgents, type ClusterCommandConfig } from './cluster-command-config.js';
import { startClusterSession, stopClusterSession, waitForReadyAgents } from './cluster-session.js';
import { lockDataDir } from './data-dir-lock.js';
import { isPortFree } from './free-port.js';
import type { LocalCluster } from './local-cluster.js';
import { addShutdownHook } from './managed-process.js';
import type { TerminalOutput } from './terminal-output.js';

/** A path as the person typing in the repository would write it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/** The lines that point the CLI at the cluster. */
function printUsage(address: string, adminTokenFile: string, httpUrl: string, out: TerminalOutput): void {
  out.say('');
  out.say(out.bold('Ready. In another terminal:'));
  out.say(`  export QUANTGRID_COORDINATOR=${address}`);
  out.say(`  export QUANTGRID_TOKEN_FILE=${adminTokenFile}`);
  out.say('  quantgrid nodes');
  out.say('  quantgrid submit backtest --symbols BTCUSDT --watch');
  if (httpUrl) out.say(`  dashboard: ${httpUrl} (log in with the token in ${adminTokenFile})`);
  out.say(out.dim("(quantgrid is on your PATH after npm link; without it, in this repository: npm run cli -- nodes, or node dist/bin/quantgrid.js nodes)"));
  out.say(out.dim('Ctrl-C here stops the cluster; its jobs, datasets and schedules stay in Redis.'));
}

/**
 * Runs the cluster until a signal (the process registry then exits 130 / 143) or a failure (exit 1,
 * after stopping whatever started). Never resolves.
 */
export async function runClusterCommand(config: ClusterCommandConfig, out: TerminalOutput): Promise<never> {
  const logDir = join(config.dataDir, 'logs');
  let cluster: LocalCluster | undefined;
  let unlock: (() => Promise<void>) | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (cluster) {
        await stopClusterSession(cluster, out);
        out.say(out.dim('cluster stopped'));
      }
      await unlock?.();
    })();
    return stopping;
  };
  const fail = async (message: string): Promise<never> => {
    out.warn(message);
    await stop().catch(() => undefined);
    process.exit(1);
  };

  try {
    await mkdir(logDir, { recursive: true });
    unlock = await lockDataDir(config.dataDir);
    addShutdownHook(stop);

    out.say(out.bold(`quantgrid cluster: ${config.agents} agent(s) × ${config.slots} slot(s), data in ${shown(config.dataDir)}/`));
    out.say(out.dim(`logs of every process go to ${shown(logDir)}/`));
    const startedAt = Date.now();
    const coordinatorPort = config.coordinatorPort ?? ((await isPortFree(DEFAULT_COORDINATOR_PORT)) ? DEFAULT_COORDINATOR_PORT : 0);
    cluster = await startClusterSession(
      {
        agents: clusterAgents(config),
        coordinatorPort,
        redis: { dir: join(config.dataDir, 'redis'), port: config.redisPort, appendOnly: true, appendFsync: 'everysec' },
        consulHttpPort: config.consulPort,
        logDir,
        // The cluster secret and the admin token are kept with the data: the token still works next time.
        secretsDir: join(config.dataDir, 'secrets'),
      },
      out,
    );
    await waitForReadyAgents(cluster, out, startedAt);
  } catch (error) {
    // A signal during start-up: the shutdown hook reports and exits.
    if (stopping) return new Promise<never>(() => undefined);
    return fail((error as Error).message);
  }
  printUsage(cluster.coordinator.address, cluster.coordinator.adminTokenFile, cluster.coordinator.httpUrl, out);

  // A part that dies on its own takes the cluster down: a half cluster only confuses.
  const parts = [cluster.coordinator.process, cluster.redis.process, cluster.consul.process];
  return Promise.race(parts.map((part) => part.exited.then((status) => ({ part, status })))).then(({ part, status }) => {
    if (stopping) return new Promise<never>(() => undefined);
    return fail(`${part.name} exited on its own (code ${status.code}, signal ${status.signal}); see ${shown(logDir)}/${part.name}.log`);
  });
}

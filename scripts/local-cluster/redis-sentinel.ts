/**
 * A Redis Sentinel on a free loopback port in its own temp dir (its config file lives there: a
 * sentinel rewrites it as it learns replicas, peers and failovers), a managed child process.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnManaged, type ManagedProcess } from './managed-process.js';
import { redisPing } from './redis-server.js';

export interface RedisSentinelOptions {
  /** The name the master is monitored under (`sentinel monitor NAME …`). */
  masterName: string;
  /** The master's port on 127.0.0.1. */
  masterPort: number;
  /** Sentinels that must agree the master is down before a failover. */
  quorum: number;
  /** Silence after which this sentinel thinks the master is down; default 1 s. */
  downAfterMs?: number;
  /** Default 3 s. */
  failoverTimeoutMs?: number;
  /** The master's (and replicas') password, which the sentinel uses to reach them. */
  masterPassword?: string;
  /** The sentinel's own password (requirepass; also what it sends to its peers). */
  password?: string;
  /** More sentinel.conf lines (e.g. `tls-port …`); readiness is still asked on the plain port. */
  extraConfig?: string[];
  /** Where its output goes; default <dir>/sentinel.log. */
  logFile?: string;
  /** The binary; default `redis-sentinel` on PATH (QUANTGRID_REDIS_SENTINEL_BIN). */
  binary?: string;
  /** How long to wait for PING to answer; default 20 s. */
  startTimeoutMs?: number;
}

export interface RedisSentinel {
  readonly port: number;
  readonly dir: string;
  readonly process: ManagedProcess;
  /** Stops it (SIGTERM, then SIGKILL) and removes its dir. Idempotent. */
  stop(): Promise<void>;
}

function sentinelConfig(port: number, dir: string, options: RedisSentinelOptions): string {
  const name = options.masterName;
  const lines = [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir "${dir}"`,
    'daemonize no',
    'logfile ""',
    `sentinel monitor ${name} 127.0.0.1 ${options.masterPort} ${options.quorum}`,
    `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
    `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3000}`,
    `sentinel parallel-syncs ${name} 1`,
    ...(options.masterPassword ? [`sentinel auth-pass ${name} "${options.masterPassword}"`] : []),
    ...(options.password ? [`requirepass "${options.password}"`, `sentinel sentinel-pass "${options.password}"`] : []),
    ...(options.extraConfig ?? []),
  ];
  return `${lines.join('\n')}\n`;
}

export async function startRedisSentinel(options: RedisSentinelOptions): Promise<RedisSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'quantgrid-sentinel-'));
  const port = await freePort();
  const configFile = join(dir, 'sentinel.conf');
  await writeFile(configFile, sentinelConfig(port, dir, options), { mode: 0o600 });
  const binary = options.binary ?? process.env.QUANTGRID_REDIS_SENTINEL_BIN ?? 'redis-sentinel';
  const child = spawnManaged(`sentinel-${port}`, binary, [configFile], { logFile: options.logFile ?? join(dir, 'sentinel.log') });
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  try {
    for (;;) {
      if (!child.running) throw new Error(`redis-sentinel on port ${port} exited before answering PING; last output:\n${child.outputTail(30)}`);
      if (await redisPing(port)) break;
      if (Date.now() > deadline) throw new Error(`redis-sentinel on port ${port} did not answer PING; last output:\n${child.outputTail(30)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await child.stop(5000);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    port,
    dir,
    process: child,
    stop() {
      stopped ??= (async () => {
        await child.stop(10_000);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnManaged, type ManagedProcess } from './managed-process.js';

export interface RedisServerOptions {
  /** Working dir (AOF files live here). Default: a new temp dir, removed on stop. */
  dir?: string;
  /** Turn the append-only file on (for durability tests); default off. */
  appendOnly?: boolean;
  /** appendfsync policy when appendOnly; default everysec (acknowledged writes survive a SIGKILL of redis). */
  appendFsync?: 'always' | 'everysec' | 'no';
  /** Fixed port; default a free one. Never use 6379 (the machine's own Redis). */
  port?: number;
  /** Where redis's output goes; default <dir>/redis.log. */
  logFile?: string;
  /** How long to wait for PING to answer; default 20 s (QUANTGRID_REDIS_START_TIMEOUT_MS). */
  startTimeoutMs?: number;
  /** The redis-server binary; default `redis-server` on PATH (QUANTGRID_REDIS_BIN). */
  binary?: string;
  /** More `--name value` arguments passed to redis-server. */
  extraArgs?: string[];
  /** Require this password (requirepass); readiness is then an answer of NOAUTH to PING. */
  password?: string;
}

export interface RedisServer {
  /** e.g. redis://127.0.0.1:41235 */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The current redis-server process (a new one after restart()). */
  readonly process: ManagedProcess;
  /** Stops redis (SIGTERM, then SIGKILL) and removes its temp dir if this module made it. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops redis and starts it again on the same port and dir (the data survives when appendOnly).
   * hard: SIGKILL instead of a clean shutdown, to simulate a crash.
   */
  restart(options?: { hard?: boolean }): Promise<void>;
}

const ATTEMPTS = 3;

/** Sends one inline PING; resolves true when the server answers (+PONG, or -NOAUTH from one that wants a password). */
export function redisPing(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    let settled = false;
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG') || answer.startsWith('-NOAUTH'));
    });
    socket.once('close', () => done(false));
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (options.port === 6379) throw new Error('startRedisServer: port 6379 belongs to the machine\'s own Redis');
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'quantgrid-redis-')));
  await mkdir(dir, { recursive: true });
  const binary = options.binary ?? process.env.QUANTGRID_REDIS_BIN ?? 'redis-server';
  const timeoutMs = options.startTimeoutMs ?? Number(process.env.QUANTGRID_REDIS_START_TIMEOUT_MS ?? 20_000);
  const logFile = options.logFile ?? join(dir, 'redis.log');

  const launch = async (port: number): Promise<ManagedProcess> => {
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--save', '',
      '--appendonly', options.appendOnly ? 'yes' : 'no',
      ...(options.appendOnly ? ['--appendfsync', options.appendFsync ?? 'everysec'] : []),
      '--daemonize', 'no',
      '--logfile', '',
      ...(options.password ? ['--requirepass', options.password] : []),
      ...(options.extraArgs ?? []),
    ];
    const child = spawnManaged('redis', binary, args, { logFile });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!child.running) {
        const status = child.exitStatus!;
        throw Object.assign(
          new Error(
            `redis-server on port ${port} exited (code ${status.code}, signal ${status.signal}) before answering PING; last output:\n${child.outputTail(30)}`,
          ),
          { addressInUse: /address already in use/i.test(child.outputTail(200)) },
        );
      }
      if (await redisPing(port)) return child;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await child.stop(5000);
    throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms; last output:\n${child.outputTail(30)}`);
  };

  let port = options.port ?? 0;
  let current: ManagedProcess | undefined;
  try {
    for (let attempt = 1; attempt <= ATTEMPTS && !current; attempt++) {
      if (options.port === undefined) port = await freePort();
      try {
        current = await launch(port);
      } catch (error) {
        const retry = (error as { addressInUse?: boolean }).addressInUse && options.port === undefined && attempt < ATTEMPTS;
        if (!retry) throw error;
      }
    }
  } catch (error) {
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let proc = current!;
  let stopped: Promise<void> | undefined;

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get process() {
      return proc;
    },
    stop() {
      stopped ??= (async () => {
        await proc.stop(10_000);
        if (ownsDir) await rm(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
    async restart(restartOptions = {}) {
      if (stopped) throw new Error('redis server was stopped; it cannot be restarted');
      if (restartOptions.hard) {
        proc.kill('SIGKILL');
        await proc.exited;
      } else {
        await proc.stop(10_000);
      }
      proc = await launch(port);
    },
  };
}

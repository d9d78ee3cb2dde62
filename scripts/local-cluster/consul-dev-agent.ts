import { randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnManaged, type ManagedProcess } from './managed-process.js';

export interface ConsulDevAgentOptions {
  /** Folder for the agent's data (and log, unless logFile is given). Default: a new temp dir, removed on stop. */
  dir?: string;
  /** Where the agent's output goes; default <dir>/consul.log. */
  logFile?: string;
  /** How long to wait for a leader; default 30 s (QUANTGRID_CONSUL_START_TIMEOUT_MS). */
  startTimeoutMs?: number;
  /** The consul binary; default `consul` on PATH (QUANTGRID_CONSUL_BIN). */
  binary?: string;
  /** Fixed HTTP API port; default a free one. The agent's other ports are always free ones. */
  httpPort?: number;
  /**
   * ACLs enabled with default deny and a generated management token (managementToken), written to
   * a config file in dir (mode 0600), never on the command line. Default false (no ACLs).
   */
  acl?: boolean;
}

export interface ConsulDevAgent {
  /** e.g. http://127.0.0.1:41234 */
  readonly httpAddress: string;
  readonly httpPort: number;
  readonly dir: string;
  readonly process: ManagedProcess;
  /** With acl: the management token (global-management policy, for setting up policies and tokens); else undefined. */
  readonly managementToken: string | undefined;
  /** Stops the agent (SIGTERM, then SIGKILL) and removes its temp dir if this module made it. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the agent and starts a fresh one on the same ports after `downMs` (a dev agent keeps
   * nothing: services must register again). `process` is the new one afterwards.
   */
  restart(options?: { downMs?: number }): Promise<void>;
}

const ATTEMPTS = 3;

async function getText(url: string, token: string | undefined): Promise<string | undefined> {
  try {
    const response = await fetch(url, { headers: token ? { 'X-Consul-Token': token } : {}, signal: AbortSignal.timeout(2000) });
    if (!response.ok) return undefined;
    return await response.text();
  } catch {
    return undefined;
  }
}

/** True once the agent has a raft leader and its own node is in the catalog (read with token under ACLs). */
async function consulReady(httpAddress: string, token: string | undefined): Promise<boolean> {
  const leader = await getText(`${httpAddress}/v1/status/leader`, undefined);
  if (!leader) return false;
  try {
    if (!JSON.parse(leader)) return false;
    const nodes = await getText(`${httpAddress}/v1/catalog/nodes`, token);
    return nodes !== undefined && Array.isArray(JSON.parse(nodes)) && JSON.parse(nodes).length > 0;
  } catch {
    return false;
  }
}

async function waitUntilReady(process: ManagedProcess, httpAddress: string, timeoutMs: number, token: string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!process.running) {
      const status = process.exitStatus!;
      throw new Error(
        `consul dev agent exited (code ${status.code}, signal ${status.signal}) before electing a leader; last output:\n${process.outputTail(30)}`,
      );
    }
    if (await consulReady(httpAddress, token)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `consul dev agent at ${httpAddress} had no leader after ${timeoutMs} ms; last output:\n${process.outputTail(30)}`,
  );
}

/**
 * Consul 1.8 ACL settings: default deny, the cache kept when the leader is unreachable, and token as
 * both the management token (tokens.master; `initial_management` only from 1.11) and the token the
 * Consul agent itself uses to keep its node in the catalog (tokens.agent).
 */
function aclConfig(token: string): string {
  return [
    'acl {',
    '  enabled = true',
    '  default_policy = "deny"',
    '  down_policy = "extend-cache"',
    '  tokens {',
    `    master = "${token}"`,
    `    agent = "${token}"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Starts `consul agent -dev` on free loopback ports (the HTTP one may be fixed); resolves once it has a leader. */
export async function startConsulDevAgent(options: ConsulDevAgentOptions = {}): Promise<ConsulDevAgent> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'quantgrid-consul-')));
  const binary = options.binary ?? process.env.QUANTGRID_CONSUL_BIN ?? 'consul';
  const timeoutMs = options.startTimeoutMs ?? Number(process.env.QUANTGRID_CONSUL_START_TIMEOUT_MS ?? 30_000);
  const logFile = options.logFile ?? join(dir, 'consul.log');
  const dataDir = join(dir, 'data');
  const managementToken = options.acl ? randomUUID() : undefined;
  const configArgs: string[] = [];

  let lastError: Error | undefined;
  try {
    if (managementToken) {
      const configFile = join(dir, 'acl.hcl');
      await mkdir(dir, { recursive: true });
      await writeFile(configFile, aclConfig(managementToken), { mode: 0o600 });
      configArgs.push('-config-file', configFile);
    }
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { recursive: true });
      const httpPort = options.httpPort ?? (await freePort());
      const serfLanPort = await freePort({ udp: true });
      const serfWanPort = await freePort({ udp: true });
      const serverPort = await freePort();
      const httpAddress = `http://127.0.0.1:${httpPort}`;
      const args = [
        'agent',
        '-dev',
        '-bind', '127.0.0.1',
        '-client', '127.0.0.1',
        '-node', `quantgrid-dev-${httpPort}`,
        '-http-port', String(httpPort),
        '-dns-port', '-1',
        '-grpc-port', '-1',
        '-serf-lan-port', String(serfLanPort),
        '-serf-wan-port', String(serfWanPort),
        '-server-port', String(serverPort),
        '-data-dir', dataDir,
        '-log-level', 'warn',
        // No phoning home: this machine reaches nothing but loopback.
        '-hcl', 'disable_update_check = true',
        // Every agent of a local cluster is on 127.0.0.1: Consul's default of 200 HTTP connections per
        // client address would refuse the scale simulator's thousand nodes.
        '-hcl', 'limits { http_max_conns_per_client = 5000 }',
        ...configArgs,
      ];
      const child = spawnManaged('consul', binary, args, { logFile, env: { CHECKPOINT_DISABLE: '1' } });
      try {
        await waitUntilReady(child, httpAddress, timeoutMs, managementToken);
      } catch (error) {
        await child.stop(5000);
        lastError = error as Error;
        // Another process may have taken one of the ports between probe and bind: try new ones.
        if (/address already in use/i.test(child.outputTail(200)) && attempt < ATTEMPTS && options.httpPort === undefined) continue;
        throw lastError;
      }

      let stopped: Promise<void> | undefined;
      let current = child;
      return {
        httpAddress,
        httpPort,
        dir,
        managementToken,
        get process() {
          return current;
        },
        stop() {
          stopped ??= (async () => {
            await current.stop(10_000);
            if (ownsDir) await rm(dir, { recursive: true, force: true });
          })();
          return stopped;
        },
        async restart(restartOptions = {}) {
          if (stopped) throw new Error('consul dev agent is stopped');
          await current.stop(10_000);
          await new Promise((resolve) => setTimeout(resolve, restartOptions.downMs ?? 0));
          await rm(dataDir, { recursive: true, force: true });
          await mkdir(dataDir, { recursive: true });
          current = spawnManaged('consul', binary, args, { logFile, env: { CHECKPOINT_DISABLE: '1' } });
          await waitUntilReady(current, httpAddress, timeoutMs, managementToken);
        },
      };
    }
    throw lastError ?? new Error('consul dev agent did not start');
  } catch (error) {
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A whole quantgrid cluster on this machine: a Consul dev agent and a Redis server on free loopback
 * ports in temp dirs, the coordinator, and any number of node agents, each a managed child process
 * (see managed-process.ts: nothing outlives the process that started the cluster).
 */
import { access, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readClusterSecretFile, writeNewClusterSecretFile } from '../../shared/auth/cluster-secret-file.js';
import { bearerTokenInterceptor } from '../../shared/grpc/bearer-token-interceptor.js';
import { createCoordinatorClient } from '../../shared/grpc/clients.js';
import type { NodeInfo__Output } from '../../shared/generated/quantgrid/v1/NodeInfo.js';
import { createQuantgridConsulTokens, writeTokenFile } from './consul-acl-tokens.js';
import { startConsulDevAgent, type ConsulDevAgent } from './consul-dev-agent.js';
import { COORDINATOR_NODE_FLAGS } from '../../coordinator/config/node-flags.js';
import { spawnManaged, type ExitStatus, type ManagedProcess } from './managed-process.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

export interface AgentOptions {
  slots: number;
  /** Default agent-a, agent-b, … in start order. */
  nodeId?: string;
  capabilities?: string[];
  /** More flags passed to the agent untouched. */
  extraArgs?: string[];
  /** More environment variables for this agent. */
  env?: NodeJS.ProcessEnv;
  /** With consulAcl: start this agent without --consul-token-file (Consul refuses its registration). */
  withoutConsulToken?: boolean;
}

export interface LocalClusterOptions {
  agents: AgentOptions[];
  /** More flags passed to the coordinator untouched. */
  coordinatorArgs?: string[];
  /** More environment variables for the coordinator. */
  coordinatorEnv?: NodeJS.ProcessEnv;
  /**
   * Where every process's log goes (kept after stop). Default: $QUANTGRID_CLUSTER_LOG_DIR/<cluster> when
   * that is set, else the cluster's temp dir (removed on stop).
   */
  logDir?: string;
  redis?: {
    appendOnly?: boolean;
    appendFsync?: 'always' | 'everysec' | 'no';
    /** Redis's working dir, kept after stop (its data survives with appendOnly); default a temp dir, removed on stop. */
    dir?: string;
    /** Fixed port (never 6379); default a free one. */
    port?: number;
  };
  /** Fixed HTTP port of the Consul dev agent; default a free one. */
  consulHttpPort?: number;
  /**
   * Consul with ACLs (default deny): an agent token and a read-only coordinator token are created,
   * written to files (mode 0600) and passed with --consul-token-file. Default false.
   */
  consulAcl?: boolean;
  /** Port of the coordinator's gRPC API on 127.0.0.1; default 0 (any free port). */
  coordinatorPort?: number;
  /** How long to wait for each ready line; default 30 s (QUANTGRID_START_TIMEOUT_MS). */
  startTimeoutMs?: number;
  /** How long a process gets after SIGTERM before SIGKILL; default 20 s (QUANTGRID_STOP_TIMEOUT_MS). */
  stopTimeoutMs?: number;
  /** Compiled entry points; default dist/coordinator/main.js and dist/node-agent/main.js. */
  coordinatorEntry?: string;
  agentEntry?: string;
  /** The coordinator's Node flags; default COORDINATOR_NODE_FLAGS (coordinator/config/node-flags.ts). For A/B benchmarks. */
  coordinatorNodeFlags?: readonly string[];
  /**
   * 'secure' (the default, as in production): a cluster secret shared by the coordinators and agents,
   * and an admin token the coordinator creates; 'none': every process with --no-auth (loopback only).
   */
  auth?: 'secure' | 'none';
  /** Where the cluster secret and the admin token file live (kept when given); default the cluster's temp dir. */
  secretsDir?: string;
}

export interface ClusterAgent {
  readonly nodeId: string;
  /** HOST:PORT from the agent's ready line. */
  readonly address: string;
  readonly process: ManagedProcess;
  readonly logFile: string;
  /** URL of its Prometheus endpoint, from its ready line ('' when off). */
  readonly metricsUrl: string;
}

export interface ClusterCoordinator {
  /** HOST:PORT from the coordinator's ready line. */
  readonly address: string;
  /** URL of its Prometheus endpoint, from its ready line ('' when off). */
  readonly metricsUrl: string;
  /** URL of its dashboard (http://127.0.0.1:PORT/), from its ready line ('' when off). */
  readonly httpUrl: string;
  readonly process: ManagedProcess;
  readonly logFile: string;
  /** The bootstrap admin token ('' with auth 'none'). */
  readonly adminToken: string;
  /** The file holding it (the coordinator's --admin-token-file); '' with auth 'none'. */
  readonly adminTokenFile: string;
}

export interface LocalCluster {
  readonly consul: ConsulDevAgent;
  readonly redis: RedisServer;
  readonly coordinator: ClusterCoordinator;
  /** The agents still running, in start order. */
  readonly agents: ClusterAgent[];
  readonly logDir: string;
  /** The cluster secret every process of the cluster was given ('' with auth 'none'). */
  readonly clusterSecretFile: string;
  /** That secret, for a test or benchmark that calls agents (or fetches datasets) as a node of the cluster does. */
  clusterSecret(): Promise<Uint8Array | undefined>;
  /** With consulAcl: the token files handed to the agents and to the coordinator. */
  readonly consulTokenFiles: { agent: string; coordinator: string } | undefined;
  /** Looks a running agent up by node id. */
  agent(nodeId: string): ClusterAgent | undefined;
  /** Starts one more agent and waits for its ready line. */
  addAgent(options: AgentOptions): Promise<ClusterAgent>;
  /**
   * Starts another coordinator on the same Redis and Consul (a second one for availability, or a
   * replacement after the first was killed); args default to the first one's extra flags.
   */
  addCoordinator(args?: readonly string[]): Promise<ClusterCoordinator>;
  /** Graceful stop (SIGTERM: the agent drains and deregisters), SIGKILL after the stop timeout. */
  stopAgent(nodeId: string): Promise<ExitStatus>;
  /**
   * Sends signal to the agent's process group. For SIGKILL (the default, a crash) it waits until the
   * agent is gone; any other signal (SIGSTOP to simulate a hang, SIGCONT) returns at once.
   */
  killAgent(nodeId: string, signal?: NodeJS.Signals): Promise<void>;
  /**
   * Polls the coordinator's ListNodes until every one of nodeIds (default: the running agents) is
   * listed and accepted by accept (default: any state); resolves with the coordinator's node list.
   */
  waitForNodes(options?: WaitForNodesOptions): Promise<NodeInfo__Output[]>;
  /** Agents, then the coordinator, then Redis and Consul; removes the temp dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface WaitForNodesOptions {
  nodeIds?: string[];
  /** Default 30 s. */
  timeoutMs?: number;
  accept?: (node: NodeInfo__Output) => boolean;
}

export type { NodeInfo__Output as CoordinatorNodeInfo };

/** One ListNodes call against the coordinator at address (plaintext, as the local cluster runs), with its token. */
export function listCoordinatorNodes(address: string, timeoutMs = 5000, token = ''): Promise<NodeInfo__Output[]> {
  const client = createCoordinatorClient(address, {}, token ? { interceptors: [bearerTokenInterceptor(token)] } : {});
  return new Promise<NodeInfo__Output[]>((resolve, reject) => {
    client.listNodes({}, { deadline: Date.now() + timeoutMs }, (error, response) => {
      if (error) reject(error);
      else resolve(response?.nodes ?? []);
    });
  }).finally(() => client.close());
}

export const COORDINATOR_READY = /quantgrid-coordinator ready address=(\S+)(?: metrics=(\S+))?(?: http=(\S+))?/;
export const AGENT_READY = /quantgrid-agent ready node=(\S+) address=(\S+)(?: metrics=(\S+))?/;
/** Every process of a local cluster serves /metrics on a free loopback port (a fixed default would clash between processes). */
const METRICS_ARGS = ['--metrics-listen', '127.0.0.1:0'];
/** …and its dashboard too, unless the caller's args pick an address (the last --http-listen wins). */
const HTTP_ARGS = ['--http-listen', '127.0.0.1:0'];

export const DEFAULT_COORDINATOR_ENTRY = fileURLToPath(new URL('../../coordinator/main.js', import.meta.url));
export const DEFAULT_AGENT_ENTRY = fileURLToPath(new URL('../../node-agent/main.js', import.meta.url));

function envMs(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

async function requireEntry(path: string, what: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new Error(`${what} entry point not found at ${path}: build with 'bash scripts/build.sh' first`);
  }
}

function defaultNodeId(index: number): string {
  return index < 26 ? `agent-${String.fromCharCode(97 + index)}` : `agent-${index + 1}`;
}

/** Starts Consul, Redis, the coordinator and the agents; on any failure stops what it started and throws. */
/** A cluster secret at `file`, written when there is none yet (a kept secrets dir reuses its own). */
async function ensureClusterSecret(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    await mkdir(dirname(file), { recursive: true });
    await writeNewClusterSecretFile(file);
  }
}

/** The admin token the coordinator wrote ('' when it wrote none: a stand-in coordinator in tests). */
async function readAdminToken(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return '';
  }
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const coordinatorEntry = options.coordinatorEntry ?? DEFAULT_COORDINATOR_ENTRY;
  const agentEntry = options.agentEntry ?? DEFAULT_AGENT_ENTRY;
  await requireEntry(coordinatorEntry, 'coordinator');
  if (options.agents.length > 0) await requireEntry(agentEntry, 'node agent');

  const startTimeoutMs = options.startTimeoutMs ?? envMs('QUANTGRID_START_TIMEOUT_MS', 30_000);
  const stopTimeoutMs = options.stopTimeoutMs ?? envMs('QUANTGRID_STOP_TIMEOUT_MS', 20_000);

  const root = await mkdtemp(join(tmpdir(), 'quantgrid-cluster-'));
  const secure = (options.auth ?? 'secure') === 'secure';
  const secretsDir = options.secretsDir ?? root;
  const clusterSecretFile = secure ? join(secretsDir, 'cluster.secret') : '';
  const adminTokenFile = secure ? join(secretsDir, 'admin.token') : '';
  if (secure) await ensureClusterSecret(clusterSecretFile);
  const coordinatorAuthArgs = secure ? ['--cluster-secret-file', clusterSecretFile, '--admin-token-file', adminTokenFile] : ['--no-auth'];
  const agentAuthArgs = secure ? ['--cluster-secret-file', clusterSecretFile] : ['--no-auth'];
  let logDir = options.logDir;
  if (!logDir && process.env.QUANTGRID_CLUSTER_LOG_DIR) {
    logDir = join(process.env.QUANTGRID_CLUSTER_LOG_DIR, root.split(/[\\/]/).pop()!);
  }
  logDir ??= join(root, 'logs');
  await mkdir(logDir, { recursive: true });

  let consul: ConsulDevAgent | undefined;
  let redis: RedisServer | undefined;
  let coordinator: ClusterCoordinator | undefined;
  const extraCoordinators: ClusterCoordinator[] = [];
  const agents = new Map<string, ClusterAgent>();
  let agentCount = 0;
  let stopping: Promise<void> | undefined;
  let consulTokenFiles: { agent: string; coordinator: string } | undefined;
  const tokenArgs = (file: string | undefined): string[] => (file ? ['--consul-token-file', file] : []);

  const stopAll = async (): Promise<void> => {
    const errors: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    };
    await Promise.all([...agents.values()].map((a) => attempt(() => a.process.stop(stopTimeoutMs))));
    await Promise.all(extraCoordinators.map((c) => attempt(() => c.process.stop(stopTimeoutMs))));
    if (coordinator) await attempt(() => coordinator!.process.stop(stopTimeoutMs));
    await Promise.all([redis && attempt(() => redis!.stop()), consul && attempt(() => consul!.stop())]);
    await attempt(() => rm(root, { recursive: true, force: true }));
    if (errors.length > 0) throw new AggregateError(errors, 'local cluster: some parts failed to stop');
  };

  /** A coordinator on the cluster's Redis and Consul; the caller keeps track of it. */
  const startCoordinator = async (name: string, args: readonly string[], port = 0): Promise<ClusterCoordinator> => {
    const logFile = join(logDir!, `${name}.log`);
    const child = spawnManaged(
      name,
      process.execPath,
      [
        '--enable-source-maps', ...(options.coordinatorNodeFlags ?? COORDINATOR_NODE_FLAGS), coordinatorEntry,
        '--listen', `127.0.0.1:${port}`,
        '--consul', consul!.httpAddress,
        ...tokenArgs(consulTokenFiles?.coordinator),
        '--redis', redis!.url,
        ...coordinatorAuthArgs,
        ...METRICS_ARGS,
        ...HTTP_ARGS,
        ...args,
      ],
      { logFile, env: options.coordinatorEnv },
    );
    try {
      const match = await child.waitForLine(COORDINATOR_READY, startTimeoutMs);
      return { address: match[1], metricsUrl: match[2] ?? '', httpUrl: match[3] ?? '', process: child, logFile, adminToken: secure ? await readAdminToken(adminTokenFile) : '', adminTokenFile };
    } catch (error) {
      await child.stop(5000);
      throw new Error(`${name} did not become ready: ${(error as Error).message}`);
    }
  };

  const startAgent = async (agentOptions: AgentOptions): Promise<ClusterAgent> => {
    if (stopping) throw new Error('local cluster is stopping');
    const index = agentCount++;
    let nodeId = agentOptions.nodeId;
    if (!nodeId) {
      let i = index;
      while (agents.has(defaultNodeId(i))) i++;
      nodeId = defaultNodeId(i);
    }
    const existing = agents.get(nodeId);
    if (existing?.process.running) throw new Error(`an agent with node id ${nodeId} is already running`);
    const logFile = join(logDir!, `${nodeId}.log`);
    const args = [
      '--enable-source-maps',
      agentEntry,
      '--consul', consul!.httpAddress,
      ...tokenArgs(agentOptions.withoutConsulToken ? undefined : consulTokenFiles?.agent),
      '--node-id', nodeId,
      '--host', '127.0.0.1',
      '--port', '0',
      '--slots', String(agentOptions.slots),
      ...agentAuthArgs,
      ...METRICS_ARGS,
      ...(agentOptions.capabilities?.length ? ['--capabilities', agentOptions.capabilities.join(',')] : []),
      ...(agentOptions.extraArgs ?? []),
    ];
    const child = spawnManaged(nodeId, process.execPath, args, { logFile, env: agentOptions.env });
    const entry: { nodeId: string; address: string; metricsUrl: string; process: ManagedProcess; logFile: string } = {
      nodeId,
      address: '',
      metricsUrl: '',
      process: child,
      logFile,
    };
    agents.set(nodeId, entry);
    void child.exited.then(() => {
      if (agents.get(nodeId!) === entry) agents.delete(nodeId!);
    });
    try {
      const match = await child.waitForLine(AGENT_READY, startTimeoutMs);
      entry.address = match[2];
      entry.metricsUrl = match[3] ?? '';
    } catch (error) {
      await child.stop(5000);
      agents.delete(nodeId);
      throw new Error(`node agent ${nodeId} did not become ready: ${(error as Error).message}`);
    }
    return entry;
  };

  try {
    const [startedConsul, startedRedis] = await Promise.allSettled([
      startConsulDevAgent({ dir: join(root, 'consul'), logFile: join(logDir, 'consul.log'), httpPort: options.consulHttpPort, acl: options.consulAcl }),
      startRedisServer({
        dir: options.redis?.dir ?? join(root, 'redis'),
        port: options.redis?.port,
        logFile: join(logDir, 'redis.log'),
        appendOnly: options.redis?.appendOnly,
        appendFsync: options.redis?.appendFsync,
      }),
    ]);
    if (startedConsul.status === 'fulfilled') consul = startedConsul.value;
    if (startedRedis.status === 'fulfilled') redis = startedRedis.value;
    if (startedConsul.status === 'rejected') throw startedConsul.reason;
    if (startedRedis.status === 'rejected') throw startedRedis.reason;

    if (consul!.managementToken) {
      const tokens = await createQuantgridConsulTokens(consul!.httpAddress, consul!.managementToken);
      const secrets = join(root, 'secrets');
      await mkdir(secrets, { mode: 0o700 });
      consulTokenFiles = { agent: join(secrets, 'consul-agent.token'), coordinator: join(secrets, 'consul-coordinator.token') };
      await writeTokenFile(consulTokenFiles.agent, tokens.agent);
      await writeTokenFile(consulTokenFiles.coordinator, tokens.coordinator);
    }

    coordinator = await startCoordinator('coordinator', options.coordinatorArgs ?? [], options.coordinatorPort);

    const started = await Promise.allSettled(options.agents.map((a) => startAgent(a)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    try {
      await stopAll();
    } catch {
      // The start-up error is the one worth reporting.
    }
    throw error;
  }

  const find = (nodeId: string): ClusterAgent => {
    const agent = agents.get(nodeId);
    if (!agent) throw new Error(`no running agent with node id ${nodeId} (running: ${[...agents.keys()].join(', ') || 'none'})`);
    return agent;
  };

  return {
    consul: consul!,
    redis: redis!,
    coordinator: coordinator!,
    logDir,
    clusterSecretFile,
    async clusterSecret() {
      return clusterSecretFile ? (await readClusterSecretFile(clusterSecretFile)).secret : undefined;
    },
    consulTokenFiles,
    get agents() {
      return [...agents.values()].filter((a) => a.process.running && a.address !== '');
    },
    agent(nodeId) {
      const agent = agents.get(nodeId);
      return agent?.process.running ? agent : undefined;
    },
    addAgent: startAgent,
    async addCoordinator(args = options.coordinatorArgs ?? []) {
      if (stopping) throw new Error('local cluster is stopping');
      const started = await startCoordinator(`coordinator-${extraCoordinators.length + 2}`, args);
      extraCoordinators.push(started);
      return started;
    },
    async stopAgent(nodeId) {
      return find(nodeId).process.stop(stopTimeoutMs);
    },
    async killAgent(nodeId, signal = 'SIGKILL') {
      const agent = find(nodeId);
      agent.process.kill(signal);
      if (signal === 'SIGKILL') await agent.process.exited;
    },
    async waitForNodes(waitOptions = {}) {
      const wanted = waitOptions.nodeIds ?? [...agents.values()].filter((a) => a.process.running).map((a) => a.nodeId);
      const accept = waitOptions.accept ?? (() => true);
      const timeoutMs = waitOptions.timeoutMs ?? 30_000;
      const deadline = Date.now() + timeoutMs;
      let last: NodeInfo__Output[] = [];
      let lastError: unknown;
      while (Date.now() < deadline) {
        if (!coordinator!.process.running) {
          throw new Error(`coordinator exited while waiting for nodes; last output:\n${coordinator!.process.outputTail(30)}`);
        }
        try {
          last = await listCoordinatorNodes(coordinator!.address, Math.min(5000, Math.max(500, deadline - Date.now())), coordinator!.adminToken);
          lastError = undefined;
          const seen = new Set(last.filter(accept).map((n) => n.id));
          if (wanted.every((id) => seen.has(id))) return last;
        } catch (error) {
          lastError = error;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const listed = last.map((n) => `${n.id} (${n.state})`).join(', ') || 'none';
      const why = lastError ? `; last error: ${(lastError as Error).message}` : '';
      throw new Error(`coordinator did not list nodes ${wanted.join(', ')} within ${timeoutMs} ms (listed: ${listed})${why}`);
    },
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

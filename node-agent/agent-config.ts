import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { advertiseAddressOption, defaultAdvertiseAddress } from '../shared/config/advertise-address.js';
import { CommandLineExit, defaultFromText, describedDefault, parseCommandLine, parseValueFrom, valueSource } from '../shared/config/command-line.js';
import { authRefusal, clusterSecretFileOption, noAuthOption } from '../shared/config/cluster-auth-options.js';
import { consulOption, type ConsulEndpoint } from '../shared/config/consul-option.js';
import { consulTokenFileOption } from '../shared/config/consul-token-option.js';
import type { SecretFile } from '../shared/config/secret-file.js';
import { parseByteSize, parseDurationAtLeast, parseDurationMs, parseIntegerFrom, parseNonEmpty } from '../shared/config/parsers.js';
import { SERVER_TLS_OPTIONS, readableFile, serverTlsConfig } from '../shared/config/server-tls-options.js';
import type { TlsConfig } from '../shared/grpc/credentials.js';
import { quoteInput } from '../shared/quote-input.js';
import { allTaskKinds, taskKindByName } from '../shared/tasks/registry.js';
import { CAPABILITY_PATTERN, CAPABILITY_RULE } from '../shared/tasks/submission-limits.js';
import { QUANTGRID_VERSION } from '../shared/version.js';
import { testOnlyPartitionDelayMs } from './test-only-delay.js';
import { DEFAULT_DISK_CACHE_BYTES } from './dataset-cache.js';
import { DEFAULT_AGENT_METRICS_LISTEN, metricsListenOption, metricsRefusal, metricsTokenFileOption, type MetricsListen } from '../shared/metrics/metrics-options.js';
import { DEFAULT_SANDBOX_LIMITS, MIN_SANDBOX_MEMORY_MIB, type SandboxLimits } from '../shared/sandbox/sandbox-limits.js';

/**
 * Node agent configuration. Every option has a command-line flag, an environment variable and a
 * default; the flag wins over the variable, the variable over the default.
 */
export interface AgentConfig {
  consul: ConsulEndpoint;
  /** ACL token for Consul (--consul-token-file); undefined = none. */
  consulToken: SecretFile | undefined;
  /** Explicit node id, or undefined: then resolveNodeId() derives it from the host name and the bound port. */
  nodeId: string | undefined;
  host: string;
  /** 0 = any free port. */
  port: number;
  advertiseAddress: string;
  slots: number;
  /** Bytes of indicator arrays the worker threads may cache, all together (split evenly between them). */
  indicatorCacheBytes: number;
  /**
   * With --indicator-cache-mb at its default only: how far the threads' caches may grow past it,
   * all together, for a job whose arrays do not fit (INDICATOR_CACHE_GROW_FRACTION of the machine's
   * memory); undefined when the budget was given (then it is a hard cap).
   */
  indicatorCacheGrowBytes: number | undefined;
  /** Limits of each user strategy's sandbox, per partition. */
  sandboxLimits: SandboxLimits;
  capabilities: string[];
  /** Task kinds this node is specialised in (names from the registry): their partitions prefer it. */
  specialties: string[];
  checkTtlMs: number;
  deregisterAfterMs: number;
  heartbeatMs: number;
  drainTimeoutMs: number;
  tls: TlsConfig;
  /** Memory budget of the stored-dataset cache, in bytes. */
  datasetCacheBytes: number;
  /** Disk cache of stored datasets. */
  datasetCacheDir: string;
  /** Byte budget of the disk cache (least recently used files deleted past it). */
  datasetCacheDiskBytes: number;
  /** Credentials for fetching datasets from the coordinator (plaintext when empty). */
  coordinatorTls: TlsConfig;
  /** False only with --no-auth (loopback only): calls are accepted without a proof of the cluster secret. */
  auth: boolean;
  /** The cluster secret: calls must prove it, and this agent proves it in return. */
  clusterSecretFile: string | undefined;
  /** The Prometheus endpoint (--metrics-listen); undefined = off. */
  metricsListen: MetricsListen;
  /** Bearer token scrapers must send (--metrics-token-file); undefined = none (loopback only). */
  metricsToken: SecretFile | undefined;
  /** TEST ONLY (test-only-delay.ts): each partition waits this long before it runs; 0 = none. */
  testOnlyPartitionDelayMs: number;
}

/**
 * Agent-wide indicator-cache budget (MiB). 160 MiB holds, in each of two worker threads, the 100 SMA
 * arrays of 100,000 bars that a sweep over 100 slow periods cycles through (800 KB each).
 */
export const DEFAULT_INDICATOR_CACHE_MB = 160;
/**
 * The share of the machine's memory (its cgroup limit when it has one) the indicator caches may grow
 * to under the default budget: a 1M-bar sweep over 61 SMA periods reads 488 MB of arrays.
 */
export const INDICATOR_CACHE_GROW_FRACTION = 0.25;

/** The machine's memory for the agent: its cgroup limit when there is one, else the total. */
function machineMemoryBytes(): number {
  const constrained = process.constrainedMemory?.();
  const total = os.totalmem();
  return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
}

export const MIN_CHECK_TTL_MS = 2_000;
export const MIN_DEREGISTER_AFTER_MS = 60_000;
export const MIN_HEARTBEAT_MS = 50;
export const MAX_HEARTBEAT_MS = 60_000;
export const MAX_SLOTS = 1024;
const MAX_CACHE_MB = 1_048_576;
const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Consul limits a meta value to 512 characters; capabilities are stored comma-joined. */
const MAX_CAPABILITIES_TEXT = 512;

/** Every capability the built-in task kinds require; sorted, without duplicates. */
export function defaultCapabilities(): string[] {
  const all = new Set<string>();
  for (const kind of allTaskKinds()) for (const capability of kind.capabilities) all.add(capability);
  return [...all].sort();
}

function parseCapabilities(text: string): string[] {
  const list = [...new Set(text.split(',').map((item) => item.trim()).filter((item) => item !== ''))];
  if (list.length === 0) throw new InvalidArgumentError('give at least one capability');
  for (const capability of list) {
    if (!CAPABILITY_PATTERN.test(capability)) {
      // Jobs require capabilities by the same pattern: an upper-case one could never be required.
      throw new InvalidArgumentError(`"${capability}" is not a valid capability (${CAPABILITY_RULE})`);
    }
  }
  if (list.join(',').length > MAX_CAPABILITIES_TEXT) throw new InvalidArgumentError(`the list is longer than ${MAX_CAPABILITIES_TEXT} characters`);
  return list;
}

/** "backtest,market-analysis" → the task kinds' names, each checked against the registry; '' (or none) = no specialties. */
export function parseSpecialties(text: string): string[] {
  const list = [...new Set(text.split(',').map((item) => item.trim()).filter((item) => item !== ''))];
  const kinds = allTaskKinds().map((kind) => kind.name);
  for (const name of list) {
    if (!kinds.includes(name)) throw new InvalidArgumentError(`${quoteInput(name)} is not a task kind (one of ${kinds.join(', ')})`);
  }
  return list;
}

function parseNodeId(text: string): string {
  const nodeId = text.trim();
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw new InvalidArgumentError(`"${text}" must be 1-128 letters, digits, . _ : - (starting with a letter or digit)`);
  }
  return nodeId;
}

function parseHost(text: string): string {
  const host = text.trim();
  if (host === '' || /\s/.test(host)) throw new InvalidArgumentError(`"${text}" is not an address`);
  return host;
}

/** Every agent option, in --help order; each has an environment variable (docs/configuration.md lists them). */
export const AGENT_OPTIONS: readonly Option[] = [
  consulOption('HTTP address of the local Consul agent to register with'),
  consulTokenFileOption(),
  describedDefault(
    new Option('--node-id <id>', 'unique id of this node in the cluster (letters, digits, . _ : -)').env('QUANTGRID_NODE_ID').argParser(parseNodeId),
    '<hostname>-<port>',
  ),
  defaultFromText(new Option('--host <address>', 'address the gRPC server binds to').env('QUANTGRID_AGENT_HOST').argParser(parseHost), '0.0.0.0'),
  defaultFromText(new Option('--port <port>', 'gRPC port; 0 picks any free port').env('QUANTGRID_AGENT_PORT').argParser(parseIntegerFrom(0, 65535)), '7070'),
  advertiseAddressOption('QUANTGRID_ADVERTISE_ADDRESS', 'address the coordinator uses to reach this agent (registered in Consul)'),
  describedDefault(
    new Option('--slots <n>', 'worker threads, i.e. partitions run at the same time').env('QUANTGRID_SLOTS').argParser(parseIntegerFrom(1, MAX_SLOTS)),
    'number of CPU cores',
  ),
  defaultFromText(
    new Option(
      '--indicator-cache-mb <mb>',
      'memory budget (MiB) of the indicator arrays backtests reuse across combinations, for all worker threads together (each gets an equal share); ' +
        'a sweep cycling through more arrays than a share holds recomputes some of them',
    )
      .env('QUANTGRID_INDICATOR_CACHE_MB')
      .argParser(parseIntegerFrom(0, MAX_CACHE_MB)),
    String(DEFAULT_INDICATOR_CACHE_MB),
  ),
  defaultFromText(
    new Option('--strategy-memory-mb <mb>', "heap (MiB) of each user strategy's sandbox (a V8 isolate of its own, per running partition); over it the partition fails, not retried")
      .env('QUANTGRID_STRATEGY_MEMORY_MB')
      .argParser(parseIntegerFrom(MIN_SANDBOX_MEMORY_MIB, 16 * 1024)),
    String(DEFAULT_SANDBOX_LIMITS.memoryMib),
  ),
  defaultFromText(
    new Option('--strategy-timeout-ms <ms>', "time a user strategy's code may run in one partition, all its calls together; over it the partition fails, not retried")
      .env('QUANTGRID_STRATEGY_TIMEOUT_MS')
      .argParser(parseIntegerFrom(1, 24 * 3600 * 1000)),
    String(DEFAULT_SANDBOX_LIMITS.timeoutMs),
  ),
  new Option('--capabilities <list>', 'comma-separated capabilities advertised to the coordinator')
    .env('QUANTGRID_CAPABILITIES')
    .argParser(parseCapabilities)
    .default(defaultCapabilities(), 'all capabilities of the built-in task kinds'),
  new Option(
    '--specialties <kinds>',
    'comma-separated task kinds this node is specialised in (e.g. backtest,market-analysis): the coordinator scores it higher for their jobs (× its --specialty-bonus)',
  )
    .env('QUANTGRID_SPECIALTIES')
    .argParser(parseSpecialties)
    .default([], 'none'),
  defaultFromText(
    new Option('--check-ttl <duration>', 'TTL of the Consul health check (refreshed every second; at least 2s)')
      .env('QUANTGRID_CHECK_TTL')
      .argParser(parseDurationAtLeast(MIN_CHECK_TTL_MS, 'must be at least 2s (the check is refreshed every second)')),
    '3s',
  ),
  defaultFromText(
    new Option('--deregister-after <duration>', "Consul removes the node when its check stays critical this long (at least 1m, Consul's minimum)")
      .env('QUANTGRID_DEREGISTER_AFTER')
      .argParser(parseDurationAtLeast(MIN_DEREGISTER_AFTER_MS, "must be at least 1m (Consul's minimum)")),
    '1m',
  ),
  defaultFromText(
    new Option('--heartbeat-ms <ms>', 'heartbeat interval on RunPartition streams when the coordinator asks for none (50..60000)')
      .env('QUANTGRID_HEARTBEAT_MS')
      .argParser(parseIntegerFrom(MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS)),
    '500',
  ),
  defaultFromText(
    new Option('--drain-timeout <duration>', 'on SIGTERM/SIGINT, how long running partitions may finish before they are abandoned')
      .env('QUANTGRID_DRAIN_TIMEOUT')
      .argParser(parseDurationMs),
    '30s',
  ),
  defaultFromText(
    new Option('--dataset-cache-mb <mb>', 'memory budget (MiB) of the cache of stored datasets fetched from the coordinator; least recently used evicted')
      .env('QUANTGRID_DATASET_CACHE_MB')
      .argParser(parseIntegerFrom(0, MAX_CACHE_MB)),
    '512',
  ),
  new Option('--dataset-cache-dir <dir>', 'disk cache of stored datasets (files named by their SHA-256, checked on every read)')
    .env('QUANTGRID_DATASET_CACHE_DIR')
    .argParser(parseNonEmpty)
    .default(path.join(os.tmpdir(), 'quantgrid-datasets'), '<OS temp dir>/quantgrid-datasets'),
  new Option(
    '--dataset-cache-disk-bytes <bytes>',
    'byte budget of the disk cache (e.g. 10737418240, 500MiB, 20GB; 0 = write nothing); least recently used files deleted past it, never those of datasets in use',
  )
    .env('QUANTGRID_DATASET_CACHE_DISK_BYTES')
    .argParser(parseByteSize)
    .default(DEFAULT_DISK_CACHE_BYTES, `${DEFAULT_DISK_CACHE_BYTES / 1024 ** 3}GiB`),
  ...SERVER_TLS_OPTIONS,
  describedDefault(
    new Option('--coordinator-tls-ca <file>', "PEM CA that verifies the coordinator's API when fetching datasets; enables TLS for those fetches").env('QUANTGRID_COORDINATOR_TLS_CA'),
    'none (plaintext)',
  ),
  describedDefault(
    new Option('--coordinator-tls-cert <file>', 'PEM client certificate presented to the coordinator when fetching datasets (mutual TLS)').env('QUANTGRID_COORDINATOR_TLS_CERT'),
    'none',
  ),
  describedDefault(new Option('--coordinator-tls-key <file>', 'PEM private key of that client certificate').env('QUANTGRID_COORDINATOR_TLS_KEY'), 'none'),
  clusterSecretFileOption(),
  noAuthOption('accept calls from any caller, without a proof of the cluster secret'),
  metricsListenOption('QUANTGRID_AGENT_METRICS_LISTEN', DEFAULT_AGENT_METRICS_LISTEN),
  metricsTokenFileOption(),
];

/** The parsed values, by commander attribute name; null = not given (see describedDefault). */
interface AgentOptionValues {
  consul: ConsulEndpoint;
  consulTokenFile: SecretFile | null;
  nodeId: string | null;
  host: string;
  port: number;
  advertiseAddress: string | null;
  slots: number | null;
  indicatorCacheMb: number;
  strategyMemoryMb: number;
  strategyTimeoutMs: number;
  capabilities: string[];
  specialties: string[];
  checkTtl: number;
  deregisterAfter: number;
  heartbeatMs: number;
  drainTimeout: number;
  datasetCacheMb: number;
  datasetCacheDir: string;
  datasetCacheDiskBytes: number;
  tlsCert: string | null;
  tlsKey: string | null;
  tlsCa: string | null;
  coordinatorTlsCa: string | null;
  coordinatorTlsCert: string | null;
  coordinatorTlsKey: string | null;
  clusterSecretFile: string | null;
  auth: boolean;
  metricsListen: MetricsListen;
  metricsTokenFile: SecretFile | null;
}

/** Parses "500ms", "3s", "1m", "1m30s", "1.5h" into milliseconds; a bad one is an exit naming option. */
export function parseDuration(text: string, option: string): number {
  return parseValueFrom(option, text, parseDurationMs);
}

/** Node id when none was configured: the host name (sanitised) and the bound port. */
export function resolveNodeId(config: Pick<AgentConfig, 'nodeId'>, boundPort: number, hostname = os.hostname()): string {
  if (config.nodeId) return config.nodeId;
  const clean = hostname.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'node';
  return `${clean.slice(0, 100)}-${boundPort}`;
}

const HELP_AFTER = [
  '',
  'Every option can also be set by its environment variable; a flag wins over the variable.',
  'Durations: 500ms, 3s, 1m, 1m30s. One ready line on stdout; JSON logs on stderr (level: QUANTGRID_LOG_LEVEL).',
  'SIGTERM/SIGINT drain: leave Consul, refuse new partitions, finish running ones (up to --drain-timeout), exit 0.',
].join('\n');

export interface ParseOptions {
  env?: NodeJS.ProcessEnv;
  /** Where --help and --version text goes (default stdout). */
  writeOut?: (text: string) => void;
  /** CPU cores for the --slots default (default os.availableParallelism()). */
  cores?: number;
  /** The machine's memory for the indicator caches' growth (default: its cgroup limit, else os.totalmem()). */
  memoryBytes?: number;
}

/** The client credentials for dataset fetches: a certificate only with its key, and only with a CA. */
function coordinatorTlsConfig(values: AgentOptionValues, source: (flag: string) => string): TlsConfig {
  if (Boolean(values.coordinatorTlsCert) !== Boolean(values.coordinatorTlsKey)) {
    throw new CommandLineExit(2, '--coordinator-tls-cert and --coordinator-tls-key: give both or neither');
  }
  if (values.coordinatorTlsCert && !values.coordinatorTlsCa) {
    throw new CommandLineExit(2, '--coordinator-tls-cert: TLS to the coordinator needs --coordinator-tls-ca too');
  }
  const tls: TlsConfig = {};
  if (values.coordinatorTlsCa) tls.caFile = parseValueFrom(source('--coordinator-tls-ca'), values.coordinatorTlsCa, readableFile);
  if (values.coordinatorTlsCert) tls.certFile = parseValueFrom(source('--coordinator-tls-cert'), values.coordinatorTlsCert, readableFile);
  if (values.coordinatorTlsKey) tls.keyFile = parseValueFrom(source('--coordinator-tls-key'), values.coordinatorTlsKey, readableFile);
  return tls;
}

/** The specialties, each a kind this node can run (its kind's capabilities among --capabilities); else an exit naming the option. */
function specialtiesWithin(specialties: string[], capabilities: readonly string[]): string[] {
  for (const name of specialties) {
    const missing = (taskKindByName(name)?.capabilities ?? []).filter((capability) => !capabilities.includes(capability));
    if (missing.length > 0) throw new CommandLineExit(2, `--specialties: ${name} needs the capabilit${missing.length > 1 ? 'ies' : 'y'} ${missing.join(', ')}, which --capabilities leaves out`);
  }
  return specialties;
}

/** Why this configuration may not start (secure by default), or undefined. */
export function agentAuthRefusal(config: AgentConfig): string | undefined {
  const metrics = metricsRefusal({ listen: config.metricsListen, token: config.metricsToken });
  if (metrics) return metrics;
  return authRefusal({
    auth: config.auth,
    host: config.host,
    clusterSecretFile: config.clusterSecretFile,
    mutualTls: Boolean(config.tls.certFile && config.tls.keyFile && config.tls.caFile),
    listenFlag: '--host',
  });
}

/**
 * Parses the agent's command line (argv without node and the script) and environment.
 * Throws CommandLineExit: exit code 2 with a one-line message for bad values, 0 after --help/--version.
 */
export function parseAgentConfig(argv: readonly string[], options: ParseOptions = {}): AgentConfig {
  const program = new Command('quantgrid-agent')
    .description('quantgrid node agent: runs task partitions for the coordinator in worker threads')
    .version(QUANTGRID_VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .allowExcessArguments(false)
    .configureOutput({ writeOut: options.writeOut ?? ((text) => process.stdout.write(text)), writeErr: () => undefined })
    .addHelpText('after', HELP_AFTER);
  for (const option of AGENT_OPTIONS) program.addOption(option);
  parseCommandLine(program, argv, options.env ?? process.env);

  const values = program.opts<AgentOptionValues>();
  const source = (flag: string): string => valueSource(program, AGENT_OPTIONS.find((option) => option.long === flag)!);
  const cores = Math.max(1, options.cores ?? os.availableParallelism());
  const tls = serverTlsConfig(values, source);
  return {
    consul: values.consul,
    consulToken: values.consulTokenFile ?? undefined,
    nodeId: values.nodeId ?? undefined,
    host: values.host,
    port: values.port,
    advertiseAddress: values.advertiseAddress ?? defaultAdvertiseAddress(values.host),
    slots: values.slots ?? Math.min(cores, MAX_SLOTS),
    indicatorCacheBytes: values.indicatorCacheMb * 1024 * 1024,
    indicatorCacheGrowBytes:
      program.getOptionValueSource('indicatorCacheMb') === 'default'
        ? Math.max(values.indicatorCacheMb * 1024 * 1024, Math.floor(INDICATOR_CACHE_GROW_FRACTION * (options.memoryBytes ?? machineMemoryBytes())))
        : undefined,
    sandboxLimits: { memoryMib: values.strategyMemoryMb, timeoutMs: values.strategyTimeoutMs },
    capabilities: values.capabilities,
    specialties: specialtiesWithin(values.specialties, values.capabilities),
    checkTtlMs: values.checkTtl,
    deregisterAfterMs: values.deregisterAfter,
    heartbeatMs: values.heartbeatMs,
    drainTimeoutMs: values.drainTimeout,
    tls,
    datasetCacheBytes: values.datasetCacheMb * 1024 * 1024,
    datasetCacheDir: values.datasetCacheDir,
    datasetCacheDiskBytes: values.datasetCacheDiskBytes,
    coordinatorTls: coordinatorTlsConfig(values, source),
    auth: values.auth,
    clusterSecretFile: values.clusterSecretFile ?? undefined,
    metricsListen: values.metricsListen,
    metricsToken: values.metricsTokenFile ?? undefined,
    testOnlyPartitionDelayMs: testOnlyPartitionDelayMs(options.env ?? process.env),
  };
}

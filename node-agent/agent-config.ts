import os from 'node:os';
import { defaultAdvertiseAddress, isWildcard } from '../shared/config/advertise-address.js';

export { defaultAdvertiseAddress };
import path from 'node:path';
import { parseDurationMs } from '../shared/config/parsers.js';
import { accessSync, constants as fsConstants } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { TlsConfig } from '../shared/grpc/credentials.js';
import { allTaskKinds } from '../shared/tasks/registry.js';
import { CAPABILITY_PATTERN, CAPABILITY_RULE } from '../shared/tasks/submission-limits.js';
import { DEFAULT_DISK_CACHE_BYTES } from './dataset-cache.js';
import { QUANTGRID_VERSION } from '../shared/version.js';

/**
 * Node agent configuration. Every option has a command-line flag, an environment variable and a
 * default; the flag wins over the variable, the variable over the default.
 */
export interface AgentConfig {
  consul: ConsulEndpoint;
  /** Explicit node id, or undefined: then resolveNodeId() derives it from the host name and the bound port. */
  nodeId: string | undefined;
  host: string;
  /** 0 = any free port. */
  port: number;
  advertiseAddress: string;
  slots: number;
  /** Bytes of indicator arrays the worker threads may cache, all together (split evenly between them). */
  indicatorCacheBytes: number;
  capabilities: string[];
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
}

export interface ConsulEndpoint {
  /** As given, normalised (no trailing slash). */
  url: string;
  host: string;
  port: number;
  secure: boolean;
}

/** Names of the parsed options (commander's camelCase attribute names). */
export type AgentOptionName =
  | 'consul'
  | 'nodeId'
  | 'host'
  | 'port'
  | 'advertiseAddress'
  | 'slots'
  | 'indicatorCacheMb'
  | 'capabilities'
  | 'checkTtl'
  | 'deregisterAfter'
  | 'heartbeatMs'
  | 'drainTimeout'
  | 'datasetCacheMb'
  | 'datasetCacheDir'
  | 'datasetCacheDiskBytes'
  | 'tlsCert'
  | 'tlsKey'
  | 'tlsCa'
  | 'coordinatorTlsCa'
  | 'coordinatorTlsCert'
  | 'coordinatorTlsKey';

/** One option: what the README's option table documents. */
export interface AgentOptionDefinition {
  name: AgentOptionName;
  /** Commander flag syntax, e.g. "--consul <url>". */
  flags: string;
  env: string;
  /** The default as a human reads it. */
  defaultText: string;
  description: string;
}

/**
 * Agent-wide indicator-cache budget (MiB). 160 MiB holds, in each of two worker threads, the 100 SMA
 * arrays of 100,000 bars that a sweep over 100 slow periods cycles through (800 KB each).
 */
export const DEFAULT_INDICATOR_CACHE_MB = 160;

export const AGENT_OPTIONS: readonly AgentOptionDefinition[] = [
  {
    name: 'consul',
    flags: '--consul <url>',
    env: 'QUANTGRID_CONSUL',
    defaultText: 'http://127.0.0.1:8500',
    description: 'HTTP address of the local Consul agent to register with',
  },
  {
    name: 'nodeId',
    flags: '--node-id <id>',
    env: 'QUANTGRID_NODE_ID',
    defaultText: '<hostname>-<port>',
    description: 'unique id of this node in the cluster (letters, digits, . _ : -)',
  },
  {
    name: 'host',
    flags: '--host <address>',
    env: 'QUANTGRID_AGENT_HOST',
    defaultText: '0.0.0.0',
    description: 'address the gRPC server binds to',
  },
  {
    name: 'port',
    flags: '--port <port>',
    env: 'QUANTGRID_AGENT_PORT',
    defaultText: '7070',
    description: 'gRPC port; 0 picks any free port',
  },
  {
    name: 'advertiseAddress',
    flags: '--advertise-address <address>',
    env: 'QUANTGRID_ADVERTISE_ADDRESS',
    defaultText: '127.0.0.1 on a loopback host, the bound address, else the first non-internal IPv4',
    description: 'address the coordinator uses to reach this agent (registered in Consul)',
  },
  {
    name: 'slots',
    flags: '--slots <n>',
    env: 'QUANTGRID_SLOTS',
    defaultText: 'number of CPU cores',
    description: 'worker threads, i.e. partitions run at the same time',
  },
  {
    name: 'indicatorCacheMb',
    flags: '--indicator-cache-mb <mb>',
    env: 'QUANTGRID_INDICATOR_CACHE_MB',
    defaultText: String(DEFAULT_INDICATOR_CACHE_MB),
    description:
      'memory budget (MiB) of the indicator arrays backtests reuse across combinations, for all worker threads together (each gets an equal share); ' +
      'a sweep cycling through more arrays than a share holds recomputes some of them',
  },
  {
    name: 'capabilities',
    flags: '--capabilities <list>',
    env: 'QUANTGRID_CAPABILITIES',
    defaultText: 'all capabilities of the built-in task kinds, plus noop',
    description: 'comma-separated capabilities advertised to the coordinator',
  },
  {
    name: 'checkTtl',
    flags: '--check-ttl <duration>',
    env: 'QUANTGRID_CHECK_TTL',
    defaultText: '3s',
    description: 'TTL of the Consul health check (refreshed every second; at least 2s)',
  },
  {
    name: 'deregisterAfter',
    flags: '--deregister-after <duration>',
    env: 'QUANTGRID_DEREGISTER_AFTER',
    defaultText: '1m',
    description: 'Consul removes the node when its check stays critical this long (at least 1m, Consul\'s minimum)',
  },
  {
    name: 'heartbeatMs',
    flags: '--heartbeat-ms <ms>',
    env: 'QUANTGRID_HEARTBEAT_MS',
    defaultText: '500',
    description: 'heartbeat interval on RunPartition streams when the coordinator asks for none (50..60000)',
  },
  {
    name: 'drainTimeout',
    flags: '--drain-timeout <duration>',
    env: 'QUANTGRID_DRAIN_TIMEOUT',
    defaultText: '30s',
    description: 'on SIGTERM/SIGINT, how long running partitions may finish before they are abandoned',
  },
  {
    name: 'datasetCacheMb',
    flags: '--dataset-cache-mb <mb>',
    env: 'QUANTGRID_DATASET_CACHE_MB',
    defaultText: '512',
    description: 'memory budget (MiB) of the cache of stored datasets fetched from the coordinator; least recently used evicted',
  },
  {
    name: 'datasetCacheDir',
    flags: '--dataset-cache-dir <dir>',
    env: 'QUANTGRID_DATASET_CACHE_DIR',
    defaultText: '<OS temp dir>/quantgrid-datasets',
    description: 'disk cache of stored datasets (files named by their SHA-256, checked on every read)',
  },
  {
    name: 'datasetCacheDiskBytes',
    flags: '--dataset-cache-disk-bytes <bytes>',
    env: 'QUANTGRID_DATASET_CACHE_DISK_BYTES',
    defaultText: '10GiB',
    description: 'byte budget of the disk cache (e.g. 10737418240, 500MiB, 20GB; 0 = write nothing); least recently used files deleted past it, never those of datasets in use',
  },
  {
    name: 'tlsCert',
    flags: '--tls-cert <file>',
    env: 'QUANTGRID_TLS_CERT',
    defaultText: 'none (plaintext)',
    description: 'PEM server certificate; with --tls-key enables TLS',
  },
  {
    name: 'tlsKey',
    flags: '--tls-key <file>',
    env: 'QUANTGRID_TLS_KEY',
    defaultText: 'none',
    description: 'PEM private key of the server certificate',
  },
  {
    name: 'tlsCa',
    flags: '--tls-ca <file>',
    env: 'QUANTGRID_TLS_CA',
    defaultText: 'none',
    description: 'PEM CA; when set, clients must present a certificate it signed (mutual TLS)',
  },
  {
    name: 'coordinatorTlsCa',
    flags: '--coordinator-tls-ca <file>',
    env: 'QUANTGRID_COORDINATOR_TLS_CA',
    defaultText: 'none (plaintext)',
    description: "PEM CA that verifies the coordinator's API when fetching datasets; enables TLS for those fetches",
  },
  {
    name: 'coordinatorTlsCert',
    flags: '--coordinator-tls-cert <file>',
    env: 'QUANTGRID_COORDINATOR_TLS_CERT',
    defaultText: 'none',
    description: 'PEM client certificate presented to the coordinator when fetching datasets (mutual TLS)',
  },
  {
    name: 'coordinatorTlsKey',
    flags: '--coordinator-tls-key <file>',
    env: 'QUANTGRID_COORDINATOR_TLS_KEY',
    defaultText: 'none',
    description: 'PEM private key of that client certificate',
  },
];

/** Parsing ended without a configuration: a bad flag (exit code 2), or --help / --version (exit code 0). */
export class AgentConfigExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'AgentConfigExit';
  }
}

export const MIN_CHECK_TTL_MS = 2_000;
export const MIN_DEREGISTER_AFTER_MS = 60_000;
export const MIN_HEARTBEAT_MS = 50;
export const MAX_HEARTBEAT_MS = 60_000;
export const MAX_SLOTS = 1024;
const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Consul limits a meta value to 512 characters; capabilities are stored comma-joined. */
const MAX_CAPABILITIES_TEXT = 512;


function fail(message: string): never {
  throw new AgentConfigExit(2, message);
}

/** Parses "500ms", "3s", "1m", "1m30s", "1.5h" into milliseconds. */
export function parseDuration(text: string, option: string): number {
  try {
    return parseDurationMs(text);
  } catch (error) {
    return fail(`${option}: ${(error as Error).message}`);
  }
}

function parseInteger(text: string, option: string, min: number, max: number): number {
  const trimmed = text.trim();
  const value = /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    fail(`${option}: "${text}" must be an integer from ${min} to ${max}`);
  }
  return value;
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** A byte count: an integer, or a number with a unit (KB MB GB TB: powers of 1000; KiB MiB GiB TiB: of 1024). */
export function parseByteSize(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unitName = match?.[2].toLowerCase() ?? '';
  const unit = match && Object.hasOwn(BYTE_UNITS, unitName) ? BYTE_UNITS[unitName] : undefined;
  const value = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : NaN;
  if (!Number.isSafeInteger(value)) fail(`${option}: "${text}" is not a byte count (e.g. 10737418240, 500MiB, 20GB)`);
  return value;
}

function parseConsulUrl(text: string, option: string): ConsulEndpoint {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    fail(`${option}: "${text}" is not a URL (e.g. http://127.0.0.1:8500)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${option}: "${text}" must be an http:// or https:// URL`);
  if (!url.hostname) fail(`${option}: "${text}" has no host`);
  if (url.pathname !== '/' && url.pathname !== '') fail(`${option}: "${text}" must not have a path`);
  const secure = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url: `${url.protocol}//${url.host}`, host, port, secure };
}

function checkReadable(file: string, option: string): string {
  try {
    accessSync(file, fsConstants.R_OK);
  } catch {
    fail(`${option}: cannot read ${file}`);
  }
  return file;
}


/** Every capability the built-in task kinds require, plus "noop"; sorted, without duplicates. */
export function defaultCapabilities(): string[] {
  const all = new Set<string>(['noop']);
  for (const kind of allTaskKinds()) for (const capability of kind.capabilities) all.add(capability);
  return [...all].sort();
}

function parseCapabilities(text: string, option: string): string[] {
  const list = [...new Set(text.split(',').map((item) => item.trim()).filter((item) => item !== ''))];
  if (list.length === 0) fail(`${option}: give at least one capability`);
  for (const capability of list) {
    if (!CAPABILITY_PATTERN.test(capability)) {
      // Jobs require capabilities by the same pattern: an upper-case one could never be required.
      fail(`${option}: "${capability}" is not a valid capability (${CAPABILITY_RULE})`);
    }
  }
  if (list.join(',').length > MAX_CAPABILITIES_TEXT) fail(`${option}: the list is longer than ${MAX_CAPABILITIES_TEXT} characters`);
  return list;
}

/** Node id when none was configured: the host name (sanitised) and the bound port. */
export function resolveNodeId(config: Pick<AgentConfig, 'nodeId'>, boundPort: number, hostname = os.hostname()): string {
  if (config.nodeId) return config.nodeId;
  const clean = hostname.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'node';
  return `${clean.slice(0, 100)}-${boundPort}`;
}

function helpText(): string {
  return [
    '',
    'Every option can also be set by its environment variable; a flag wins over the variable.',
    'Durations: 500ms, 3s, 1m, 1m30s. One ready line on stdout; JSON logs on stderr (level: QUANTGRID_LOG_LEVEL).',
    'SIGTERM/SIGINT drain: leave Consul, refuse new partitions, finish running ones (up to --drain-timeout), exit 0.',
  ].join('\n');
}

export interface ParseOptions {
  env?: NodeJS.ProcessEnv;
  /** Where --help and --version text goes (default stdout). */
  writeOut?: (text: string) => void;
  /** CPU cores for the --slots default (default os.availableParallelism()). */
  cores?: number;
}

/**
 * Parses the agent's command line (argv without node and the script) and environment.
 * Throws AgentConfigExit: exit code 2 with a one-line message for bad values, 0 after --help/--version.
 */
export function parseAgentConfig(argv: readonly string[], options: ParseOptions = {}): AgentConfig {
  const env = options.env ?? process.env;
  const program = new Command('quantgrid-agent')
    .description('quantgrid node agent: runs task partitions for the coordinator in worker threads')
    .version(QUANTGRID_VERSION, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: options.writeOut ?? ((text) => process.stdout.write(text)),
      writeErr: () => {},
      outputError: () => {},
    });
  for (const option of AGENT_OPTIONS) {
    program.option(option.flags, `${option.description} (env ${option.env}; default: ${option.defaultText})`);
  }
  program.addHelpText('after', helpText());

  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) {
        throw new AgentConfigExit(0, '');
      }
      throw new AgentConfigExit(2, error.message.replace(/^error: /, ''));
    }
    throw error;
  }
  const given = program.opts<Partial<Record<AgentOptionName, string>>>();

  /** The flag's value, else the environment variable's (empty counts as unset), else undefined. */
  const raw = (name: AgentOptionName): { value: string; source: string } | undefined => {
    const definition = AGENT_OPTIONS.find((option) => option.name === name)!;
    const flag = definition.flags.split(' ')[0];
    const fromFlag = given[name];
    if (fromFlag !== undefined) return { value: fromFlag, source: flag };
    const fromEnv = env[definition.env];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: definition.env };
    return undefined;
  };

  const consulRaw = raw('consul');
  const consul = parseConsulUrl(consulRaw?.value ?? 'http://127.0.0.1:8500', consulRaw?.source ?? '--consul');

  const nodeIdRaw = raw('nodeId');
  let nodeId: string | undefined;
  if (nodeIdRaw) {
    nodeId = nodeIdRaw.value.trim();
    if (!NODE_ID_PATTERN.test(nodeId)) {
      fail(`${nodeIdRaw.source}: "${nodeIdRaw.value}" must be 1-128 letters, digits, . _ : - (starting with a letter or digit)`);
    }
  }

  const hostRaw = raw('host');
  const host = (hostRaw?.value ?? '0.0.0.0').trim();
  if (host === '' || /\s/.test(host)) fail(`${hostRaw?.source ?? '--host'}: "${hostRaw?.value}" is not an address`);

  const portRaw = raw('port');
  const port = portRaw ? parseInteger(portRaw.value, portRaw.source, 0, 65535) : 7070;

  const advertiseRaw = raw('advertiseAddress');
  let advertiseAddress: string;
  if (advertiseRaw) {
    advertiseAddress = advertiseRaw.value.trim().replace(/^\[(.*)\]$/, '$1');
    if (advertiseAddress === '' || /[\s/]/.test(advertiseAddress) || isWildcard(advertiseAddress)) {
      fail(`${advertiseRaw.source}: "${advertiseRaw.value}" is not an address others can reach`);
    }
  } else {
    advertiseAddress = defaultAdvertiseAddress(host);
  }

  const slotsRaw = raw('slots');
  const cores = Math.max(1, options.cores ?? os.availableParallelism());
  const slots = slotsRaw ? parseInteger(slotsRaw.value, slotsRaw.source, 1, MAX_SLOTS) : Math.min(cores, MAX_SLOTS);

  const indicatorCacheRaw = raw('indicatorCacheMb');
  const indicatorCacheMb = indicatorCacheRaw ? parseInteger(indicatorCacheRaw.value, indicatorCacheRaw.source, 0, 1_048_576) : DEFAULT_INDICATOR_CACHE_MB;

  const capabilitiesRaw = raw('capabilities');
  const capabilities = capabilitiesRaw ? parseCapabilities(capabilitiesRaw.value, capabilitiesRaw.source) : defaultCapabilities();

  const ttlRaw = raw('checkTtl');
  const checkTtlMs = ttlRaw ? parseDuration(ttlRaw.value, ttlRaw.source) : 3_000;
  if (checkTtlMs < MIN_CHECK_TTL_MS) fail(`${ttlRaw?.source}: must be at least 2s (the check is refreshed every second)`);

  const deregisterRaw = raw('deregisterAfter');
  const deregisterAfterMs = deregisterRaw ? parseDuration(deregisterRaw.value, deregisterRaw.source) : 60_000;
  if (deregisterAfterMs < MIN_DEREGISTER_AFTER_MS) fail(`${deregisterRaw?.source}: must be at least 1m (Consul's minimum)`);

  const heartbeatRaw = raw('heartbeatMs');
  const heartbeatMs = heartbeatRaw ? parseInteger(heartbeatRaw.value, heartbeatRaw.source, MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS) : 500;

  const drainRaw = raw('drainTimeout');
  const drainTimeoutMs = drainRaw ? parseDuration(drainRaw.value, drainRaw.source) : 30_000;

  const cacheMbRaw = raw('datasetCacheMb');
  const datasetCacheMb = cacheMbRaw ? parseInteger(cacheMbRaw.value, cacheMbRaw.source, 0, 1_048_576) : 512;
  const cacheDirRaw = raw('datasetCacheDir');
  const datasetCacheDir = cacheDirRaw ? cacheDirRaw.value.trim() : path.join(os.tmpdir(), 'quantgrid-datasets');
  if (datasetCacheDir === '') fail(`${cacheDirRaw?.source}: must not be empty`);
  const diskBytesRaw = raw('datasetCacheDiskBytes');
  const datasetCacheDiskBytes = diskBytesRaw ? parseByteSize(diskBytesRaw.value, diskBytesRaw.source) : DEFAULT_DISK_CACHE_BYTES;

  const certRaw = raw('tlsCert');
  const keyRaw = raw('tlsKey');
  const caRaw = raw('tlsCa');
  if (Boolean(certRaw) !== Boolean(keyRaw)) fail('--tls-cert and --tls-key: give both or neither');
  if (caRaw && !certRaw) fail('--tls-ca: mutual TLS needs --tls-cert and --tls-key too');
  const tls: TlsConfig = {};
  if (certRaw) tls.certFile = checkReadable(certRaw.value, certRaw.source);
  if (keyRaw) tls.keyFile = checkReadable(keyRaw.value, keyRaw.source);
  if (caRaw) tls.caFile = checkReadable(caRaw.value, caRaw.source);

  const clientCaRaw = raw('coordinatorTlsCa');
  const clientCertRaw = raw('coordinatorTlsCert');
  const clientKeyRaw = raw('coordinatorTlsKey');
  if (Boolean(clientCertRaw) !== Boolean(clientKeyRaw)) fail('--coordinator-tls-cert and --coordinator-tls-key: give both or neither');
  if (clientCertRaw && !clientCaRaw) fail('--coordinator-tls-cert: TLS to the coordinator needs --coordinator-tls-ca too');
  const coordinatorTls: TlsConfig = {};
  if (clientCaRaw) coordinatorTls.caFile = checkReadable(clientCaRaw.value, clientCaRaw.source);
  if (clientCertRaw) coordinatorTls.certFile = checkReadable(clientCertRaw.value, clientCertRaw.source);
  if (clientKeyRaw) coordinatorTls.keyFile = checkReadable(clientKeyRaw.value, clientKeyRaw.source);

  return {
    consul,
    nodeId,
    host,
    port,
    advertiseAddress,
    slots,
    indicatorCacheBytes: indicatorCacheMb * 1024 * 1024,
    capabilities,
    checkTtlMs,
    deregisterAfterMs,
    heartbeatMs,
    drainTimeoutMs,
    tls,
    datasetCacheBytes: datasetCacheMb * 1024 * 1024,
    datasetCacheDir,
    datasetCacheDiskBytes,
    coordinatorTls,
  };
}

import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { authRefusal, clusterSecretFileOption, noAuthOption } from '../../shared/config/cluster-auth-options.js';
import { advertiseAddressOption } from '../../shared/config/advertise-address.js';
import { CommandLineExit, parseCommandLine } from '../../shared/config/command-line.js';
import { consulOption, type ConsulEndpoint } from '../../shared/config/consul-option.js';
import { consulTokenFileOption } from '../../shared/config/consul-token-option.js';
import { DEFAULT_COORDINATOR_PORT } from '../../shared/config/coordinator-port.js';
import type { SecretFile } from '../../shared/config/secret-file.js';
import { parseByteSize, parseDurationMs, parseHostPort, parsePositiveInt } from '../../shared/config/parsers.js';
import { readableFile, SERVER_TLS_OPTIONS, serverTlsConfig, type ServerTlsValues } from '../../shared/config/server-tls-options.js';
import type { TlsConfig } from '../../shared/grpc/credentials.js';
import { DEFAULT_SPEC_LIMITS, type SpecLimits } from '../../shared/tasks/task-kind.js';
import { DEFAULT_USER_QUOTA, type UserQuota } from '../jobs/user-quota.js';
import { parseRedisAddress, type RedisAddress } from '../redis/redis-address.js';
import { DEFAULT_SPECIALTY_BONUS, SPECIALTY_BONUS_RANGE, type ScoreWeights } from '../nodes/node-scorer.js';
import { DEFAULT_STRAGGLER_RULE, doneFractionRefusal, stragglerRatioRefusal, type StragglerRule } from '../partitions/straggler-rule.js';
import { DEFAULT_MIN_SCHEDULE_INTERVAL_MS } from '../schedules/schedule-model.js';
import { httpListenOption, httpRefusal, type HttpListen } from '../dashboard/http-options.js';
import { DEFAULT_COORDINATOR_METRICS_LISTEN, metricsListenOption, metricsRefusal, metricsTokenFileOption, type MetricsListen } from '../../shared/metrics/metrics-options.js';

export interface CoordinatorConfig {
  listen: { host: string; port: number };
  /** Host agents reach the API at (to fetch datasets); undefined = derived from the listen address. */
  advertiseAddress: string | undefined;
  consulUrl: URL;
  /** ACL token for Consul (--consul-token-file); undefined = none. */
  consulToken: SecretFile | undefined;
  /** --redis: one server, or the master a group of sentinels names. */
  redis: RedisAddress;
  queuePrefix: string;
  weights: ScoreWeights;
  /** A node specialised in a job's kind has its score multiplied by this when placing that job's partitions. */
  specialtyBonus: number;
  maxAttempts: number;
  quarantineMs: number;
  quarantineAfterFailures: number;
  heartbeatTimeoutMs: number;
  statusIntervalMs: number;
  /** Most status probes per second of settled nodes over the whole cluster (new, unverified and suspect nodes are asked at once, outside it). */
  statusMaxRate: number;
  jobConcurrency: number;
  /** BullMQ: a job's lock lifetime (renewed while the coordinator lives), the stalled-job check interval, stalls allowed before a job fails. */
  jobLockMs: number;
  stalledIntervalMs: number;
  maxStalled: number;
  /** Finished jobs (and their results) are kept this long, and at most this many of each outcome. */
  retentionMs: number;
  retentionCount: number;
  /** Most bytes the dataset store may hold in Redis (0: no limit). */
  datasetBudgetBytes: number;
  partitionCacheTtlMs: number;
  partitionsPerSlot: number;
  /** When a straggling partition gets a backup copy on another node (coordinator/partitions/straggler-rule.ts). */
  straggler: StragglerRule;
  /** Shortest time allowed between two occurrences of a schedule's cron. */
  minScheduleIntervalMs: number;
  limits: SpecLimits;
  /** What one user may have unfinished at once (SubmitJob answers RESOURCE_EXHAUSTED past it). */
  userQuota: UserQuota;
  tls: TlsConfig;
  agentTls: TlsConfig;
  /** False only with --no-auth (loopback only): no tokens, no node proof. */
  auth: boolean;
  /** The bootstrap admin token, read or created at start. */
  adminTokenFile: string;
  clusterSecretFile: string | undefined;
  redisPasswordFile: string | undefined;
  /** The sentinels' own password (--redis-sentinel-password-file), with a sentinel address. */
  redisSentinelPasswordFile: string | undefined;
  redisTlsCaFile: string | undefined;
  /** The Prometheus endpoint (--metrics-listen); undefined = off. */
  metricsListen: MetricsListen;
  /** Bearer token scrapers must send (--metrics-token-file); undefined = none (loopback only). */
  metricsToken: SecretFile | undefined;
  /** The dashboard (--http-listen); undefined = off. */
  httpListen: HttpListen;
}

/** Where the bootstrap admin token lives unless --admin-token-file says otherwise. */
export const DEFAULT_ADMIN_TOKEN_FILE = '~/.quantgrid/admin.token';
/** --status-max-rate: settled idle agents get a quarter of it, so at 1,000 of them each is asked every 200 s (probe-schedule.ts; docs/benchmarks.md, scale). */
export const DEFAULT_STATUS_MAX_RATE = 20;

function expandHome(file: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(os.homedir(), file.slice(1)) : file;
}

function parseWeights(text: string): ScoreWeights {
  const weights: ScoreWeights = { cpu: 0, memory: 0, network: 0 };
  for (const part of text.split(',')) {
    const [name, value] = part.split('=').map((s) => s.trim());
    const number = Number(value);
    if (!(name === 'cpu' || name === 'memory' || name === 'network') || !Number.isFinite(number) || number < 0) {
      throw new InvalidArgumentError(`"${text}" is not like cpu=0.4,memory=0.3,network=0.3`);
    }
    weights[name] = number;
  }
  if (weights.cpu + weights.memory + weights.network <= 0) throw new InvalidArgumentError('weights must not all be 0');
  return weights;
}

/** "1.5" → 1.5: a factor from SPECIALTY_BONUS_RANGE.min (1: specialties count for nothing) to its max. */
export function parseSpecialtyBonus(text: string): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  const { min, max } = SPECIALTY_BONUS_RANGE;
  if (!Number.isFinite(value) || value < min || value > max) throw new InvalidArgumentError(`"${text}" is not a factor from ${min} (no bonus) to ${max}`);
  return value;
}

/** A number the refusal accepts (a straggler flag). */
function parseNumberWith(refusal: (value: number) => string | undefined): (text: string) => number {
  return (text) => {
    const value = text.trim() === '' ? Number.NaN : Number(text);
    const why = refusal(value);
    if (why) throw new InvalidArgumentError(`"${text}" ${why}`);
    return value;
  };
}

/** Every coordinator option; each has an environment variable (docs/configuration.md lists them). */
export const COORDINATOR_OPTIONS: readonly Option[] = [
  new Option('--listen <host:port>', 'address of the gRPC API (port 0 = any free port)')
    .env('QUANTGRID_LISTEN')
    .default(`127.0.0.1:${DEFAULT_COORDINATOR_PORT}`),
  noAuthOption('serve the API without tokens (every caller acts as an admin) and use agents without a node proof'),
  new Option('--admin-token-file <file>', 'the bootstrap admin token; created (mode 0600) with a new token when missing. Its path is logged, never the token')
    .env('QUANTGRID_ADMIN_TOKEN_FILE')
    .default(DEFAULT_ADMIN_TOKEN_FILE),
  clusterSecretFileOption(),
  advertiseAddressOption('QUANTGRID_API_ADVERTISE_ADDRESS', 'address agents reach this API at to fetch datasets'),
  consulOption('Consul HTTP API used to discover agents'),
  consulTokenFileOption(),
  new Option(
    '--redis <url>',
    'Redis holding the job queue (BullMQ): redis://host:port, or rediss:// for TLS; or the master Redis Sentinels name (followed through failovers): sentinel://[:password@]host:26379,host:26379/master[?db=N], or sentinels:// for TLS to the sentinels and the servers',
  )
    .env('QUANTGRID_REDIS')
    .default('redis://127.0.0.1:6379'),
  new Option('--redis-password-file <file>', 'file holding the Redis password (of the master and its replicas with sentinel://; instead of one in the URL)').env('QUANTGRID_REDIS_PASSWORD_FILE').argParser(readableFile),
  new Option('--redis-sentinel-password-file <file>', 'file holding the sentinels\' own password (their requirepass; it may differ from the master\'s), with a sentinel:// URL')
    .env('QUANTGRID_REDIS_SENTINEL_PASSWORD_FILE')
    .argParser(readableFile),
  new Option('--redis-tls-ca <file>', 'PEM CA that signed the Redis servers\' (and sentinels\') certificates (with a rediss:// or sentinels:// URL)').env('QUANTGRID_REDIS_TLS_CA').argParser(readableFile),
  new Option('--queue-prefix <prefix>', 'BullMQ key prefix; coordinators sharing it share jobs')
    .env('QUANTGRID_QUEUE_PREFIX')
    .default('quantgrid'),
  new Option('--weights <weights>', 'node score weights').env('QUANTGRID_SCORE_WEIGHTS').default('cpu=0.4,memory=0.3,network=0.3'),
  new Option('--specialty-bonus <factor>', 'score multiplier of a node specialised in a job\'s kind (agent --specialties) when placing that job\'s partitions; 1 = none')
    .env('QUANTGRID_SPECIALTY_BONUS')
    .default(String(DEFAULT_SPECIALTY_BONUS)),
  new Option('--max-attempts <n>', 'attempts per partition before the job fails').env('QUANTGRID_MAX_ATTEMPTS').default('3'),
  new Option('--quarantine <duration>', 'how long a node that keeps failing gets no work').env('QUANTGRID_QUARANTINE').default('30s'),
  new Option('--quarantine-after <n>', 'consecutive failures that quarantine a node')
    .env('QUANTGRID_QUARANTINE_AFTER')
    .default('3'),
  new Option('--heartbeat-timeout <duration>', 'silence on a partition stream that counts as a dead node')
    .env('QUANTGRID_HEARTBEAT_TIMEOUT')
    .default('1500ms'),
  new Option('--status-interval <duration>', 'least time between two status probes of one agent (load and round-trip time)')
    .env('QUANTGRID_STATUS_INTERVAL')
    .default('1s'),
  new Option('--status-max-rate <n>', 'most status probes per second over all agents that are proved and reachable (new, unverified and unreachable agents, and any whose connection broke, are asked at once); agents idle for 30 s are asked every 30 intervals at most and share a quarter of this; with more agents than it allows, each is asked less often')
    .env('QUANTGRID_STATUS_MAX_RATE')
    .default(String(DEFAULT_STATUS_MAX_RATE)),
  new Option('--job-concurrency <n>', 'jobs one coordinator runs at once').env('QUANTGRID_JOB_CONCURRENCY').default('8'),
  new Option('--job-lock <duration>', 'lock a coordinator holds on each job it runs, renewed while it lives; a crashed coordinator\'s jobs are taken over within this plus twice --stalled-interval')
    .env('QUANTGRID_JOB_LOCK')
    .default('10s'),
  new Option('--stalled-interval <duration>', 'how often coordinators look for jobs whose lock lapsed (their coordinator died)')
    .env('QUANTGRID_STALLED_INTERVAL')
    .default('5s'),
  new Option('--max-stalled <n>', 'coordinator losses a job survives before it fails (each takeover resumes it)')
    .env('QUANTGRID_MAX_STALLED')
    .default('5'),
  new Option('--retention <duration>', 'how long finished jobs and their results are kept').env('QUANTGRID_RETENTION').default('7d'),
  new Option('--retention-count <n>', 'most completed (and, separately, failed) jobs kept').env('QUANTGRID_RETENTION_COUNT').default('1000'),
  new Option('--dataset-budget <bytes>', 'most bytes of stored datasets the cluster keeps in Redis (e.g. 8GiB; 0: no limit); past it an import or append is refused (RESOURCE_EXHAUSTED)')
    .env('QUANTGRID_DATASET_BUDGET')
    .default('8GiB'),
  new Option('--partition-cache-ttl <duration>', 'how long a partition result stays reusable by identical later jobs, and units\' checkpoints by later jobs on data that extends theirs')
    .env('QUANTGRID_PARTITION_CACHE_TTL')
    .default('7d'),
  new Option('--partitions-per-slot <n>', 'partitions planned per free slot, to balance uneven nodes')
    .env('QUANTGRID_PARTITIONS_PER_SLOT')
    .default('4'),
  new Option('--straggler-ratio <x>', 'a partition running longer than this many times the median run time of its job\'s finished partitions is a straggler and gets one backup copy on a free slot of another node (the first result wins, the other copy is cancelled); 0 = no backups')
    .env('QUANTGRID_STRAGGLER_RATIO')
    .default(String(DEFAULT_STRAGGLER_RULE.ratio)),
  new Option('--straggler-done <fraction>', 'share of a job\'s partitions that must have finished before any of its partitions counts as a straggler (0 to 1)')
    .env('QUANTGRID_STRAGGLER_DONE')
    .default(String(DEFAULT_STRAGGLER_RULE.doneFraction)),
  new Option('--straggler-min-runtime <duration>', 'a partition that has run less than this is never backed up, however fast its siblings were')
    .env('QUANTGRID_STRAGGLER_MIN_RUNTIME')
    .default(`${DEFAULT_STRAGGLER_RULE.minRuntimeMs}ms`),
  new Option('--min-schedule-interval <duration>', 'shortest time allowed between two occurrences of a schedule\'s cron (AddSchedule refuses a closer one)')
    .env('QUANTGRID_MIN_SCHEDULE_INTERVAL')
    .default(`${DEFAULT_MIN_SCHEDULE_INTERVAL_MS / 1000}s`),
  new Option('--max-units <n>', 'cap on a job\'s size (e.g. symbols × parameter combinations)')
    .env('QUANTGRID_MAX_UNITS')
    .default(String(DEFAULT_SPEC_LIMITS.maxUnits)),
  new Option('--max-bars <n>', 'cap on bars per series').env('QUANTGRID_MAX_BARS').default(String(DEFAULT_SPEC_LIMITS.maxBars)),
  new Option('--max-jobs-per-user <n>', 'unfinished (queued or running) jobs one user may have at once')
    .env('QUANTGRID_MAX_JOBS_PER_USER')
    .default(String(DEFAULT_USER_QUOTA.jobs)),
  new Option('--max-queued-units-per-user <n>', 'units of work (e.g. symbol × combination) one user may have unfinished at once')
    .env('QUANTGRID_MAX_QUEUED_UNITS_PER_USER')
    .default(String(DEFAULT_USER_QUOTA.units)),
  metricsListenOption('QUANTGRID_METRICS_LISTEN', DEFAULT_COORDINATOR_METRICS_LISTEN),
  metricsTokenFileOption(),
  httpListenOption(),
  ...SERVER_TLS_OPTIONS,
  new Option('--agent-tls-ca <file>', 'CA that verifies agents\' certificates').env('QUANTGRID_AGENT_TLS_CA'),
  new Option('--agent-tls-cert <file>', 'client certificate presented to agents').env('QUANTGRID_AGENT_TLS_CERT'),
  new Option('--agent-tls-key <file>', 'client key presented to agents').env('QUANTGRID_AGENT_TLS_KEY'),
];

/** The values of the options shared with the node agent, parsed by their own argParser. */
interface SharedOptionValues extends ServerTlsValues {
  consul: ConsulEndpoint;
  consulTokenFile: SecretFile | null;
  advertiseAddress: string | null;
  metricsListen: MetricsListen;
  metricsTokenFile: SecretFile | null;
  httpListen: HttpListen;
}

/** As commander hands them over: the coordinator's own options as text, the shared ones parsed. */
type RawOptions = Record<string, unknown>;

function convert<T>(flag: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`--${flag}: ${(error as Error).message}`);
  }
}

export function toCoordinatorConfig(values: RawOptions): CoordinatorConfig {
  const raw = values as Record<string, string | undefined>;
  const shared = values as unknown as SharedOptionValues;
  const weights = convert('weights', raw.weights!, parseWeights);
  const listen = convert('listen', raw.listen!, parseHostPort);
  const auth = values.auth !== false;
  const agentTls: TlsConfig = { certFile: raw.agentTlsCert, keyFile: raw.agentTlsKey, caFile: raw.agentTlsCa };
  const redis = convert('redis', raw.redis!, parseRedisAddress);
  if (raw.redisTlsCa && !redis.tls) throw new InvalidArgumentError('--redis-tls-ca: needs a rediss:// or sentinels:// URL in --redis');
  if (raw.redisSentinelPasswordFile && redis.kind !== 'sentinel') throw new InvalidArgumentError('--redis-sentinel-password-file: needs a sentinel:// or sentinels:// URL in --redis');
  return {
    listen,
    auth,
    adminTokenFile: expandHome(raw.adminTokenFile!),
    clusterSecretFile: raw.clusterSecretFile,
    redisPasswordFile: raw.redisPasswordFile,
    redisSentinelPasswordFile: raw.redisSentinelPasswordFile,
    redisTlsCaFile: raw.redisTlsCa,
    advertiseAddress: shared.advertiseAddress ?? undefined,
    consulUrl: new URL(shared.consul.url),
    consulToken: shared.consulTokenFile ?? undefined,
    redis,
    queuePrefix: raw.queuePrefix!,
    weights,
    specialtyBonus: convert('specialty-bonus', raw.specialtyBonus!, parseSpecialtyBonus),
    maxAttempts: convert('max-attempts', raw.maxAttempts!, parsePositiveInt),
    quarantineMs: convert('quarantine', raw.quarantine!, parseDurationMs),
    quarantineAfterFailures: convert('quarantine-after', raw.quarantineAfter!, parsePositiveInt),
    heartbeatTimeoutMs: convert('heartbeat-timeout', raw.heartbeatTimeout!, parseDurationMs),
    statusIntervalMs: convert('status-interval', raw.statusInterval!, parseDurationMs),
    statusMaxRate: convert('status-max-rate', raw.statusMaxRate!, parsePositiveInt),
    jobConcurrency: convert('job-concurrency', raw.jobConcurrency!, parsePositiveInt),
    partitionsPerSlot: convert('partitions-per-slot', raw.partitionsPerSlot!, parsePositiveInt),
    straggler: {
      ratio: convert('straggler-ratio', raw.stragglerRatio!, parseNumberWith(stragglerRatioRefusal)),
      doneFraction: convert('straggler-done', raw.stragglerDone!, parseNumberWith(doneFractionRefusal)),
      minRuntimeMs: convert('straggler-min-runtime', raw.stragglerMinRuntime!, parseDurationMs),
    },
    jobLockMs: convert('job-lock', raw.jobLock!, parseDurationMs),
    stalledIntervalMs: convert('stalled-interval', raw.stalledInterval!, parseDurationMs),
    maxStalled: convert('max-stalled', raw.maxStalled!, parsePositiveInt),
    retentionMs: convert('retention', raw.retention!, parseDurationMs),
    retentionCount: convert('retention-count', raw.retentionCount!, parsePositiveInt),
    datasetBudgetBytes: convert('dataset-budget', raw.datasetBudget!, parseByteSize),
    partitionCacheTtlMs: convert('partition-cache-ttl', raw.partitionCacheTtl!, parseDurationMs),
    minScheduleIntervalMs: convert('min-schedule-interval', raw.minScheduleInterval!, parseDurationMs),
    limits: {
      maxUnits: convert('max-units', raw.maxUnits!, parsePositiveInt),
      maxBars: convert('max-bars', raw.maxBars!, parsePositiveInt),
    },
    userQuota: {
      jobs: convert('max-jobs-per-user', raw.maxJobsPerUser!, parsePositiveInt),
      units: convert('max-queued-units-per-user', raw.maxQueuedUnitsPerUser!, parsePositiveInt),
    },
    tls: serverTlsConfig(shared),
    agentTls,
    metricsListen: shared.metricsListen,
    metricsToken: shared.metricsTokenFile ?? undefined,
    httpListen: shared.httpListen,
  };
}

/** Why this configuration may not start (secure by default), or undefined. */
export function coordinatorAuthRefusal(config: CoordinatorConfig): string | undefined {
  const metrics = metricsRefusal({ listen: config.metricsListen, token: config.metricsToken });
  if (metrics) return metrics;
  const http = httpRefusal(config.httpListen, config.tls, config.auth);
  if (http) return http;
  return authRefusal({
    auth: config.auth,
    host: config.listen.host,
    clusterSecretFile: config.clusterSecretFile,
    mutualTls: Boolean(config.agentTls.certFile && config.agentTls.keyFile && config.agentTls.caFile),
    listenFlag: '--listen',
  });
}

/** Parses argv; exits with code 2 and a one-line reason on bad flags. */
export function parseCoordinatorConfig(argv: string[]): CoordinatorConfig {
  const program = new Command('quantgrid-coordinator')
    .description('The quantgrid coordinator: discovers agents in Consul, queues jobs in Redis, dispatches partitions over gRPC.')
    .showHelpAfterError(false);
  for (const option of COORDINATOR_OPTIONS) program.addOption(option);
  try {
    parseCommandLine(program, argv.slice(2));
    return toCoordinatorConfig(program.opts<RawOptions>());
  } catch (error) {
    if (error instanceof CommandLineExit && error.exitCode === 0) process.exit(0);
    process.stderr.write(`quantgrid-coordinator: ${(error as Error).message}\n`);
    process.exit(2);
  }
}

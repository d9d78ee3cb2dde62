/**
 * quantgrid node agent: wiring only. Parses the config, profiles the machine, starts the worker
 * pool, the gRPC server, the load monitor and the Consul registration, prints one ready line on
 * stdout and drains on SIGTERM/SIGINT.
 */
import { createLogger } from '../shared/logging.js';
import { DUPLICATE_SIGNAL_MS } from '../shared/duplicate-signal.js';
import { errorMessage } from '../shared/errors.js';
import { setServing } from '../shared/grpc/standard-services.js';
import { QUANTGRID_VERSION } from '../shared/version.js';
import { CommandLineExit } from '../shared/config/command-line.js';
import { CONSUL_TOKEN_FILE_FLAG } from '../shared/config/consul-token-option.js';
import { warnIfSecretFileExposed } from '../shared/config/secret-file.js';
import { agentAuthRefusal, parseAgentConfig, resolveNodeId, type AgentConfig } from './agent-config.js';
import { readMachineProfile } from './machine-profile.js';
import { LoadMonitor, systemLoadReader } from './load-monitor.js';
import { WorkerPool } from './worker-pool.js';
import { AgentService } from './agent-service.js';
import { readClusterSecretFile } from '../shared/auth/cluster-secret-file.js';
import { throttle } from '../shared/log-throttle.js';
import { formatHostPort } from '../shared/config/host-port.js';
import { NODE_AGENT_SERVICE_NAME, startAgentServer, type StartedAgentServer } from './agent-server.js';
import { DatasetCache } from './dataset-cache.js';
import { grpcStrategyFetcher, StrategyCache } from './strategy-cache.js';
import { grpcDatasetDeltaFetcher, grpcDatasetFetcher } from './dataset-fetch.js';
import { ConsulRegistration, agentCheckNote, agentServiceMeta, consulAgentApi } from './consul-registration.js';
import { AgentMetrics } from './agent-metrics.js';
import { METRICS_TOKEN_FILE_FLAG } from '../shared/metrics/metrics-options.js';
import { startMetricsServer, type MetricsServer } from '../shared/metrics/metrics-server.js';

const logger = createLogger('node-agent');

let registration: ConsulRegistration | undefined;
let exiting = false;
/** Installed once the agent is up; before that a signal just exits (nothing runs yet). */
let onSignal: ((signal: NodeJS.Signals) => void) | undefined;

/** Logs, deregisters (bounded), exits non-zero: never a silent hang. */
async function die(error: unknown, what: string): Promise<never> {
  if (!exiting) {
    exiting = true;
    logger.fatal({ err: errorMessage(error), stack: error instanceof Error ? error.stack : undefined }, what);
    setTimeout(() => process.exit(1), 5_000).unref();
    await registration?.deregister().catch(() => undefined);
  }
  process.exit(1);
}

async function start(config: AgentConfig): Promise<void> {
  warnIfSecretFileExposed(logger, CONSUL_TOKEN_FILE_FLAG, config.consulToken);
  const clusterSecret = config.clusterSecretFile ? await readClusterSecretFile(config.clusterSecretFile) : undefined;
  if (clusterSecret?.warning) logger.warn({ file: config.clusterSecretFile }, clusterSecret.warning);
  const secret = config.auth ? clusterSecret?.secret : undefined;
  if (!config.auth) logger.warn({ host: config.host }, 'authentication is off (--no-auth): any caller may run partitions here');
  const profile = await readMachineProfile(logger);
  const pool = new WorkerPool({ size: config.slots, logger, indicatorCacheBytes: config.indicatorCacheBytes, indicatorCacheGrowBytes: config.indicatorCacheGrowBytes, sandboxLimits: config.sandboxLimits });
  const load = new LoadMonitor({ busySlots: () => pool.busySlots, reader: systemLoadReader(profile.netInterface), logger });
  // The first load sample (about 0.5 s for the CPU reading) is taken while the workers start.
  const firstSample = load.start();
  await pool.start();

  let nodeId = config.nodeId ?? '';
  // Created once the service is (it reads the service's counters); no partition runs before.
  let metrics: AgentMetrics | undefined;
  const datasets = new DatasetCache({ memoryBytes: config.datasetCacheBytes, dir: config.datasetCacheDir, diskBytes: config.datasetCacheDiskBytes, fetch: grpcDatasetFetcher({ tls: config.coordinatorTls, clusterSecret: secret }), fetchSince: grpcDatasetDeltaFetcher({ tls: config.coordinatorTls, clusterSecret: secret }), logger });
  const service = new AgentService({
    nodeId: () => nodeId,
    version: QUANTGRID_VERSION,
    profile,
    load,
    pool,
    capabilities: config.capabilities,
    heartbeatMs: config.heartbeatMs,
    logger,
    datasets,
    strategies: new StrategyCache(grpcStrategyFetcher({ tls: config.coordinatorTls, clusterSecret: secret })),
    clusterSecret: secret,
    onCompleted: (kind, computeMs) => metrics?.completed(kind, computeMs),
    testOnlyPartitionDelayMs: config.testOnlyPartitionDelayMs,
  });
  if (config.testOnlyPartitionDelayMs > 0) logger.warn({ delayMs: config.testOnlyPartitionDelayMs }, 'TEST ONLY: every partition waits before it runs (QUANTGRID_TEST_ONLY_PARTITION_DELAY_MS)');
  metrics = new AgentMetrics({
    counters: service.counters,
    slots: config.slots,
    busySlots: () => pool.busySlots,
    draining: () => service.isDraining,
    cpuLoad: () => load.current().cpuLoad,
    datasets: () => datasets.stats(),
    indicatorCache: () => pool.indicatorCacheTotals(),
  });
  let server: StartedAgentServer;
  let boundPort = 0;
  try {
    server = await startAgentServer({
      host: config.host,
      port: config.port,
      tls: config.tls,
      handlers: service.handlers,
      clusterSecret: secret,
      // Proofs are for this agent's address as registered in Consul (what coordinators dial).
      address: () => (boundPort === 0 ? '' : formatHostPort(config.advertiseAddress, boundPort)),
      onRefused: throttle(1000, (suppressed, method: string, reason: string) =>
        logger.warn({ method, reason, ...(suppressed ? { suppressedSinceLast: suppressed } : {}) }, 'call refused: no valid proof of the cluster secret'),
      ),
    });
  } catch (error) {
    load.stop();
    await pool.close();
    throw error;
  }
  boundPort = server.port;
  nodeId = resolveNodeId(config, server.port);
  await firstSample;

  warnIfSecretFileExposed(logger, METRICS_TOKEN_FILE_FLAG, config.metricsToken);
  let metricsServer: MetricsServer | undefined;
  if (config.metricsListen) {
    try {
      metricsServer = await startMetricsServer({ ...config.metricsListen, registry: metrics.registry, token: config.metricsToken, tls: config.tls, log: logger });
    } catch (error) {
      await server.shutdown(2_000);
      load.stop();
      await pool.close();
      throw error;
    }
  }

  let draining = false;
  const drain = async (signal: NodeJS.Signals): Promise<void> => {
    logger.info({ signal, running: service.runningCount, drainTimeoutMs: config.drainTimeoutMs }, 'draining');
    setServing(server.health, NODE_AGENT_SERVICE_NAME, false);
    service.startDrain();
    await registration?.deregister();
    const idle = await service.waitUntilIdle(config.drainTimeoutMs);
    if (!idle) {
      logger.warn({ running: service.runningCount }, 'drain timeout: abandoning the partitions still running');
      await service.abandonRunning('DRAINING', 'the agent shut down before the partition finished; run it elsewhere');
    }
    await server.shutdown(2_000);
    await metricsServer?.close();
    load.stop();
    await pool.close();
    logger.info({ completed: service.counters.completed, failed: service.counters.failed }, 'node agent stopped');
    process.exit(0);
  };
  let firstSignalAt = 0;
  onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      // One stop request often arrives twice at once (a signal to the process group and to the
      // process, e.g. Ctrl-C under npm): only a later signal means "stop now".
      if (performance.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) {
        logger.info({ signal }, 'repeated signal ignored (already draining)');
        return;
      }
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    draining = true;
    firstSignalAt = performance.now();
    drain(signal).catch((error: unknown) => die(error, 'drain failed'));
  };

  registration = new ConsulRegistration({
    api: consulAgentApi(config.consul, config.consulToken),
    consulUrl: config.consul.url,
    tokenConfigured: config.consulToken !== undefined,
    service: {
      id: nodeId,
      address: config.advertiseAddress,
      port: server.port,
      meta: agentServiceMeta({
        cores: profile.cores,
        slots: config.slots,
        memoryTotalBytes: profile.memoryTotalBytes,
        cpuSpeedGhz: profile.cpuSpeedGhz,
        capabilities: config.capabilities,
        specialties: config.specialties,
        version: QUANTGRID_VERSION,
        metrics: metricsServer ? { port: metricsServer.port, scheme: metricsServer.url.startsWith('https') ? 'https' : 'http' } : undefined,
      }),
    },
    checkTtlMs: config.checkTtlMs,
    deregisterAfterMs: config.deregisterAfterMs,
    note: () => agentCheckNote({ busySlots: pool.busySlots, slots: config.slots, draining: service.isDraining }),
    logger,
  });
  registration.start();

  const advertised = formatHostPort(config.advertiseAddress, server.port);
  logger.info(
    { nodeId, bind: formatHostPort(config.host, server.port), advertise: advertised, metrics: metricsServer?.url ?? 'off', slots: config.slots, capabilities: config.capabilities, profile, consul: config.consul.url, consulTokenFile: config.consulToken?.file, tls: Boolean(config.tls.certFile) },
    'node agent ready',
  );
  process.stdout.write(`quantgrid-agent ready node=${nodeId} address=${advertised}${metricsServer ? ` metrics=${metricsServer.url}` : ''}\n`);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (onSignal) return onSignal(signal);
    logger.info({ signal }, 'signal before the agent was ready; exiting');
    process.exit(0);
  });
}

// Nobody reading the ready line (closed pipe) is no reason to die.
process.stdout.on('error', (error) => logger.warn({ err: errorMessage(error) }, 'stdout unavailable'));
process.on('uncaughtException', (error) => void die(error, 'uncaught exception'));
process.on('unhandledRejection', (reason) => void die(reason, 'unhandled promise rejection'));

let config: AgentConfig;
try {
  config = parseAgentConfig(process.argv.slice(2));
} catch (error) {
  if (error instanceof CommandLineExit) {
    if (error.message) process.stderr.write(`quantgrid-agent: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  throw error;
}
const refusal = agentAuthRefusal(config);
if (refusal) {
  process.stderr.write(`quantgrid-agent: ${refusal}\n`);
  process.exit(2);
}
start(config).catch((error: unknown) => die(error, 'node agent failed to start'));

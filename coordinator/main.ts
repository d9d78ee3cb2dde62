import * as grpc from '@grpc/grpc-js';
import { errorMessage } from '../shared/errors.js';
import { COORDINATOR_SERVER_OPTIONS } from '../shared/grpc/clients.js';
import { serverCredentials } from '../shared/grpc/credentials.js';
import { loadQuantgridProto } from '../shared/grpc/proto-package.js';
import { addStandardServices, setServing } from '../shared/grpc/standard-services.js';
import { createLogger } from '../shared/logging.js';
import { coordinatorAuthRefusal, parseCoordinatorConfig } from './config/coordinator-config.js';
import { createCoordinatorService } from './api/coordinator-service.js';
import { JobEventLog } from './jobs/job-event-log.js';
import { JobRunner } from './jobs/job-runner.js';
import { JobStore } from './jobs/job-store.js';
import { JobWorker } from './jobs/job-worker.js';
import { NodeDiscovery } from './nodes/node-discovery.js';
import { NodeStatusProber } from './nodes/node-status-prober.js';
import { NodeTable } from './nodes/node-table.js';
import { PartitionDispatcher } from './partitions/partition-dispatcher.js';
import { CheckpointStore } from './partitions/checkpoint-store.js';
import { PartitionLedger } from './partitions/partition-ledger.js';
import { connectRedis, duplicateRedis } from './redis/redis-connection.js';
import { redisDisplayName } from './redis/redis-address.js';
import { AuditLog } from './audit/audit-log.js';
import { installAdminToken, readClusterSecret } from './auth/auth-bootstrap.js';
import { apiAuthInterceptor } from './api/auth-interceptor.js';
import { TokenStore } from './auth/token-store.js';
import { DatasetStore } from './datasets/dataset-store.js';
import { StrategyStore } from './strategies/strategy-store.js';
import { DatasetRetention } from './datasets/dataset-retention.js';
import { jobStrategyRefs, StrategyRetention } from './strategies/strategy-retention.js';
import { DatasetReferences } from './datasets/dataset-usage.js';
import { ScheduleService } from './schedules/schedule-service.js';
import { ScheduleStore } from './schedules/schedule-store.js';
import { defaultAdvertiseAddress, isWildcard } from '../shared/config/advertise-address.js';
import { formatHostPort } from '../shared/config/host-port.js';
import { DUPLICATE_SIGNAL_MS } from '../shared/duplicate-signal.js';
import { CONSUL_TOKEN_FILE_FLAG } from '../shared/config/consul-token-option.js';
import { warnIfSecretFileExposed } from '../shared/config/secret-file.js';
import { METRICS_TOKEN_FILE_FLAG } from '../shared/metrics/metrics-options.js';
import { startMetricsServer, type MetricsServer } from '../shared/metrics/metrics-server.js';
import { JobLog } from './jobs/job-log.js';
import { CoordinatorMetrics } from './metrics/coordinator-metrics.js';
import { JobViews } from './api/job-views.js';
import { ClusterSamples } from './dashboard/cluster-samples.js';
import { startDashboardServer, type DashboardServer } from './dashboard/http-server.js';

const SERVICE_NAME = 'quantgrid.v1.Coordinator';
const HEARTBEAT_MS = 300;
/** How often the coordinator looks for stored datasets past the retention time and strategy bundles that nothing refers to. */
const RETENTION_SWEEP_MS = 3_600_000;

async function main(): Promise<void> {
  const config = parseCoordinatorConfig(process.argv);
  const refusal = coordinatorAuthRefusal(config);
  if (refusal) {
    process.stderr.write(`quantgrid-coordinator: ${refusal}\n`);
    process.exit(2);
  }
  const log = createLogger('coordinator');
  const stopping = new AbortController();

  let shutdown: (signal: string) => Promise<void> = async () => process.exit(130);
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping.signal.aborted) {
        // The same stop request delivered twice is not a second one; a later signal: leave now.
        if (performance.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
        process.exit(130);
      }
      firstSignalAt = performance.now();
      stopping.abort();
      void shutdown(signal);
    });
  }

  const clusterSecret = await readClusterSecret(config.clusterSecretFile, log);
  if (!config.auth) log.warn({ listen: config.listen.host }, 'authentication is off (--no-auth): every caller acts as an admin, and agents are used without proving the cluster secret');
  const table = new NodeTable(
    {
      weights: config.weights,
      specialtyBonus: config.specialtyBonus,
      quarantineMs: config.quarantineMs,
      quarantineAfterFailures: config.quarantineAfterFailures,
      agentTls: config.agentTls,
      clusterSecret: config.auth ? clusterSecret : undefined,
    },
    log,
  );
  warnIfSecretFileExposed(log, CONSUL_TOKEN_FILE_FLAG, config.consulToken);
  const discovery = new NodeDiscovery(config.consulUrl, log, config.consulToken);
  discovery.on('nodes', (nodes) => table.applyDiscovery(nodes));
  discovery.start();
  const prober = new NodeStatusProber(table, { intervalMs: config.statusIntervalMs, maxPerSecond: config.statusMaxRate }, log, config.auth ? clusterSecret : undefined);
  prober.start();
  // Where agents fetch stored datasets: this API's advertised address, known once the port is bound.
  let datasetSource = '';
  const redis = await connectRedis(
    { address: config.redis, passwordFile: config.redisPasswordFile, sentinelPasswordFile: config.redisSentinelPasswordFile, tlsCaFile: config.redisTlsCaFile },
    log,
    stopping.signal,
  );
  const retention = { age: Math.ceil(config.retentionMs / 1000), count: config.retentionCount };
  const ledger = new PartitionLedger(duplicateRedis(redis, log, 'partition ledger'), config.queuePrefix, retention.age, Math.ceil(config.partitionCacheTtlMs / 1000));
  // API reads and writes fail fast when Redis is down instead of queueing behind the reconnect.
  const apiRedis = duplicateRedis(redis, log, 'api', { maxRetriesPerRequest: 1 });
  const hub = new JobEventLog(duplicateRedis(redis, log, 'event log'), config.queuePrefix, retention.age, log, apiRedis);
  const strategies = new StrategyStore(apiRedis, config.queuePrefix);
  const store = new JobStore(apiRedis, config.queuePrefix, retention, log);
  const metrics: CoordinatorMetrics = new CoordinatorMetrics({
    table,
    queuedPartitions: () => dispatcher.queuedCount,
    runningPartitions: () => dispatcher.runningCount,
    jobCounts: (...states) => store.queue.getJobCounts(...states),
    redis: apiRedis,
  });
  const dispatcher: PartitionDispatcher = new PartitionDispatcher(
    table,
    { maxAttempts: config.maxAttempts, heartbeatTimeoutMs: config.heartbeatTimeoutMs, heartbeatMs: HEARTBEAT_MS, datasetSource: () => datasetSource, observer: metrics, straggler: config.straggler },
    log,
  );
  const jobLog = new JobLog(duplicateRedis(redis, log, 'job log'), config.queuePrefix, retention.age, log, apiRedis);
  const datasets = new DatasetStore(store.connection, config.queuePrefix, { budgetBytes: config.datasetBudgetBytes });
  datasets
    .migrate()
    .then((count) => count > 0 && log.info({ datasets: count }, 'datasets stored whole cut into chunks'))
    .catch((error) => log.warn({ err: errorMessage(error) }, 'datasets stored whole not cut into chunks (they stay readable)'));
  const checkpoints = new CheckpointStore(duplicateRedis(redis, log, 'checkpoints'), config.queuePrefix, Math.ceil(config.partitionCacheTtlMs / 1000));
  const runner = new JobRunner(table, dispatcher, hub, { partitionsPerSlot: config.partitionsPerSlot }, log, ledger, jobLog, strategies, { checkpoints, lineage: datasets });
  const worker = new JobWorker(store, runner, config.jobConcurrency, log, {
    lockMs: config.jobLockMs,
    stalledIntervalMs: config.stalledIntervalMs,
    maxStalled: config.maxStalled,
  });
  const schedules = new ScheduleService(store, new ScheduleStore(store.connection, config.queuePrefix), datasets, config.limits, log, config.minScheduleIntervalMs, strategies);
  worker.hooks = schedules.hooks;
  worker.metrics = metrics;
  worker.start(duplicateRedis(redis, log, 'job worker'));
  schedules.reconcile().catch((error) => log.warn({ err: errorMessage(error) }, 'schedules not reconciled'));

  const tokens = new TokenStore(apiRedis, `${config.queuePrefix}:`);
  const audit = new AuditLog(apiRedis, config.retentionMs, `${config.queuePrefix}:audit`);
  const datasetReferences = new DatasetReferences({ store: datasets, unfinishedJobs: () => store.unfinished(), keptJobs: () => store.list(Number.MAX_SAFE_INTEGER), schedules: () => schedules.templates() });
  const datasetRetention = new DatasetRetention(datasets, datasetReferences, config.retentionMs, audit, log);
  datasetRetention.start(RETENTION_SWEEP_MS);
  const strategyRetention = new StrategyRetention(strategies, async () => (await store.list(Number.MAX_SAFE_INTEGER)).flatMap(jobStrategyRefs), audit, log);
  strategyRetention.start(RETENTION_SWEEP_MS);
  if (config.auth) await installAdminToken(config.adminTokenFile, tokens, log);
  const server = new grpc.Server({
    ...COORDINATOR_SERVER_OPTIONS,
    interceptors: [
      apiAuthInterceptor({ service: SERVICE_NAME, tokens: config.auth ? tokens : undefined, clusterSecret, address: () => datasetSource, mutualTls: Boolean(config.tls.caFile), log }),
    ],
  });
  const { proto } = loadQuantgridProto();
  server.addService(proto.quantgrid.v1.Coordinator.service, createCoordinatorService({ store, runner, table, limits: config.limits, log, datasets, datasetReferences, schedules, tokens, audit, quota: config.userQuota, strategies }));
  const health = addStandardServices(server, SERVICE_NAME);
  const bindAddress = formatHostPort(config.listen.host, config.listen.port);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(bindAddress, serverCredentials(config.tls), (error, boundPort) => (error ? reject(error) : resolve(boundPort))),
  );

  const advertiseHost = config.advertiseAddress ?? defaultAdvertiseAddress(config.listen.host);
  datasetSource = formatHostPort(advertiseHost, port);

  warnIfSecretFileExposed(log, METRICS_TOKEN_FILE_FLAG, config.metricsToken);
  let metricsServer: MetricsServer | undefined;
  if (config.metricsListen) {
    metricsServer = await startMetricsServer({ ...config.metricsListen, registry: metrics.registry, token: config.metricsToken, tls: config.tls, log });
    metrics.start();
  }

  let dashboard: DashboardServer | undefined;
  if (config.httpListen) {
    const samples = new ClusterSamples({ redis: apiRedis, prefix: config.queuePrefix, table, completed: () => metrics.completedAttempts, log });
    const deps = { store, runner, jobs: new JobViews(store, runner), table, schedules, datasets, datasetReferences, audit, quota: config.userQuota, tokens: config.auth ? tokens : undefined, samples, log };
    dashboard = await startDashboardServer({ ...config.httpListen, tls: config.tls, deps });
  }

  shutdown = async (signal) => {
    log.info({ signal }, 'shutting down');
    setServing(health, SERVICE_NAME, false);
    const forceExit = setTimeout(() => process.exit(1), 10_000);
    forceExit.unref();
    try {
      await worker.close();
      await hub.flush();
      await jobLog.flush();
      metrics.stop();
      await metricsServer?.close();
      await dashboard?.close();
      dispatcher.close();
      discovery.stop();
      prober.stop();
      datasetRetention.stop();
      strategyRetention.stop();
      table.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      await store.close();
      store.connection.disconnect();
      redis.disconnect();
    } catch (error) {
      log.warn({ err: errorMessage(error) }, 'unclean shutdown');
    }
    process.exit(0);
  };

  const shownHost = isWildcard(config.listen.host) ? '127.0.0.1' : config.listen.host;
  log.info({ port, datasetSource, consul: config.consulUrl.href, redis: redisDisplayName(config.redis), metrics: metricsServer?.url ?? 'off', dashboard: dashboard?.url ?? 'off' }, 'coordinator ready');
  process.stdout.write(`quantgrid-coordinator ready address=${shownHost}:${port}${metricsServer ? ` metrics=${metricsServer.url}` : ''}${dashboard ? ` http=${dashboard.url}` : ''}\n`);
}

main().catch((error) => {
  process.stderr.write(`quantgrid-coordinator: ${errorMessage(error)}\n`);
  process.exit(1);
});

import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { Logger } from '../../shared/logging.js';
import type { SpecLimits } from '../../shared/tasks/task-kind.js';
import type { DatasetStore } from '../datasets/dataset-store.js';
import type { DatasetReferences } from '../datasets/dataset-usage.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobStore } from '../jobs/job-store.js';
import type { NodeTable } from '../nodes/node-table.js';
import type { ScheduleService } from '../schedules/schedule-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { TokenStore } from '../auth/token-store.js';
import type { UserQuota } from '../jobs/user-quota.js';
import { createAuthHandlers } from './auth-rpc.js';
import { createDatasetHandlers } from './dataset-rpc.js';
import { createJobHandlers } from './job-rpc.js';
import { JobViews } from './job-views.js';
import { createNodeHandlers } from './node-rpc.js';
import { createScheduleHandlers } from './schedule-rpc.js';
import { createStrategyHandlers } from './strategy-rpc.js';
import type { StrategyStore } from '../strategies/strategy-store.js';
import { createWatchJob } from './watch-job.js';
import { createGetJobLog } from './job-log-rpc.js';

export interface CoordinatorServiceDeps {
  store: JobStore;
  runner: JobRunner;
  table: NodeTable;
  limits: SpecLimits;
  log: Logger;
  datasets: DatasetStore;
  datasetReferences: DatasetReferences;
  schedules: ScheduleService;
  tokens: TokenStore;
  audit: AuditLog;
  quota: UserQuota;
  strategies: StrategyStore;
}

/**
 * The Coordinator service, every RPC. Handlers return their answer or throw a typed error
 * (shared/errors.ts); rpc-handlers.ts sends one or the other, mapped by grpc-status.ts.
 */
export function createCoordinatorService({ store, runner, table, limits, log, datasets, datasetReferences, schedules, tokens, audit, quota, strategies }: CoordinatorServiceDeps): CoordinatorHandlers {
  const jobs = new JobViews(store, runner);
  return {
    ...createJobHandlers({ store, runner, jobs, datasets, strategies, limits, audit, quota, log }),
    WatchJob: createWatchJob(runner.hub, jobs, log),
    GetJobLog: createGetJobLog(runner.jobLog, jobs, log),
    ...createNodeHandlers(table, log),
    ...createDatasetHandlers(datasets, datasetReferences, audit, log),
    ...createScheduleHandlers(schedules, audit, log),
    ...createAuthHandlers(tokens, audit, log),
    ...createStrategyHandlers(strategies, audit, log),
  };
}

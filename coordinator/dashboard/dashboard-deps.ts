import type { Logger } from '../../shared/logging.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { TokenStore } from '../auth/token-store.js';
import type { DatasetStore } from '../datasets/dataset-store.js';
import type { DatasetReferences } from '../datasets/dataset-usage.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobStore } from '../jobs/job-store.js';
import type { UserQuota } from '../jobs/user-quota.js';
import type { NodeTable } from '../nodes/node-table.js';
import type { ScheduleService } from '../schedules/schedule-service.js';
import type { JobViews } from '../api/job-views.js';
import type { ClusterSamples } from './cluster-samples.js';

/** The coordinator's services the dashboard reads and acts through (the same as the gRPC API's). */
export interface DashboardDeps {
  store: JobStore;
  runner: JobRunner;
  jobs: JobViews;
  table: NodeTable;
  schedules: ScheduleService;
  datasets: DatasetStore;
  datasetReferences: DatasetReferences;
  audit: AuditLog;
  quota: UserQuota;
  /** Undefined: authentication is off (--no-auth). */
  tokens: TokenStore | undefined;
  samples: ClusterSamples;
  log: Logger;
}

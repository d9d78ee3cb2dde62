import type { Role } from '../../shared/auth/roles.js';

/**
 * The least role each Coordinator RPC needs. What a role may do to others' jobs and schedules
 * beyond this (a submitter cancels only its own) is checked by the handler. An RPC missing here is
 * refused to everyone but admins, so a new RPC is never open by accident (a unit test checks that
 * every RPC of the proto is listed).
 */
export const RPC_ROLES: Readonly<Record<string, Role>> = {
  GetJob: 'viewer',
  WatchJob: 'viewer',
  GetJobLog: 'viewer',
  ListJobs: 'viewer',
  ListNodes: 'viewer',
  ListDatasets: 'viewer',
  FetchDataset: 'viewer',
  ListStrategies: 'viewer',
  GetStrategy: 'viewer',
  FetchStrategy: 'viewer',
  ListSchedules: 'viewer',
  WhoAmI: 'viewer',
  GetJobResult: 'viewer',
  SubmitJob: 'submitter',
  CancelJob: 'submitter',
  ImportDataset: 'submitter',
  ImportDatasetStream: 'submitter',
  AppendDatasetStream: 'submitter',
  TagDataset: 'submitter',
  RemoveDataset: 'submitter',
  PushStrategy: 'submitter',
  RemoveStrategy: 'submitter',
  AddSchedule: 'submitter',
  RemoveSchedule: 'submitter',
  PauseSchedule: 'submitter',
  ResumeSchedule: 'submitter',
  RunScheduleNow: 'submitter',
  CreateToken: 'admin',
  ListTokens: 'admin',
  RevokeToken: 'admin',
  ListAudit: 'admin',
};

/** RPCs a node agent may call with its proof of the cluster secret instead of a token. */
export const NODE_RPCS: ReadonlySet<string> = new Set(['FetchDataset', 'FetchStrategy']);

export function requiredRole(rpc: string): Role {
  return RPC_ROLES[rpc] ?? 'admin';
}

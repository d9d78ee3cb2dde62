/**
 * The API's records (proto-shaped, as the gRPC handlers build them) as the dashboard's JSON types
 * (shared/dashboard/api-types.ts): plain numbers, no results inline.
 */
import type { DatasetTagView, DatasetView, JobEventView, JobProgress, JobStatus, JobSummary, LoadSample, NodeView, ScheduleRunView, ScheduleView } from '../../shared/dashboard/api-types.js';
import type { DatasetInfo } from '../../shared/generated/quantgrid/v1/DatasetInfo.js';
import type { DatasetTag } from '../../shared/generated/quantgrid/v1/DatasetTag.js';
import type { Job } from '../../shared/generated/quantgrid/v1/Job.js';
import type { JobEvent } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import type { JobProgress as ProtoProgress } from '../../shared/generated/quantgrid/v1/JobProgress.js';
import type { NodeInfo } from '../../shared/generated/quantgrid/v1/NodeInfo.js';
import type { Schedule } from '../../shared/generated/quantgrid/v1/Schedule.js';
import { toJobProgress } from '../jobs/job-model.js';
import { selectTaskKind } from '../../shared/tasks/registry.js';
import type { NodeState } from '../../shared/node-state.js';

const num = (value: unknown): number => Number(value ?? 0) || 0;

/** The task kind's name ("market-analysis") a JobSpec selects, '' when none. */
function kindNameOf(spec: unknown): string {
  if (!spec || typeof spec !== 'object') return '';
  try {
    return selectTaskKind(spec as Record<string, unknown>).kind.name;
  } catch {
    return '';
  }
}

export function toProgress(progress: ProtoProgress | null | undefined): JobProgress {
  const p = progress ?? toJobProgress(undefined);
  return {
    partitionsTotal: num(p.partitionsTotal),
    partitionsDone: num(p.partitionsDone),
    partitionsRunning: num(p.partitionsRunning),
    retries: num(p.retries),
    runningNodes: [...(p.runningNodes ?? [])],
    etaSeconds: p.etaSeconds === undefined ? -1 : num(p.etaSeconds),
    partitionsReused: num(p.partitionsReused),
    partitionsRecovered: num(p.partitionsRecovered),
    backups: num(p.backups),
    backupsWon: num(p.backupsWon),
    unitsContinued: num(p.unitsContinued),
    unitsRejected: num(p.unitsRejected),
    unitsFull: num(p.unitsFull),
    barsSimulated: num(p.barsSimulated),
    continuedFrom: p.continuedFrom ?? '',
  };
}

/** A job (JobStore's view) as listed; `resultBytes` when the view carries no result (a listing). */
export function toJobSummary(job: Job, resultBytes?: number): JobSummary {
  return {
    id: job.id ?? '',
    kind: job.kind ?? '',
    name: job.name ?? '',
    owner: job.owner ?? '',
    schedule: job.schedule ?? '',
    status: String(job.status ?? 'JOB_STATUS_QUEUED') as JobStatus,
    progress: toProgress(job.progress),
    createdAtMs: num(job.createdAtMs),
    startedAtMs: num(job.startedAtMs),
    finishedAtMs: num(job.finishedAtMs),
    error: job.error ?? '',
    resultBytes: resultBytes ?? num(job.resultBytes ?? Buffer.byteLength(job.resultJson ?? '', 'utf8')),
  };
}

export function toJobEventView(event: JobEvent, eventId = event.eventId ?? ''): JobEventView {
  return {
    eventId,
    jobId: event.jobId ?? '',
    type: event.type as JobEventView['type'],
    timeMs: num(event.timeMs),
    partition: event.partition ?? -1,
    nodeId: event.nodeId ?? '',
    attempt: num(event.attempt),
    message: event.message ?? '',
    status: (event.status ?? 'JOB_STATUS_RUNNING') as JobStatus,
    ...(event.progress ? { progress: toProgress(event.progress) } : {}),
    failover: event.failover === true,
    backup: event.backup === true,
  };
}

export function toNodeView(node: NodeInfo & { score: NodeView['score'] }, cache: { datasetCacheHits: number; datasetCacheMisses: number }, loadHistory: LoadSample[]): NodeView {
  return {
    id: node.id ?? '',
    address: node.address ?? '',
    state: node.state as NodeState,
    stateReason: node.stateReason ?? '',
    slots: num(node.slots),
    busySlots: num(node.busySlots),
    cores: num(node.cores),
    cpuSpeedGhz: num(node.cpuSpeedGhz),
    memoryTotalBytes: num(node.memoryTotalBytes),
    memoryAvailableBytes: num(node.memoryAvailableBytes),
    cpuLoad: num(node.cpuLoad),
    rttMs: num(node.rttMs),
    capabilities: [...(node.capabilities ?? [])],
    specialties: [...(node.specialties ?? [])],
    version: node.version ?? '',
    score: node.score,
    quarantinedUntilMs: num(node.quarantinedUntilMs),
    datasetCacheHits: cache.datasetCacheHits,
    datasetCacheMisses: cache.datasetCacheMisses,
    loadHistory,
  };
}

export function toScheduleView(schedule: Schedule, recentRuns: JobSummary[]): ScheduleView {
  const last = schedule.lastRun;
  const lastRun: ScheduleRunView | undefined = last
    ? {
        jobId: last.jobId ?? '',
        scheduledAtMs: num(last.scheduledAtMs),
        status: (last.status ?? 'JOB_STATUS_UNSPECIFIED') as ScheduleRunView['status'],
        skipped: last.skipped === true,
        reason: last.reason ?? '',
        manual: last.manual === true,
      }
    : undefined;
  return {
    name: schedule.name ?? '',
    cron: schedule.cron ?? '',
    tz: schedule.tz ?? '',
    missed: schedule.missed ?? '',
    graceSeconds: num(schedule.graceSeconds),
    paused: schedule.paused === true,
    owner: schedule.owner ?? '',
    createdAtMs: num(schedule.createdAtMs),
    nextRunMs: num(schedule.nextRunMs),
    kind: kindNameOf(schedule.template?.spec),
    jobName: schedule.template?.name ?? '',
    ...(lastRun ? { lastRun } : {}),
    recentRuns,
  };
}

export function toDatasetView(info: DatasetInfo): DatasetView {
  return {
    id: info.id ?? '',
    symbol: info.symbol ?? '',
    timeframe: info.timeframe ?? '',
    bars: num(info.bars),
    firstTimeMs: num(info.firstTimeMs),
    lastTimeMs: num(info.lastTimeMs),
    bytes: num(info.bytes),
    importedAtMs: num(info.importedAtMs),
    owner: info.owner ?? '',
    parentId: info.parentId ?? '',
    parentBars: num(info.parentBars),
    appendedBars: num(info.appendedBars),
    tags: [...(info.tags ?? [])],
  };
}

export function toDatasetTagView(tag: DatasetTag): DatasetTagView {
  return { name: tag.name ?? '', id: tag.id ?? '', owner: tag.owner ?? '', updatedAtMs: num(tag.updatedAtMs) };
}

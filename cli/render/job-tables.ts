import type { Job__Output } from '../../shared/generated/quantgrid/v1/Job.js';
import type { JobSpec__Output } from '../../shared/generated/quantgrid/v1/JobSpec.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import {
  formatDuration,
  formatEta,
  formatProgress,
  formatTimestamp,
  jobDurationMs,
  NONE,
  statusName,
} from './format.js';
import { renderKeyValueTable, renderTable } from './table.js';
import { cliKindOfSpec } from '../kinds/index.js';
import { unitsText } from './event-lines.js';

/** One line describing what a job computes (its kind's own description, cli/kinds/). */
export function describeSpec(spec: JobSpec__Output | null | undefined): string {
  const cli = cliKindOfSpec(spec);
  const member = cli && spec ? (spec as unknown as Record<string, unknown>)[cli.kind.specMember] : undefined;
  return cli && member ? cli.describeSpec(member) : NONE;
}

/** The kind's name of a JobSpec (its oneof member), as every listing spells it. */
export function kindOfSpec(spec: JobSpec__Output | null | undefined): string {
  return cliKindOfSpec(spec)?.kind.name ?? NONE;
}

/** The details of one job (without its result). */
export function renderJobDetails(job: Job__Output, nowMs: number): string {
  const progress = job.progress;
  const rows: Array<[string, string]> = [
    ['id', job.id],
    ['name', job.name || NONE],
    ...(job.schedule ? [['schedule', job.schedule] as [string, string]] : []),
    ['kind', job.kind || NONE],
    ['owner', job.owner || NONE],
    ['spec', describeSpec(job.spec)],
    ['status', statusName(job.status)],
    ['progress', formatProgress(progress)],
  ];
  if (progress && !isTerminalStatus(job.status) && progress.partitionsRunning > 0) {
    rows.push(['running', `${progress.partitionsRunning} partitions on ${progress.runningNodes.join(', ') || 'unknown nodes'}`]);
    rows.push(['eta', formatEta(progress.etaSeconds)]);
  }
  rows.push(['retries', String(progress?.retries ?? 0)]);
  if (progress && progress.backups > 0) rows.push(['backups', `${progress.backups} straggler backup cop${progress.backups === 1 ? 'y' : 'ies'} on other nodes, ${progress.backupsWon} finished first`]);
  if (progress && progress.partitionsReused > 0) rows.push(['reused', `${progress.partitionsReused} partitions from the result cache`]);
  if (progress && unitsText(progress)) rows.push(['units', unitsText(progress)]);
  if (progress?.continuedFrom) rows.push(['continued', `from an identical earlier job on dataset ${progress.continuedFrom}`]);
  if (progress && progress.partitionsRecovered > 0) rows.push(['recovered', `${progress.partitionsRecovered} partitions finished before a coordinator took the job over`]);
  rows.push(['created', formatTimestamp(job.createdAtMs)]);
  rows.push(['started', formatTimestamp(job.startedAtMs)]);
  rows.push(['finished', formatTimestamp(job.finishedAtMs)]);
  rows.push(['duration', formatDuration(jobDurationMs(job, nowMs))]);
  if (job.error) rows.push(['error', job.error]);
  return renderKeyValueTable(rows);
}

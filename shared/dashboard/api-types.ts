/**
 * The dashboard's HTTP API (docs/dashboard.md): every path, header, query parameter and JSON body
 * the coordinator's HTTP server (coordinator/dashboard/) answers and the browser bundle
 * (dashboard-ui/) sends. Plain types and constants only: importable by both, no Node imports.
 *
 * Names are the project's: job statuses are the proto's JobStatus names (JOB_STATUS_RUNNING …),
 * node states NodeTable's, fields the proto's in camelCase (as the gRPC API's JSON and `--json`).
 * Numbers are plain JSON numbers (epoch milliseconds for times, bytes for sizes).
 */
import type { Role } from '../auth/roles.js';
import type { ErrorKind } from '../errors.js';
import type { BacktestResult } from '../tasks/backtest/merge.js';
import type { MarketAnalysisResult } from '../tasks/market-analysis/merge.js';
import type { NoopResult } from '../tasks/noop/index.js';
import type { JobEventType__Output } from '../generated/quantgrid/v1/JobEventType.js';
import type { JobStatus__Output } from '../generated/quantgrid/v1/JobStatus.js';
import type { JobStatusFilter } from '../job-status.js';
import type { NodeState } from '../node-state.js';

export type { JobStatusFilter, NodeState };
export { NODE_STATES } from '../node-state.js';

// ─── Paths ──────────────────────────────────────────────────────────────────────────────────────

/** Fixed paths. Parameterised ones: the functions below (ids are URI-encoded). */
export const API = {
  login: '/api/login',
  logout: '/api/logout',
  me: '/api/me',
  overview: '/api/overview',
  nodes: '/api/nodes',
  jobs: '/api/jobs',
  schedules: '/api/schedules',
  datasets: '/api/datasets',
  /** Server-sent events: overview and node snapshots, and a `job` message whenever a job changes (StreamEvent). */
  stream: '/api/stream',
} as const;

/** Every API path starts with this; any other GET is the UI (index.html for the SPA's routes). */
export const API_PREFIX = '/api/';

const seg = (value: string): string => encodeURIComponent(value);
export const jobPath = (id: string): string => `/api/jobs/${seg(id)}`;
export const jobTimelinePath = (id: string): string => `${jobPath(id)}/timeline`;
/** ?after=<eventId>&limit=N (JobEventsQuery). */
export const jobEventsPath = (id: string): string => `${jobPath(id)}/events`;
/** ?after=<line id>&limit=N (JobLogQuery). */
export const jobLogsPath = (id: string): string => `${jobPath(id)}/logs`;
export const jobResultPath = (id: string): string => `${jobPath(id)}/result`;
/** The ranking (backtest: `top`, or `table` with full_table; market analysis: its rows) as CSV, with a Content-Disposition file name. */
export const jobResultCsvPath = (id: string): string => `${jobPath(id)}/result.csv`;
/** Server-sent events of one job (JobStreamEvent), from its event log in Redis; resumes after Last-Event-ID. */
export const jobStreamPath = (id: string): string => `${jobPath(id)}/stream`;
/** POST; submitter (own jobs) or admin. Answers JobDetail. */
export const jobCancelPath = (id: string): string => `${jobPath(id)}/cancel`;
/** POST; submitter. Submits the job's spec again as a new job (owned by the caller). Answers RerunResponse. */
export const jobRerunPath = (id: string): string => `${jobPath(id)}/rerun`;
/** POST; submitter (own schedules) or admin. Answers ScheduleView. */
export const schedulePausePath = (name: string): string => `/api/schedules/${seg(name)}/pause`;
export const scheduleResumePath = (name: string): string => `/api/schedules/${seg(name)}/resume`;
/** POST; answers RerunResponse (the job the run submitted). */
export const scheduleRunPath = (name: string): string => `/api/schedules/${seg(name)}/run`;
/** DELETE a version (id, sha256: optional) or a tag (only the tag); ?force=true even while used. Answers DatasetRemoved. */
export const datasetPath = (idOrTag: string): string => `/api/datasets/${seg(idOrTag)}`;
/** ?points=N (2 … MAX_CLOSE_POINTS, default DEFAULT_CLOSE_POINTS). Answers DatasetCloses. */
export const datasetClosesPath = (id: string): string => `${datasetPath(id)}/closes`;

// ─── Auth, CSRF, errors ─────────────────────────────────────────────────────────────────────────

/** The session cookie (HttpOnly, SameSite=Strict, Path=/, Secure under TLS) set by POST /api/login. */
export const SESSION_COOKIE = 'quantgrid_session';
/**
 * Every POST and DELETE must carry this header with this value (a cross-site form cannot set it; a
 * cross-site script cannot without CORS, which the server never grants), else 403. Login too.
 */
export const CSRF_HEADER = 'X-Requested-With';
export const CSRF_HEADER_VALUE = 'quantgrid-dashboard';

/** POST /api/login: an API token (quantgrid token create), checked against the coordinator's token store. */
export interface LoginRequest {
  token: string;
}

/** POST /api/login and GET /api/me. */
export interface MeResponse {
  user: string;
  role: Role;
  /** Authentication is off (--no-auth): everyone is an anonymous admin, no login needed. */
  authDisabled: boolean;
}

/**
 * Every error answer (4xx/5xx). `kind` is the project's error kind (as the gRPC status of the same
 * failure): 400 invalid-argument, 401 unauthenticated, 403 permission-denied (message names the role
 * needed), 404 not-found, 409 already-exists / failed-precondition, 429 resource-exhausted,
 * 503 unavailable (the message names the store), 500 internal.
 */
export interface ErrorResponse {
  error: {
    kind: ErrorKind;
    message: string;
    /** The request field at fault (invalid-argument), e.g. "limit". */
    field?: string;
  };
}

// ─── Jobs ───────────────────────────────────────────────────────────────────────────────────────

/** The proto's JobStatus names (UNSPECIFIED never describes a job). */
export type JobStatus = Exclude<JobStatus__Output, 'JOB_STATUS_UNSPECIFIED'>;

export interface JobProgress {
  partitionsTotal: number;
  partitionsDone: number;
  partitionsRunning: number;
  retries: number;
  runningNodes: string[];
  /** < 0 when unknown. */
  etaSeconds: number;
  partitionsReused: number;
  partitionsRecovered: number;
  unitsContinued: number;
  unitsRejected: number;
  unitsFull: number;
  barsSimulated: number;
  continuedFrom: string;
  /** Backup copies of stragglers started, and those that finished first. */
  backups: number;
  backupsWon: number;
}

/** A job as listed: everything but its spec and result. */
export interface JobSummary {
  id: string;
  kind: string;
  name: string;
  owner: string;
  /** The schedule that submitted it ('' for none). */
  schedule: string;
  status: JobStatus;
  progress: JobProgress;
  createdAtMs: number;
  /** 0 before it starts / ends. */
  startedAtMs: number;
  finishedAtMs: number;
  /** Why it failed or was cancelled ('' otherwise). */
  error: string;
  /** Size of the result's JSON; 0 = none (yet). */
  resultBytes: number;
}

/** GET /api/jobs/:id: the summary with the spec as it runs (validated, defaults applied), as GetJob's. */
export interface JobDetail extends JobSummary {
  spec: unknown;
  /** Who may act on it, for the page's buttons (the server checks again). */
  canCancel: boolean;
  canRerun: boolean;
}

/**
 * GET /api/jobs query. Filters combine (AND); `name` matches a part of the name, case-insensitive;
 * the others exactly. Newest first. `page` counts from 1; `limit` 1 … LIST_JOBS_MAX (default DEFAULT_JOBS_PAGE).
 */
export interface JobsQuery {
  status?: JobStatusFilter;
  owner?: string;
  kind?: string;
  name?: string;
  schedule?: string;
  page?: number;
  limit?: number;
}

export const DEFAULT_JOBS_PAGE = 50;

export interface JobsResponse {
  jobs: JobSummary[];
  /** Jobs matching the filters, over all pages. */
  total: number;
  page: number;
  limit: number;
  /** ceil(total / limit), at least 1. */
  pages: number;
}

/** How one attempt of a partition ended, as the timeline colours it. */
export type TimelineOutcome =
  /** It returned its result. */
  | 'completed'
  /** It failed and the partition was run again elsewhere (an error, a broken stream). */
  | 'retried'
  /** Its node was found gone (dead, cut off, silent): the partition went to another node. */
  | 'failover'
  /** It failed with no attempt left, or deterministically: the job failed. */
  | 'failed'
  /** The job was cancelled (or failed elsewhere) while it ran. */
  | 'cancelled'
  /** One of a straggler's two copies: the other finished first, and this one was cancelled. */
  | 'superseded'
  /** One of a straggler's two copies: it failed while the other ran on (nothing was retried). */
  | 'dropped'
  /** Still running. */
  | 'running';

/** One attempt of one partition, a bar in the timeline's lane (nodeId, slot). */
export interface TimelineAttempt {
  partition: number;
  /** 1 for the first attempt. */
  attempt: number;
  nodeId: string;
  /** The lane on its node: 0 … the most attempts the node ran at once − 1. */
  slot: number;
  startMs: number;
  /** 0 while running. */
  endMs: number;
  outcome: TimelineOutcome;
  /** The retry or failure cause ('' otherwise). */
  message: string;
  /** A backup copy of a straggler, run beside the attempt it copies. */
  backup: boolean;
}

/** GET /api/jobs/:id/timeline: derived from the job's event log (any coordinator's). */
export interface TimelineResponse {
  jobId: string;
  /** Lanes in order: by node id, then slot. */
  lanes: Array<{ nodeId: string; slot: number }>;
  attempts: TimelineAttempt[];
  /** The first attempt's start and the last end (or now, while running); 0 with no attempts. */
  startMs: number;
  endMs: number;
  /** Partitions taken from the result cache or recovered after a takeover: no attempt ran here. */
  partitionsReused: number;
  partitionsRecovered: number;
}

export type JobEventType = Exclude<JobEventType__Output, 'JOB_EVENT_TYPE_UNSPECIFIED'>;

/** A job event as WatchJob sends it (without any result: GET …/result has it). */
export interface JobEventView {
  /** Position in the job's event log ('' on a stream's first snapshot). */
  eventId: string;
  jobId: string;
  type: JobEventType;
  timeMs: number;
  /** -1 when not about a partition. */
  partition: number;
  nodeId: string;
  attempt: number;
  message: string;
  status: JobStatus;
  progress?: JobProgress;
  /** PARTITION_RETRIED: the node was found gone (failover) rather than the attempt failing. */
  failover: boolean;
  /** PARTITION_STARTED, _FINISHED, _COPY_STOPPED: the attempt is a straggler's backup copy. */
  backup: boolean;
}

/** GET /api/jobs/:id/events query: events after `after` (an eventId; default all), at most `limit` (default and max MAX_EVENTS_PAGE). */
export interface JobEventsQuery {
  after?: string;
  limit?: number;
}

export const MAX_EVENTS_PAGE = 1000;

export interface JobEventsResponse {
  events: JobEventView[];
  /** Pass as `after` for the next page; equal to the request's when there was nothing new. */
  next: string;
  /** More events follow now (the page was full). */
  more: boolean;
}

/** GET /api/jobs/:id/logs query, like JobEventsQuery (ids are the lines'). */
export type JobLogQuery = JobEventsQuery;

export interface JobLogLineView {
  id: string;
  timeMs: number;
  level: 'info' | 'warn' | 'error';
  /** What the coordinator decided, or what a partition's code reported. */
  source: 'coordinator' | 'partition';
  message: string;
  /** -1 when about the job. */
  partition: number;
  nodeId: string;
  attempt: number;
  /** A stack trace, when there is one. */
  detail: string;
}

export interface JobLogResponse {
  lines: JobLogLineView[];
  next: string;
  more: boolean;
}

/**
 * GET /api/jobs/:id/result: the merged result as its task kind defines it (docs/task-kinds.md).
 * Backtests carry the ranking (`top`, `perSymbol`, `aggregate`, `table`), the two-parameter grid
 * (`heatmap`), the best rows' `equityCurves` and `walkForward`; market analyses their `rows` with
 * indicators and signals. 404 not-found until the job completed.
 */
export type JobResult = BacktestResult | MarketAnalysisResult | (NoopResult & { kind?: 'noop' });

export interface JobResultResponse {
  jobId: string;
  kind: string;
  bytes: number;
  result: JobResult;
  /** Backtests with equity curves: each curve's drawdown at its sampled bars (equity / running peak − 1, ≤ 0), in the same order. */
  drawdowns?: number[][];
}

/** POST …/rerun and POST /api/schedules/:name/run. */
export interface RerunResponse {
  jobId: string;
  job: JobSummary;
}

// ─── Nodes and overview ─────────────────────────────────────────────────────────────────────────

export interface NodeScore {
  total: number;
  cpu: number;
  memory: number;
  network: number;
  loadFactor: number;
}

/** One load sample of a node (every LOAD_SAMPLE_MS, kept LOAD_HISTORY_MS, in Redis: any coordinator's). */
export interface LoadSample {
  atMs: number;
  /** 0 … 1. */
  cpuLoad: number;
  busySlots: number;
}

export const LOAD_SAMPLE_MS = 30_000;
export const LOAD_HISTORY_MS = 3_600_000;

export interface NodeView {
  id: string;
  address: string;
  state: NodeState;
  /** Why it is not ready, when known. */
  stateReason: string;
  slots: number;
  /** Partitions this coordinator has running there. */
  busySlots: number;
  cores: number;
  cpuSpeedGhz: number;
  memoryTotalBytes: number;
  memoryAvailableBytes: number;
  /** 0 … 1. */
  cpuLoad: number;
  /** -1 when not measured yet. */
  rttMs: number;
  capabilities: string[];
  specialties: string[];
  version: string;
  score: NodeScore;
  /** 0 when not quarantined. */
  quarantinedUntilMs: number;
  /** The agent's stored-dataset cache, as its last status probe said. */
  datasetCacheHits: number;
  datasetCacheMisses: number;
  /** The last hour, oldest first. */
  loadHistory: LoadSample[];
}

/** GET /api/nodes: best score first. */
export interface NodesResponse {
  nodes: NodeView[];
}

/** GET /api/overview. */
export interface OverviewResponse {
  atMs: number;
  nodes: { total: number; byState: Record<NodeState, number> };
  /** Of ready nodes. */
  slots: { busy: number; total: number };
  jobs: {
    queued: number;
    waitingForNodes: number;
    running: number;
    /** Finished since 00:00 UTC. */
    completedToday: number;
    failedToday: number;
    cancelledToday: number;
  };
  /** Partitions finished per second over the last minute, by every coordinator sharing the Redis. */
  partitionsPerSecond: number;
}

// ─── Schedules ──────────────────────────────────────────────────────────────────────────────────

export interface ScheduleRunView {
  /** '' when skipped. */
  jobId: string;
  scheduledAtMs: number;
  /** The job's status ('JOB_STATUS_UNSPECIFIED' when skipped or the job is gone). */
  status: JobStatus | 'JOB_STATUS_UNSPECIFIED';
  skipped: boolean;
  reason: string;
  /** run-now. */
  manual: boolean;
}

export interface ScheduleView {
  name: string;
  cron: string;
  tz: string;
  /** run-once | skip. */
  missed: string;
  graceSeconds: number;
  paused: boolean;
  owner: string;
  createdAtMs: number;
  /** 0 when paused. */
  nextRunMs: number;
  /** The job each occurrence submits: its kind and name. */
  kind: string;
  jobName: string;
  lastRun?: ScheduleRunView;
  /** Its jobs still kept, newest first (at most SCHEDULE_HISTORY). */
  recentRuns: JobSummary[];
}

export const SCHEDULE_HISTORY = 20;

export interface SchedulesResponse {
  schedules: ScheduleView[];
}

// ─── Datasets ───────────────────────────────────────────────────────────────────────────────────

export interface DatasetView {
  /** SHA-256 hex (without sha256:). */
  id: string;
  symbol: string;
  timeframe: string;
  bars: number;
  firstTimeMs: number;
  lastTimeMs: number;
  bytes: number;
  importedAtMs: number;
  owner: string;
  /** The version this one extends ('' for an import). */
  parentId: string;
  parentBars: number;
  appendedBars: number;
  tags: string[];
}

export interface DatasetTagView {
  name: string;
  id: string;
  owner: string;
  updatedAtMs: number;
}

/** GET /api/datasets: newest import first; tags by name. */
export interface DatasetsResponse {
  datasets: DatasetView[];
  tags: DatasetTagView[];
  usedBytes: number;
  /** 0: no budget. */
  budgetBytes: number;
}

export const DEFAULT_CLOSE_POINTS = 1000;
export const MAX_CLOSE_POINTS = 10_000;

/**
 * GET /api/datasets/:id/closes: at most `points` (time, close) pairs for a chart. When the dataset
 * has more bars, each of points/2 equal runs of bars gives its lowest and highest close (in time
 * order), the first and last bars always kept: the chart keeps every spike.
 */
export interface DatasetCloses {
  id: string;
  symbol: string;
  timeframe: string;
  bars: number;
  time: number[];
  close: number[];
}

export interface DatasetRemoved {
  removedId: string;
  removedTag: string;
  removedTags: string[];
  freedBytes: number;
}

// ─── Live updates (server-sent events) ──────────────────────────────────────────────────────────

/** The `event:` names of GET /api/stream and their `data:` (JSON). */
export interface StreamEvents {
  /** At once, then every STREAM_SNAPSHOT_MS. */
  overview: OverviewResponse;
  /** At once, then every STREAM_SNAPSHOT_MS. */
  nodes: NodesResponse;
  /** A job that changed (new events in its log, or it ended), by any coordinator; at most once per job per STREAM_JOB_MS. */
  job: JobSummary;
}
export type StreamEventName = keyof StreamEvents;

/**
 * The `event:` names of GET /api/jobs/:id/stream. Each `job-event` has `id:` = its eventId (Last-Event-ID resumes).
 * A running job's events come in bursts, at most one read of its log per JOB_STREAM_PACE_MS.
 */
export interface JobStreamEvents {
  /** The job's events; the first is a snapshot (eventId ''), the last one ends it (COMPLETED, FAILED, CANCELLED). */
  'job-event': JobEventView;
  /** The stream failed (e.g. the job store is unavailable); the browser reconnects. */
  'stream-error': ErrorResponse['error'];
}
export type JobStreamEventName = keyof JobStreamEvents;

export const STREAM_SNAPSHOT_MS = 2000;
export const STREAM_JOB_MS = 1000;
export const JOB_STREAM_PACE_MS = 100;

import type { DatasetInfo__Output } from '../shared/generated/quantgrid/v1/DatasetInfo.js';
import type { ImportDatasetRequest } from '../shared/generated/quantgrid/v1/ImportDatasetRequest.js';
import type { ListDatasetsResponse__Output } from '../shared/generated/quantgrid/v1/ListDatasetsResponse.js';
import * as grpc from '@grpc/grpc-js';
import { createCoordinatorClient, type CoordinatorClient } from '../shared/grpc/clients.js';
import type { TlsConfig } from '../shared/grpc/credentials.js';
import type { Job__Output } from '../shared/generated/quantgrid/v1/Job.js';
import type { JobEvent__Output } from '../shared/generated/quantgrid/v1/JobEvent.js';
import type { ListJobsRequest } from '../shared/generated/quantgrid/v1/ListJobsRequest.js';
import type { ListJobsResponse__Output } from '../shared/generated/quantgrid/v1/ListJobsResponse.js';
import type { ListNodesResponse__Output } from '../shared/generated/quantgrid/v1/ListNodesResponse.js';
import type { SubmitJobRequest } from '../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import type { SubmitJobResponse__Output } from '../shared/generated/quantgrid/v1/SubmitJobResponse.js';
import type { AddScheduleRequest } from '../shared/generated/quantgrid/v1/AddScheduleRequest.js';
import type { ListSchedulesResponse__Output } from '../shared/generated/quantgrid/v1/ListSchedulesResponse.js';
import type { Schedule__Output } from '../shared/generated/quantgrid/v1/Schedule.js';
import { CliError, EXIT, UsageError } from './cli-error.js';

export interface ConnectionOptions {
  /** HOST:PORT (or any gRPC target) of the coordinator. */
  address: string;
  tls: TlsConfig;
  /** Deadline of each unary call. */
  timeoutMs: number;
}

/** A failed call to the coordinator, already worded for the user; code says what kind. */
export class CoordinatorError extends CliError {
  constructor(
    message: string,
    readonly code: grpc.status,
  ) {
    super(message, EXIT.FAILURE);
    this.name = 'CoordinatorError';
  }
}

/** A failure straight from grpc-js (not yet worded for the user). */
export function isServiceError(error: unknown): error is grpc.ServiceError {
  if (!(error instanceof Error) || error instanceof CliError) return false;
  const candidate = error as Partial<grpc.ServiceError>;
  return typeof candidate.code === 'number' && typeof candidate.details === 'string';
}

/** The cause grpc-js gives after "Last error:" when it could not connect, unless it is a plain refusal. */
function connectCause(details: string): string | undefined {
  const match = /Last error: (?:Error: )?(.*?)(?: \(\d{4}-\d\d-\d\dT[^)]*\))?$/.exec(details);
  const cause = match?.[1]?.trim();
  if (!cause || /ECONNREFUSED/.test(cause)) return undefined;
  return cause;
}

/** One line saying what went wrong with a call to the coordinator. */
export function describeGrpcError(
  error: grpc.ServiceError,
  context: { address: string; jobId?: string; timeoutMs?: number },
): string {
  const details = error.details || grpc.status[error.code] || 'unknown error';
  switch (error.code) {
    case grpc.status.UNAVAILABLE: {
      const cause = connectCause(error.details ?? '');
      return `coordinator unreachable at ${context.address}${cause ? ` (${cause})` : ''}`;
    }
    case grpc.status.DEADLINE_EXCEEDED:
      return context.timeoutMs === undefined
        ? `coordinator at ${context.address} did not answer in time`
        : `coordinator at ${context.address} did not answer within ${context.timeoutMs / 1000}s (see --timeout)`;
    case grpc.status.NOT_FOUND:
      return context.jobId === undefined ? details : `no job ${context.jobId}`;
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.OUT_OF_RANGE:
    case grpc.status.RESOURCE_EXHAUSTED:
      return details;
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return `coordinator at ${context.address} refused the call: ${details}`;
    case grpc.status.UNIMPLEMENTED:
      return `coordinator at ${context.address} does not offer this call (another quantgrid version?): ${details}`;
    default:
      return `coordinator at ${context.address} failed: ${grpc.status[error.code] ?? error.code}: ${details}`;
  }
}

/**
 * The CLI's view of the Coordinator API: promises with a deadline for unary calls, the raw stream for
 * WatchJob. Failures reject with a CoordinatorError worded for the user.
 */
export class CoordinatorConnection {
  private readonly client: CoordinatorClient;

  constructor(readonly options: ConnectionOptions) {
    try {
      this.client = createCoordinatorClient(options.address, options.tls);
    } catch (error) {
      // Unreadable certificate files, a certificate without its key, an unparsable target.
      throw new UsageError((error as Error).message);
    }
  }

  get address(): string {
    return this.options.address;
  }

  /** Turns a failure of a call into a CoordinatorError (anything else passes through). */
  toError(error: unknown, jobId?: string): unknown {
    if (!isServiceError(error)) return error;
    const message = describeGrpcError(error, { address: this.address, jobId, timeoutMs: this.options.timeoutMs });
    return new CoordinatorError(message, error.code);
  }

  private unary<Response>(
    invoke: (options: grpc.CallOptions, callback: grpc.requestCallback<Response>) => unknown,
    jobId?: string,
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      invoke({ deadline: Date.now() + this.options.timeoutMs }, (error, response) => {
        if (error) reject(this.toError(error, jobId));
        else resolve(response as Response);
      });
    });
  }

  submitJob(request: SubmitJobRequest): Promise<SubmitJobResponse__Output> {
    return this.unary((options, callback) => this.client.submitJob(request, options, callback));
  }

  getJob(jobId: string): Promise<Job__Output> {
    return this.unary((options, callback) => this.client.getJob({ jobId }, options, callback), jobId);
  }

  cancelJob(jobId: string): Promise<Job__Output> {
    return this.unary((options, callback) => this.client.cancelJob({ jobId }, options, callback), jobId);
  }

  listJobs(request: ListJobsRequest): Promise<ListJobsResponse__Output> {
    return this.unary((options, callback) => this.client.listJobs(request, options, callback));
  }

  /** Imports a dataset; the deadline is at least a minute (files can be tens of MB). */
  importDataset(request: ImportDatasetRequest): Promise<DatasetInfo__Output> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + Math.max(this.options.timeoutMs, 60_000);
      this.client.importDataset(request, { deadline }, (error, response) => {
        if (error) reject(this.toError(error));
        else resolve(response as DatasetInfo__Output);
      });
    });
  }

  listDatasets(): Promise<ListDatasetsResponse__Output> {
    return this.unary((options, callback) => this.client.listDatasets({}, options, callback));
  }

  listNodes(): Promise<ListNodesResponse__Output> {
    return this.unary((options, callback) => this.client.listNodes({}, options, callback));
  }

  addSchedule(request: AddScheduleRequest): Promise<Schedule__Output> {
    return this.unary((options, callback) => this.client.addSchedule(request, options, callback));
  }

  listSchedules(): Promise<ListSchedulesResponse__Output> {
    return this.unary((options, callback) => this.client.listSchedules({}, options, callback));
  }

  /** rm, pause or resume: the schedule as it is afterwards (rm: as it was). */
  changeSchedule(action: 'remove' | 'pause' | 'resume', name: string): Promise<Schedule__Output> {
    const method = ({ remove: 'removeSchedule', pause: 'pauseSchedule', resume: 'resumeSchedule' } as const)[action];
    return this.unary((options, callback) => this.client[method]({ name }, options, callback));
  }

  runScheduleNow(name: string): Promise<SubmitJobResponse__Output> {
    return this.unary((options, callback) => this.client.runScheduleNow({ name }, options, callback));
  }

  /** The live event stream of a job (no deadline: it lasts as long as the job). */
  /** The job's events; with afterEventId, those logged after it (a resumed watch). */
  watchJob(jobId: string, afterEventId = ''): grpc.ClientReadableStream<JobEvent__Output> {
    return this.client.watchJob({ jobId, afterEventId });
  }

  close(): void {
    this.client.close();
  }
}

import * as grpc from '@grpc/grpc-js';
import type { AddScheduleRequest } from '../generated/quantgrid/v1/AddScheduleRequest.js';
import type { DatasetInfo__Output } from '../generated/quantgrid/v1/DatasetInfo.js';
import type { ImportDatasetRequest } from '../generated/quantgrid/v1/ImportDatasetRequest.js';
import type { ImportDatasetChunk } from '../generated/quantgrid/v1/ImportDatasetChunk.js';
import type { ImportDatasetHeader } from '../generated/quantgrid/v1/ImportDatasetHeader.js';
import type { DatasetTag__Output } from '../generated/quantgrid/v1/DatasetTag.js';
import type { RemoveDatasetRequest } from '../generated/quantgrid/v1/RemoveDatasetRequest.js';
import type { RemoveDatasetResponse__Output } from '../generated/quantgrid/v1/RemoveDatasetResponse.js';
import type { TagDatasetRequest } from '../generated/quantgrid/v1/TagDatasetRequest.js';
import { IMPORT_SEND_BYTES } from '../grpc/message-limits.js';
import type { Job__Output } from '../generated/quantgrid/v1/Job.js';
import type { JobEvent__Output } from '../generated/quantgrid/v1/JobEvent.js';
import type { JobLogLine__Output } from '../generated/quantgrid/v1/JobLogLine.js';
import type { ResultChunk__Output } from '../generated/quantgrid/v1/ResultChunk.js';
import type { ListDatasetsResponse__Output } from '../generated/quantgrid/v1/ListDatasetsResponse.js';
import type { ListJobsRequest } from '../generated/quantgrid/v1/ListJobsRequest.js';
import type { ListJobsResponse__Output } from '../generated/quantgrid/v1/ListJobsResponse.js';
import type { ListNodesResponse__Output } from '../generated/quantgrid/v1/ListNodesResponse.js';
import type { ListSchedulesResponse__Output } from '../generated/quantgrid/v1/ListSchedulesResponse.js';
import type { Schedule__Output } from '../generated/quantgrid/v1/Schedule.js';
import type { SubmitJobRequest } from '../generated/quantgrid/v1/SubmitJobRequest.js';
import type { SubmitJobResponse__Output } from '../generated/quantgrid/v1/SubmitJobResponse.js';
import type { CreateTokenRequest } from '../generated/quantgrid/v1/CreateTokenRequest.js';
import type { CreateTokenResponse__Output } from '../generated/quantgrid/v1/CreateTokenResponse.js';
import type { ListAuditRequest } from '../generated/quantgrid/v1/ListAuditRequest.js';
import type { ListAuditResponse__Output } from '../generated/quantgrid/v1/ListAuditResponse.js';
import type { ListTokensResponse__Output } from '../generated/quantgrid/v1/ListTokensResponse.js';
import type { Principal__Output } from '../generated/quantgrid/v1/Principal.js';
import type { TokenInfo__Output } from '../generated/quantgrid/v1/TokenInfo.js';
import type { ListStrategiesResponse__Output } from '../generated/quantgrid/v1/ListStrategiesResponse.js';
import type { StrategyCode__Output } from '../generated/quantgrid/v1/StrategyCode.js';
import type { StrategyInfo__Output } from '../generated/quantgrid/v1/StrategyInfo.js';
import { bearerTokenInterceptor } from '../grpc/bearer-token-interceptor.js';
import { createCoordinatorClient, type CoordinatorClient } from '../grpc/clients.js';
import type { TlsConfig } from '../grpc/credentials.js';
import { CoordinatorError, describeGrpcError, isServiceError } from './coordinator-error.js';

import { DEFAULT_CALL_TIMEOUT_MS } from './call-timeout.js';
export { DEFAULT_CALL_TIMEOUT_MS };
/** Least deadline of PushStrategy, which runs the strategy twice in a sandbox before answering. */
export const PUSH_STRATEGY_TIMEOUT_MS = 60_000;

export interface ConnectionOptions {
  /** HOST:PORT (or any gRPC target) of the coordinator. */
  address: string;
  /** Default: plaintext. */
  tls?: TlsConfig;
  /** Deadline of each unary call; default DEFAULT_CALL_TIMEOUT_MS. */
  timeoutMs?: number;
  /** How the caller lengthens the deadline, in the wording of a DEADLINE_EXCEEDED failure (the CLI: 'see --timeout'). */
  timeoutHint?: string;
  /** The API token sent with every call (`authorization: Bearer …`); none: the coordinator answers UNAUTHENTICATED. */
  token?: string;
  /** Where a missing or refused token can be fixed, in the wording of an UNAUTHENTICATED failure (the CLI names its sources). */
  tokenHint?: string;
}

/** The options do not make a connection: unreadable certificate files, a certificate without its key, an unparsable target. */
export class ConnectionSetupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectionSetupError';
  }
}

/**
 * The Coordinator API as promises with a deadline for unary calls, and the raw stream for WatchJob
 * (job-watcher.ts follows it to the job's end). Failures reject with a CoordinatorError.
 */
export class CoordinatorConnection {
  private readonly client: CoordinatorClient;
  readonly timeoutMs: number;

  /** Throws a ConnectionSetupError when the options do not make a connection. */
  constructor(readonly options: ConnectionOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    try {
      this.client = createCoordinatorClient(options.address, options.tls ?? {}, options.token ? { interceptors: [bearerTokenInterceptor(options.token)] } : {});
    } catch (error) {
      throw new ConnectionSetupError((error as Error).message, { cause: error });
    }
  }

  get address(): string {
    return this.options.address;
  }

  /** Turns a failure of a call into a CoordinatorError (anything else passes through). */
  toError(error: unknown, jobId?: string): unknown {
    if (!isServiceError(error)) return error;
    const message = describeGrpcError(error, {
      address: this.address,
      jobId,
      timeoutMs: this.timeoutMs,
      timeoutHint: this.options.timeoutHint,
      tokenHint: this.options.tokenHint,
    });
    return new CoordinatorError(message, error.code);
  }

  private unary<Response>(
    invoke: (options: grpc.CallOptions, callback: grpc.requestCallback<Response>) => unknown,
    jobId?: string,
    timeoutMs = this.timeoutMs,
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      invoke({ deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(this.toError(error, jobId));
        else resolve(response as Response);
      });
    });
  }

  submitJob(request: SubmitJobRequest): Promise<SubmitJobResponse__Output> {
    return this.unary((options, callback) => this.client.submitJob(request, options, callback));
  }

  /**
   * The job. A result too large to travel inline (result_truncated) is fetched with GetJobResult and
   * put in resultJson, unless withResult is false.
   */
  async getJob(jobId: string, { withResult = true }: { withResult?: boolean } = {}): Promise<Job__Output> {
    const job = await this.unary<Job__Output>((options, callback) => this.client.getJob({ jobId }, options, callback), jobId);
    if (!withResult || !job.resultTruncated) return job;
    return { ...job, resultJson: await this.getJobResult(jobId), resultTruncated: false };
  }

  /**
   * A completed job's whole result (JSON), read by GetJobResult in chunks. The deadline is the call
   * timeout per chunk received (a large result takes as long as it takes, a stalled one fails).
   */
  getJobResult(jobId: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const call = this.client.getJobResult({ jobId });
      const chunks: Buffer[] = [];
      let received = 0;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => call.cancel(), this.timeoutMs);
      };
      arm();
      call.on('data', (chunk: ResultChunk__Output) => {
        arm();
        if (chunk.offset !== received) {
          clearTimeout(timer);
          call.cancel();
          reject(new CoordinatorError(`coordinator at ${this.address}: result of job ${jobId} arrived out of order (offset ${chunk.offset}, expected ${received})`, grpc.status.DATA_LOSS));
          return;
        }
        chunks.push(chunk.data);
        received += chunk.data.length;
      });
      call.on('error', (error) => {
        clearTimeout(timer);
        reject(this.toError(error, jobId));
      });
      call.on('end', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks, received).toString('utf8'));
      });
    });
  }

  cancelJob(jobId: string): Promise<Job__Output> {
    return this.unary((options, callback) => this.client.cancelJob({ jobId }, options, callback), jobId);
  }

  listJobs(request: ListJobsRequest): Promise<ListJobsResponse__Output> {
    return this.unary((options, callback) => this.client.listJobs(request, options, callback));
  }

  /** Imports a dataset of at most 4 MiB in one message (larger: importDatasetStream); the deadline is at least a minute. */
  importDataset(request: ImportDatasetRequest): Promise<DatasetInfo__Output> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + Math.max(this.timeoutMs, 60_000);
      this.client.importDataset(request, { deadline }, (error, response) => {
        if (error) reject(this.toError(error));
        else resolve(response as DatasetInfo__Output);
      });
    });
  }

  /**
   * Imports a file of any size by ImportDatasetStream: the header, then `content` (a file's read stream,
   * say) in pieces of IMPORT_SEND_BYTES, as fast as the coordinator takes them, then the end message. The deadline is at least
   * ten minutes. A `content` that fails cancels the call (nothing is stored) and rejects with its error.
   */
  importDatasetStream(header: ImportDatasetHeader, content: AsyncIterable<Uint8Array>): Promise<DatasetInfo__Output> {
    return this.streamFile('importDatasetStream', header, content);
  }

  /** A new version of the dataset header.dataset names (an id or a tag): streamed as importDatasetStream, only the new bars. */
  appendDatasetStream(header: ImportDatasetHeader, content: AsyncIterable<Uint8Array>): Promise<DatasetInfo__Output> {
    return this.streamFile('appendDatasetStream', header, content);
  }

  private streamFile(method: 'importDatasetStream' | 'appendDatasetStream', header: ImportDatasetHeader, content: AsyncIterable<Uint8Array>): Promise<DatasetInfo__Output> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        outcome();
      };
      const deadline = Date.now() + Math.max(this.timeoutMs, 600_000);
      const call = this.client[method]({ deadline }, (error: grpc.ServiceError | null, response?: DatasetInfo__Output) => {
        if (error) settle(() => reject(this.toError(error)));
        else settle(() => resolve(response as DatasetInfo__Output));
      });
      const send = async (): Promise<void> => {
        const write = (message: ImportDatasetChunk): Promise<void> =>
          new Promise((done) => {
            if (call.write(message)) done();
            else call.once('drain', done);
          });
        await write({ header });
        for await (const piece of content) {
          for (let at = 0; at < piece.byteLength && !settled; at += IMPORT_SEND_BYTES) {
            await write({ content: piece.subarray(at, Math.min(piece.byteLength, at + IMPORT_SEND_BYTES)) });
          }
          if (settled) return; // the coordinator already answered (a bad row): the rest is not needed
        }
        await write({ end: true });
        call.end();
      };
      send().catch((error: unknown) => {
        call.cancel();
        settle(() => reject(error));
      });
    });
  }

  listDatasets(): Promise<ListDatasetsResponse__Output> {
    return this.unary((options, callback) => this.client.listDatasets({}, options, callback));
  }

  /** Stores a strategy bundle (checked by the coordinator in a sandbox first, which may take a while: PUSH_STRATEGY_TIMEOUT_MS at least). */
  pushStrategy(code: string, name: string): Promise<StrategyInfo__Output> {
    return this.unary((options, callback) => this.client.pushStrategy({ code, name }, options, callback), undefined, Math.max(this.timeoutMs, PUSH_STRATEGY_TIMEOUT_MS));
  }

  /** The latest version of every strategy, or every version of `name`. */
  listStrategies(name = ''): Promise<ListStrategiesResponse__Output> {
    return this.unary((options, callback) => this.client.listStrategies({ name }, options, callback));
  }

  getStrategy(ref: string): Promise<StrategyCode__Output> {
    return this.unary((options, callback) => this.client.getStrategy({ ref }, options, callback));
  }

  /** NAME: every version; NAME@ID: that one. The versions removed. */
  removeStrategy(ref: string): Promise<ListStrategiesResponse__Output> {
    return this.unary((options, callback) => this.client.removeStrategy({ ref }, options, callback));
  }

  tagDataset(request: TagDatasetRequest): Promise<DatasetTag__Output> {
    return this.unary((options, callback) => this.client.tagDataset(request, options, callback));
  }

  removeDataset(request: RemoveDatasetRequest): Promise<RemoveDatasetResponse__Output> {
    return this.unary((options, callback) => this.client.removeDataset(request, options, callback));
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

  whoAmI(): Promise<Principal__Output> {
    return this.unary((options, callback) => this.client.whoAmI({}, options, callback));
  }

  createToken(request: CreateTokenRequest): Promise<CreateTokenResponse__Output> {
    return this.unary((options, callback) => this.client.createToken(request, options, callback));
  }

  listTokens(): Promise<ListTokensResponse__Output> {
    return this.unary((options, callback) => this.client.listTokens({}, options, callback));
  }

  revokeToken(user: string): Promise<TokenInfo__Output> {
    return this.unary((options, callback) => this.client.revokeToken({ user }, options, callback));
  }

  listAudit(request: ListAuditRequest): Promise<ListAuditResponse__Output> {
    return this.unary((options, callback) => this.client.listAudit(request, options, callback));
  }

  /**
   * A job's log lines in order (GetJobLog), from after `afterId` on: those logged so far, or with
   * follow until the job has ended. A followed stream that breaks (UNAVAILABLE: the coordinator
   * restarted, a network blip) is opened again after the last line received, up to `retries` times
   * in a row, a second apart. Stops early when `signal` aborts. Failures throw a CoordinatorError.
   */
  async *jobLog(jobId: string, options: { afterId?: string; follow?: boolean; limit?: number; signal?: AbortSignal; retries?: number } = {}): AsyncGenerator<JobLogLine__Output> {
    let cursor = options.afterId ?? '';
    let left = options.limit ?? 0;
    let failures = 0;
    for (;;) {
      const call = this.client.getJobLog({ jobId, afterId: cursor, follow: options.follow ?? false, limit: left });
      const onAbort = (): void => call.cancel();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const line of call as AsyncIterable<JobLogLine__Output>) {
          failures = 0;
          cursor = line.id;
          yield line;
          if (left > 0 && --left === 0) return;
        }
        return;
      } catch (error) {
        if (options.signal?.aborted) return;
        const retryable = options.follow && isServiceError(error) && error.code === grpc.status.UNAVAILABLE && failures < (options.retries ?? 5);
        if (!retryable) throw this.toError(error, jobId);
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        call.cancel();
      }
    }
  }

  /**
   * The live event stream of a job (no deadline: it lasts as long as the job); with afterEventId,
   * the events logged after it (a resumed watch). Its errors are raw grpc-js ones (see toError).
   */
  watchJob(jobId: string, afterEventId = ''): grpc.ClientReadableStream<JobEvent__Output> {
    return this.client.watchJob({ jobId, afterEventId });
  }

  close(): void {
    this.client.close();
  }
}

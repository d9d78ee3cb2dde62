import * as grpc from '@grpc/grpc-js';
import { errorMessage, ValidationError } from '../../shared/errors.js';
import type { Job } from '../../shared/generated/quantgrid/v1/Job.js';
import type { JobEvent } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import type { NodeInfo } from '../../shared/generated/quantgrid/v1/NodeInfo.js';
import type { SubmitJobRequest__Output } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import type { Logger } from '../../shared/logging.js';
import { selectTaskKind } from '../../shared/tasks/registry.js';
import type { SpecLimits } from '../../shared/tasks/task-kind.js';
import { TERMINAL_STATUSES, type JobStatusName, type QueuedJobData } from '../jobs/job-model.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobStore } from '../jobs/job-store.js';
import type { NodeTable } from '../nodes/node-table.js';
import { DatasetImportError, toDatasetInfo, type DatasetStore } from '../datasets/dataset-store.js';
import { DatasetLookupError, validateSubmission } from '../jobs/job-submission.js';
import type { CoordinatorHandlersWithoutSchedules } from './schedule-rpc.js';
import { EVENT_ID_PATTERN } from '../jobs/job-event-log.js';

/** FetchDataset sends the encoded dataset in chunks of this size. */
export const DATASET_CHUNK_BYTES = 1024 * 1024;

/** How often a watch looks for new events in the job's log, and every how many empty looks it checks the job itself. */
const WATCH_POLL_MS = 150;
const WATCH_STATUS_CHECK_EVERY = 10;

function serviceError(code: grpc.status, details: string): Partial<grpc.ServiceError> {
  return { code, details, message: details };
}

function storeError(error: unknown): Partial<grpc.ServiceError> {
  return serviceError(grpc.status.UNAVAILABLE, `job store (Redis) unavailable: ${errorMessage(error)}`);
}

export interface CoordinatorServiceDeps {
  store: JobStore;
  runner: JobRunner;
  table: NodeTable;
  limits: SpecLimits;
  log: Logger;
  datasets: DatasetStore;
}

/** Every RPC but the schedules' (coordinator/schedule-rpc.ts). */
export function createCoordinatorService({ store, runner, table, limits, log, datasets }: CoordinatorServiceDeps): CoordinatorHandlersWithoutSchedules {
  async function describe(jobId: string): Promise<(Job & { status: JobStatusName }) | undefined> {
    const job = await store.get(jobId);
    return job ? store.describe(job, runner.liveSnapshot(jobId)) : undefined;
  }

  return {
    SubmitJob(call, callback) {
      (async () => {
        let data: QueuedJobData;
        try {
          data = await validateSubmission(call.request, limits, datasets);
        } catch (error) {
          if (error instanceof ValidationError) return callback(serviceError(grpc.status.INVALID_ARGUMENT, error.message));
          if (error instanceof DatasetLookupError) return callback(serviceError(grpc.status.UNAVAILABLE, error.message));
          log.error({ err: errorMessage(error) }, 'submission check failed');
          return callback(serviceError(grpc.status.INTERNAL, errorMessage(error)));
        }
        try {
          const { jobId, duplicate } = await store.submit(data);
          if (duplicate) log.info({ job: jobId, requestId: data.requestId }, 'duplicate submission: the job of that request id');
          else log.info({ job: jobId, kind: data.kind, name: data.name }, 'job submitted');
          callback(null, { jobId, job: await describe(jobId) });
        } catch (error) {
          callback(storeError(error));
        }
      })().catch((error) => log.error({ err: errorMessage(error) }, 'SubmitJob failed unexpectedly'));
    },

    ImportDataset(call, callback) {
      const { symbol, timeframe, format, content } = call.request;
      datasets
        .import({ symbol, timeframe, format, content })
        .then((info) => {
          log.info({ dataset: info.id, symbol, timeframe, bars: info.bars, bytes: info.bytes, alreadyPresent: info.alreadyPresent }, 'dataset imported');
          callback(null, toDatasetInfo(info, info.alreadyPresent));
        })
        .catch((error) => {
          if (error instanceof DatasetImportError) return callback(serviceError(grpc.status.INVALID_ARGUMENT, error.message));
          log.error({ err: errorMessage(error) }, 'dataset import failed');
          callback(serviceError(grpc.status.UNAVAILABLE, `dataset store (Redis) unavailable: ${errorMessage(error)}`));
        });
    },

    ListDatasets(_call, callback) {
      datasets
        .list()
        .then((all) => callback(null, { datasets: all.map((info) => toDatasetInfo(info)) }))
        .catch((error) => callback(serviceError(grpc.status.UNAVAILABLE, `dataset store (Redis) unavailable: ${errorMessage(error)}`)));
    },

    FetchDataset(call) {
      const id = call.request.id;
      let cancelled = false;
      call.on('cancelled', () => (cancelled = true));
      const fail = (code: grpc.status, details: string) => call.destroy(Object.assign(new Error(details), { code, details }));
      (async () => {
        let bytes: Buffer | undefined;
        try {
          bytes = await datasets.bytes(id);
        } catch (error) {
          return fail(grpc.status.UNAVAILABLE, `dataset store (Redis) unavailable: ${errorMessage(error)}`);
        }
        if (!bytes) return fail(grpc.status.NOT_FOUND, `no dataset ${id}`);
        log.debug({ dataset: id, bytes: bytes.length, peer: call.getPeer() }, 'serving dataset');
        for (let offset = 0; offset < bytes.length && !cancelled; offset += DATASET_CHUNK_BYTES) {
          const data = bytes.subarray(offset, Math.min(bytes.length, offset + DATASET_CHUNK_BYTES));
          if (!call.write({ data, offset, totalBytes: bytes.length })) {
            await new Promise<void>((resolve) => {
              const done = () => {
                call.removeListener('drain', done);
                call.removeListener('cancelled', done);
                resolve();
              };
              call.once('drain', done);
              call.once('cancelled', done);
            });
          }
        }
        if (!cancelled) call.end();
      })().catch((error) => {
        log.error({ dataset: id, err: errorMessage(error) }, 'FetchDataset failed');
        if (!cancelled) fail(grpc.status.INTERNAL, errorMessage(error));
      });
    },

    GetJob(call, callback) {
      describe(call.request.jobId)
        .then((job) => (job ? callback(null, job) : callback(serviceError(grpc.status.NOT_FOUND, `no job ${call.request.jobId}`))))
        .catch((error) => callback(storeError(error)));
    },

    CancelJob(call, callback) {
      const jobId = call.request.jobId;
      (async () => {
        const before = await describe(jobId);
        if (!before) return callback(serviceError(grpc.status.NOT_FOUND, `no job ${jobId}`));
        if (TERMINAL_STATUSES.has(before.status)) return callback(null, before);
        await store.requestCancel(jobId);
        runner.cancel(jobId);
        log.info({ job: jobId }, 'cancel requested');
        callback(null, await describe(jobId));
      })().catch((error) => callback(storeError(error)));
    },

    ListJobs(call, callback) {
      const limit = call.request.limit > 0 ? Math.min(call.request.limit, 1000) : 50;
      const wanted = call.request.status;
      (async () => {
        const jobs = await store.list(wanted === 'JOB_STATUS_UNSPECIFIED' ? limit : 1000);
        const described = await Promise.all(jobs.map((job) => store.describe(job, runner.liveSnapshot(job.id!))));
        const filtered = wanted === 'JOB_STATUS_UNSPECIFIED' ? described : described.filter((job) => job.status === wanted);
        // Results can be large; a listing leaves them out (GetJob has them).
        callback(null, { jobs: filtered.slice(0, limit).map((job) => ({ ...job, resultJson: '' })) });
      })().catch((error) => callback(storeError(error)));
    },

    ListNodes(_call, callback) {
      const nodes: NodeInfo[] = table.all().map((node) => {
        const score = table.score(node);
        return {
          id: node.id,
          address: node.address,
          state: table.stateOf(node),
          slots: node.slots,
          busySlots: node.busySlots,
          cores: node.cores,
          cpuSpeedGhz: node.cpuSpeedGhz,
          memoryTotalBytes: node.memoryTotalBytes,
          memoryAvailableBytes: node.memoryAvailableBytes,
          cpuLoad: node.cpuLoad,
          rttMs: Number.isNaN(node.rttMs) ? -1 : node.rttMs,
          capabilities: [...node.capabilities],
          version: node.version,
          score: { total: score.total, cpu: score.cpu, memory: score.memory, network: score.network, loadFactor: score.loadFactor },
          quarantinedUntilMs: node.quarantinedUntil,
        };
      });
      nodes.sort((a, b) => Number(b.score?.total ?? 0) - Number(a.score?.total ?? 0));
      callback(null, { nodes });
    },

    WatchJob(call) {
      const { jobId, afterEventId } = call.request;
      let ended = false;
      call.on('cancelled', () => (ended = true));
      call.on('error', () => (ended = true));
      const fail = (code: grpc.status, details: string): void => {
        if (ended) return;
        ended = true;
        call.destroy(Object.assign(new Error(details), { code, details }));
      };
      /** Writes an event; true when it ended the job (and so the stream). */
      const send = (event: JobEvent): boolean => {
        if (ended) return true;
        writable = call.write(event);
        if (event.status && TERMINAL_STATUSES.has(event.status as JobStatusName)) {
          ended = true;
          call.end();
          return true;
        }
        return false;
      };
      // A slow watcher is not sent more than the stream's buffer holds: the log is read at its pace.
      let writable = true;
      const drained = (): Promise<void> =>
        new Promise((resolve) => {
          const done = (): void => {
            call.removeListener('drain', done);
            call.removeListener('close', done);
            resolve();
          };
          call.once('drain', done);
          call.once('close', done);
        });
      const terminalEvent = (job: Job & { status: JobStatusName }, eventId = ''): JobEvent => ({
        jobId,
        type:
          job.status === 'JOB_STATUS_COMPLETED' ? 'JOB_EVENT_TYPE_COMPLETED'
          : job.status === 'JOB_STATUS_CANCELLED' ? 'JOB_EVENT_TYPE_CANCELLED'
          : 'JOB_EVENT_TYPE_FAILED',
        timeMs: Date.now(),
        partition: -1,
        status: job.status,
        progress: job.progress,
        resultJson: job.resultJson,
        message: job.error,
        eventId,
      });

      (async () => {
        if (afterEventId !== '' && !EVENT_ID_PATTERN.test(afterEventId)) {
          return fail(grpc.status.INVALID_ARGUMENT, `after_event_id: "${afterEventId}" is not an event id of this job`);
        }
        const job = await describe(jobId);
        if (!job) return fail(grpc.status.NOT_FOUND, `no job ${jobId}`);
        let cursor = afterEventId;
        if (cursor === '') {
          // Not resuming: where the log stands now, then a snapshot of the job, then what follows.
          cursor = await runner.hub.lastId(jobId);
          if (TERMINAL_STATUSES.has(job.status)) return void send(terminalEvent(job, cursor));
          if (send({ jobId, type: 'JOB_EVENT_TYPE_PROGRESS', timeMs: Date.now(), partition: -1, status: job.status, progress: job.progress })) return;
        }
        // Tail the job's event log from the cursor; any coordinator may be the one writing it.
        let quiet = 0;
        while (!ended) {
          const mark = runner.hub.writeMark();
          const events = await runner.hub.read(jobId, cursor);
          for (const { id, event } of events) {
            cursor = id;
            const withId = { ...event, eventId: id };
            if (event.type === 'JOB_EVENT_TYPE_COMPLETED') {
              const done = await describe(jobId);
              if (done) withId.resultJson = done.resultJson;
            }
            if (send(withId)) return;
            if (!writable) {
              await drained();
              writable = true;
            }
          }
          if (events.length > 0) {
            quiet = 0;
            continue;
          }
          // A job whose end never reached the log (it expired, or the ending coordinator died first).
          if (++quiet % WATCH_STATUS_CHECK_EVERY === 0) {
            const now = await describe(jobId);
            if (!now) return fail(grpc.status.NOT_FOUND, `no job ${jobId}`);
            if (TERMINAL_STATUSES.has(now.status) && (await runner.hub.read(jobId, cursor, 1)).length === 0) return void send(terminalEvent(now, cursor));
          }
          // Woken at once by this coordinator's own writes; another coordinator's show up within a poll.
          await runner.hub.waitForEvents(jobId, mark, WATCH_POLL_MS);
        }
      })().catch((error) => fail(grpc.status.UNAVAILABLE, `job store (Redis) unavailable: ${errorMessage(error)}`));
    },
  };
}

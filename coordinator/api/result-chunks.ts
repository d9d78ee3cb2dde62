import { FailedPrecondition } from '../../shared/errors.js';
import type { ResultChunk } from '../../shared/generated/quantgrid/v1/ResultChunk.js';
import { CHUNK_BYTES } from '../../shared/grpc/message-limits.js';
import type { JobViews } from './job-views.js';

/**
 * GetJobResult's messages: a completed job's whole result in chunks of at most CHUNK_BYTES, in order.
 * Throws NotFound for an unknown job, FailedPrecondition for one that has not completed (before any chunk).
 */
export async function* resultChunks(jobs: Pick<JobViews, 'get' | 'result'>, jobId: string, stopped: AbortSignal, chunkBytes = CHUNK_BYTES): AsyncGenerator<ResultChunk> {
  const job = await jobs.get(jobId);
  if (job.status !== 'JOB_STATUS_COMPLETED') throw new FailedPrecondition(`job ${jobId} is ${job.status.replace('JOB_STATUS_', '')}: only a completed job has a result`);
  const bytes = Buffer.from(await jobs.result(jobId), 'utf8');
  if (bytes.length === 0) {
    yield { data: bytes, offset: 0, totalBytes: 0 };
    return;
  }
  for (let offset = 0; offset < bytes.length && !stopped.aborted; offset += chunkBytes) {
    yield { data: bytes.subarray(offset, Math.min(bytes.length, offset + chunkBytes)), offset, totalBytes: bytes.length };
  }
}

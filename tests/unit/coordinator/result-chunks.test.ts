import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { inlineResult } from '../../../coordinator/api/inline-result.js';
import { knownEnum } from '../../../coordinator/api/request-fields.js';
import { resultChunks } from '../../../coordinator/api/result-chunks.js';
import type { JobView } from '../../../coordinator/api/job-views.js';
import { FailedPrecondition, ValidationError } from '../../../shared/errors.js';
import { JOB_STATUSES } from '../../../shared/job-status.js';

function jobsWith(status: JobView['status'], result: string) {
  return {
    get: async (jobId: string) => ({ id: jobId, status }) as JobView,
    result: async () => result,
  };
}

async function collect(result: string, chunkBytes: number) {
  const chunks = [];
  for await (const chunk of resultChunks(jobsWith('JOB_STATUS_COMPLETED', result), 'j', new AbortController().signal, chunkBytes)) chunks.push(chunk);
  return chunks;
}

describe('results too large to travel inline', () => {
  it('inline up to the limit, else left out with its size (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 0, max: 400 }), (result, max) => {
        const bytes = Buffer.byteLength(result, 'utf8');
        const inline = inlineResult(result, max);
        assert.equal(inline.resultBytes, bytes);
        assert.equal(inline.resultTruncated, bytes > max);
        assert.equal(inline.resultJson, bytes > max ? '' : result);
      }),
    );
  });

  it('GetJobResult chunks are at most the chunk size, in order, and make the result, whatever it holds (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 500 }), fc.integer({ min: 1, max: 64 }), async (result, chunkBytes) => {
        const chunks = await collect(result, chunkBytes);
        const total = Buffer.byteLength(result, 'utf8');
        let offset = 0;
        for (const chunk of chunks) {
          assert.ok(chunk.data!.length <= chunkBytes);
          assert.equal(chunk.offset, offset);
          assert.equal(chunk.totalBytes, total);
          offset += chunk.data!.length;
        }
        assert.equal(Buffer.concat(chunks.map((chunk) => chunk.data as Buffer)).toString('utf8'), result);
        assert.ok(chunks.length >= 1);
      }),
    );
  });

  it('a job that has not completed has no result to stream: FailedPrecondition before any chunk', async () => {
    const chunks = resultChunks(jobsWith('JOB_STATUS_RUNNING', ''), 'j', new AbortController().signal);
    await assert.rejects(chunks.next(), (error: unknown) => error instanceof FailedPrecondition && /job j is RUNNING/.test(error.message));
  });
});

describe('enum fields', () => {
  it('a known name passes; a number this version does not know is INVALID_ARGUMENT naming the field', () => {
    assert.equal(knownEnum('status', 'JOB_STATUS_RUNNING', JOB_STATUSES), 'JOB_STATUS_RUNNING');
    assert.throws(() => knownEnum('status', 99, JOB_STATUSES), (error: unknown) => error instanceof ValidationError && error.field === 'status' && /"99" is not one of/.test(error.message));
  });
});

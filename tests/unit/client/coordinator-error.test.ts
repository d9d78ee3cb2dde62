import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describeGrpcError } from '../../../shared/client/coordinator-error.js';
import { ERROR_KIND_TRAILER } from '../../../shared/grpc/error-trailer.js';

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });
}

describe('describeGrpcError', () => {
  const context = { address: '10.0.0.5:7000', jobId: 'job-9', timeoutMs: 10_000, timeoutHint: 'see --timeout' };

  it('tells an UNAVAILABLE the coordinator sent (a store behind it is down) from one where no coordinator answered', () => {
    const answered = serviceError(grpc.status.UNAVAILABLE, 'job store (Redis) unavailable: connect ECONNREFUSED 127.0.0.1:6390');
    answered.metadata.set(ERROR_KIND_TRAILER, 'unavailable');
    assert.equal(describeGrpcError(answered, context), 'coordinator at 10.0.0.5:7000: job store (Redis) unavailable: connect ECONNREFUSED 127.0.0.1:6390');
    assert.equal(describeGrpcError(serviceError(grpc.status.UNAVAILABLE, answered.details), context), 'coordinator unreachable at 10.0.0.5:7000');
  });

  it('words each kind of failure as one line', () => {
    assert.equal(
      describeGrpcError(serviceError(grpc.status.UNAVAILABLE, 'No connection established. Last error: Error: connect ECONNREFUSED 10.0.0.5:7000 (2024-01-01T00:00:00.000Z)'), context),
      'coordinator unreachable at 10.0.0.5:7000',
    );
    assert.equal(
      describeGrpcError(serviceError(grpc.status.UNAVAILABLE, 'No connection established. Last error: Error: self-signed certificate (2024-01-01T00:00:00.000Z)'), context),
      'coordinator unreachable at 10.0.0.5:7000 (self-signed certificate)',
    );
    assert.equal(
      describeGrpcError(serviceError(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'), context),
      'coordinator at 10.0.0.5:7000 did not answer within 10s (see --timeout)',
    );
    assert.equal(describeGrpcError(serviceError(grpc.status.NOT_FOUND, 'job job-9 not found'), context), 'no job job-9');
    assert.equal(
      describeGrpcError(serviceError(grpc.status.INVALID_ARGUMENT, 'noop.partitions: must be an integer from 1 to 1000000'), context),
      'noop.partitions: must be an integer from 1 to 1000000',
    );
    assert.match(describeGrpcError(serviceError(grpc.status.INTERNAL, 'boom'), context), /^coordinator at 10\.0\.0\.5:7000 failed: INTERNAL: boom$/);
  });
});

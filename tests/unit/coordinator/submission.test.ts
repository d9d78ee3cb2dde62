import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DEADLINE_SECONDS, validateSubmission } from '../../../coordinator/jobs/job-submission.js';
import type { SubmitJobRequest__Output } from '../../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { fieldOf } from '../../helpers/task-kinds.js';

function request(overrides: Partial<SubmitJobRequest__Output> = {}): SubmitJobRequest__Output {
  return {
    spec: { noop: { partitions: 2, workMs: 0, failPartition: '' }, requiredCapabilities: [], maxPartitions: 0, kind: 'noop' } as never,
    name: '',
    priority: 0,
    requestId: '',
    deadlineSeconds: 0,
    noCache: false,
    ...overrides,
  };
}

describe('validateSubmission', () => {
  it('turns a deadline into an absolute time and keeps the request id and cache choice', () => {
    const before = Date.now();
    const data = validateSubmission(request({ deadlineSeconds: 90, requestId: 'nightly-1', noCache: true, priority: 5 }), DEFAULT_SPEC_LIMITS);
    assert.ok(data.deadlineAt! >= before + 90_000 && data.deadlineAt! <= Date.now() + 90_000);
    assert.equal(data.requestId, 'nightly-1');
    assert.equal(data.noCache, true);
    assert.equal(data.priority, 5);
    assert.equal(validateSubmission(request(), DEFAULT_SPEC_LIMITS).deadlineAt, 0);
  });

  it('names the field of a bad request id or deadline', () => {
    assert.equal(fieldOf(() => validateSubmission(request({ requestId: 'x'.repeat(201) }), DEFAULT_SPEC_LIMITS)), 'request_id');
    assert.equal(fieldOf(() => validateSubmission(request({ deadlineSeconds: MAX_DEADLINE_SECONDS + 1 }), DEFAULT_SPEC_LIMITS)), 'deadline_seconds');
  });
});

import { ValidationError } from '../../shared/errors.js';
import type { SubmitJobRequest__Output } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { selectTaskKind } from '../../shared/tasks/registry.js';
import type { SpecLimits } from '../../shared/tasks/task-kind.js';
import type { QueuedJobData } from './job-model.js';

const CAPABILITY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX_REQUEST_ID_LENGTH = 200;
/** 24 days: timers cannot wait longer, and no sensible job deadline is that far. */
export const MAX_DEADLINE_SECONDS = 24 * 24 * 3600;
/** Validates a submission; returns the queued job's data or throws ValidationError naming the field. */
export function validateSubmission(request: SubmitJobRequest__Output, limits: SpecLimits): QueuedJobData {
  if (!request.spec) throw new ValidationError('spec', 'is required');
  const { kind, raw } = selectTaskKind(request.spec as never);
  kind.validate(raw, limits);
  request.spec.requiredCapabilities.forEach((capability, index) => {
    if (!CAPABILITY_PATTERN.test(capability)) {
      throw new ValidationError(`spec.required_capabilities[${index}]`, 'must be lower-case letters, digits, ".", "_" or "-"');
    }
  });
  if (!Number.isInteger(request.spec.maxPartitions) || request.spec.maxPartitions < 0) {
    throw new ValidationError('spec.max_partitions', 'must be a non-negative integer');
  }
  if (request.name.length > 200) throw new ValidationError('name', 'must be at most 200 characters');
  if (request.requestId.length > MAX_REQUEST_ID_LENGTH) throw new ValidationError('request_id', `must be at most ${MAX_REQUEST_ID_LENGTH} characters`);
  if (!Number.isInteger(request.deadlineSeconds) || request.deadlineSeconds < 0 || request.deadlineSeconds > MAX_DEADLINE_SECONDS) {
    throw new ValidationError('deadline_seconds', `must be an integer from 0 (none) to ${MAX_DEADLINE_SECONDS}`);
  }
  const submittedAt = Date.now();
  return {
    spec: request.spec,
    kind: kind.name,
    name: request.name,
    priority: request.priority,
    submittedAt,
    deadlineAt: request.deadlineSeconds > 0 ? submittedAt + request.deadlineSeconds * 1000 : 0,
    noCache: request.noCache,
    requestId: request.requestId,
  };
}


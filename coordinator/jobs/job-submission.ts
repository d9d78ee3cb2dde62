import { Unavailable, ValidationError } from '../../shared/errors.js';
import type { JobSpec__Output } from '../../shared/generated/quantgrid/v1/JobSpec.js';
import type { SubmitJobRequest__Output } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { selectTaskKind } from '../../shared/tasks/registry.js';
import type { DatasetIndex } from '../../shared/tasks/stored-datasets.js';
import type { StrategyIndex } from '../../shared/tasks/stored-strategies.js';
import {
  CAPABILITY_PATTERN,
  CAPABILITY_RULE,
  MAX_DEADLINE_SECONDS,
  MAX_JOB_NAME_LENGTH,
  MAX_REQUEST_ID_LENGTH,
} from '../../shared/tasks/submission-limits.js';
import type { SpecLimits } from '../../shared/tasks/task-kind.js';
import { DATASET_STORE, STRATEGY_STORE } from '../redis/store-names.js';
import type { QueuedJobData } from './job-model.js';

/** The dataset store could not be asked (not the submission's fault: the client may retry). */
export class DatasetLookupError extends Unavailable {
  constructor(cause: unknown) {
    super(DATASET_STORE, cause);
    this.name = 'DatasetLookupError';
  }
}

/**
 * Checks a submission once: resolves the stored datasets and user strategy its spec names, validates the spec with its
 * kind (which applies the kind's defaults) and the envelope. Returns the queued job's data, which
 * carries the normalised spec: the runner and the agents use it as is. Throws ValidationError naming
 * the field, or DatasetLookupError. The request's spec is filled in place (stored datasets).
 */
export async function validateSubmission(request: SubmitJobRequest__Output, limits: SpecLimits, datasets: DatasetIndex, strategies?: StrategyIndex): Promise<QueuedJobData> {
  if (!request.spec) throw new ValidationError('spec', 'is required');
  const { kind, raw } = selectTaskKind(request.spec as unknown as { kind?: string } & Record<string, unknown>);
  try {
    await kind.resolveDatasets?.(raw, datasets);
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new DatasetLookupError(error);
  }
  try {
    await kind.resolveStrategies?.(raw, strategies);
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new Unavailable(STRATEGY_STORE, error);
  }
  const kindSpec: unknown = kind.validate(raw, limits);
  request.spec.requiredCapabilities.forEach((capability, index) => {
    if (!CAPABILITY_PATTERN.test(capability)) throw new ValidationError(`spec.required_capabilities[${index}]`, `must be ${CAPABILITY_RULE}`);
  });
  if (!Number.isInteger(request.spec.maxPartitions) || request.spec.maxPartitions < 0) {
    throw new ValidationError('spec.max_partitions', 'must be a non-negative integer');
  }
  if (request.name.length > MAX_JOB_NAME_LENGTH) throw new ValidationError('name', `must be at most ${MAX_JOB_NAME_LENGTH} characters`);
  if (request.requestId.length > MAX_REQUEST_ID_LENGTH) throw new ValidationError('request_id', `must be at most ${MAX_REQUEST_ID_LENGTH} characters`);
  if (!Number.isInteger(request.deadlineSeconds) || request.deadlineSeconds < 0 || request.deadlineSeconds > MAX_DEADLINE_SECONDS) {
    throw new ValidationError('deadline_seconds', `must be an integer from 0 (none) to ${MAX_DEADLINE_SECONDS}`);
  }
  // The JobSpec as it runs (GetJob shows it): the kind's member rebuilt from the normalised spec.
  const spec = {
    kind: kind.specMember,
    [kind.specMember]: kind.toWire(kindSpec),
    requiredCapabilities: [...request.spec.requiredCapabilities],
    maxPartitions: request.spec.maxPartitions,
  } as unknown as JobSpec__Output;
  const submittedAt = Date.now();
  return {
    spec,
    kindSpec,
    kind: kind.name,
    name: request.name,
    priority: request.priority,
    submittedAt,
    deadlineAt: request.deadlineSeconds > 0 ? submittedAt + request.deadlineSeconds * 1000 : 0,
    // A full run recomputes every unit: a cached partition may hold the result of a continued one.
    noCache: request.noCache || request.full,
    full: request.full,
    requestId: request.requestId,
  };
}

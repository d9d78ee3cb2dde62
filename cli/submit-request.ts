import { isDatasetTag } from '../shared/quant/dataset-tag.js';
import { parseDatasetRef } from './dataset-ref.js';
import type { DatasetRef } from '../shared/generated/quantgrid/v1/DatasetRef.js';
import type { SubmitJobRequest } from '../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { parseDurationMs } from '../shared/config/parsers.js';
import { MAX_SEED, MIN_BARS } from '../shared/quant/dataset.js';
import { MAX_DEADLINE_SECONDS } from '../shared/tasks/submission-limits.js';
import { DEFAULT_SPEC_LIMITS } from '../shared/tasks/task-kind.js';
import { UsageError } from './cli-error.js';
import { flagValue, parseIntegerIn } from './flag-parsers.js';

/**
 * The parts of a SubmitJobRequest every `quantgrid submit <kind>` shares: the envelope (name,
 * priority, deadline, …) and the dataset flags. Only what the user gave is sent: the coordinator
 * applies the kind's defaults. Bad values throw a UsageError naming the flag.
 */

export const UINT32_MAX = 4_294_967_295;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** Flags every submit subcommand takes. */
export interface SubmitCommonFlags {
  name?: string;
  priority?: string;
  maxPartitions?: string;
  /** Idempotency key; the command passes --request-id or a fresh UUID. */
  requestId?: string;
  /** --deadline: a duration from submission (e.g. 30m, 2h). */
  deadline?: string;
  /** --no-cache sets this to false. */
  cache?: boolean;
  /** --full: no checkpoints of an earlier job, no cached results. */
  full?: boolean;
}

/** The dataset flags of the kinds that read bars. */
export interface DatasetFlags {
  bars?: string;
  seed?: string;
  /** An imported dataset: sha256:<id> or the bare id. */
  dataset?: string;
}

export function required(flag: string, value: string | undefined, example: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required (e.g. ${flag} ${example})`);
  return value;
}

/** An id ("sha256:<id>" or the bare 64 hex digits, as `quantgrid data ls` prints it) or a tag, as a dataset name. */
export function parseDatasetName(text: string): string {
  const ref = parseDatasetRef(text);
  // A tag goes as it is: the coordinator resolves it at submit (and at each firing of a schedule).
  return isDatasetTag(ref) ? ref : `sha256:${ref}`;
}

/** The --bars range the CLI checks: the kinds' least and the coordinator's default most. */
export const BARS_RANGE = { min: MIN_BARS, max: DEFAULT_SPEC_LIMITS.maxBars } as const;

/**
 * The DatasetRef: an imported dataset with --dataset (the coordinator fills its bar count, and
 * --bars/--seed do not apply), else the synthetic generator with what --bars and --seed gave.
 * Undefined when nothing was given (the kind's defaults apply).
 */
export function datasetRef(flags: DatasetFlags): DatasetRef | undefined {
  if (flags.dataset !== undefined) return { name: flagValue('--dataset', flags.dataset, parseDatasetName) };
  const ref: DatasetRef = {};
  if (flags.bars !== undefined) ref.bars = flagValue('--bars', flags.bars, parseIntegerIn(BARS_RANGE.min, BARS_RANGE.max));
  if (flags.seed !== undefined) ref.seed = flagValue('--seed', flags.seed, parseIntegerIn(0, MAX_SEED));
  return Object.keys(ref).length > 0 ? ref : undefined;
}

/** "90s", "30m", "2h", "1h30m" → whole seconds (rounded up), at most MAX_DEADLINE_SECONDS. */
export function parseDeadline(text: string): number {
  const seconds = Math.ceil(parseDurationMs(text) / 1000);
  if (seconds < 1 || seconds > MAX_DEADLINE_SECONDS) throw new Error(`"${text}" must be from 1s to ${MAX_DEADLINE_SECONDS / 86_400}d`);
  return seconds;
}

/** The request's envelope and the JobSpec fields beside the kind's member. */
export function envelope(flags: SubmitCommonFlags): Omit<SubmitJobRequest, 'spec'> & { maxPartitions: number } {
  return {
    name: flags.name?.trim() ?? '',
    priority: flags.priority === undefined ? 0 : flagValue('--priority', flags.priority, parseIntegerIn(INT32_MIN, INT32_MAX)),
    requestId: flags.requestId ?? '',
    deadlineSeconds: flags.deadline === undefined ? 0 : flagValue('--deadline', flags.deadline, parseDeadline),
    noCache: flags.cache === false,
    ...(flags.full === true ? { full: true } : {}),
    maxPartitions: flags.maxPartitions === undefined ? 0 : flagValue('--max-partitions', flags.maxPartitions, parseIntegerIn(0, UINT32_MAX)),
  };
}

/** A whole request: the envelope and the kind's member of JobSpec. */
export function submitRequest(flags: SubmitCommonFlags, member: string, spec: Record<string, unknown>): SubmitJobRequest {
  const { maxPartitions, ...rest } = envelope(flags);
  return { ...rest, spec: { [member]: spec, maxPartitions, requiredCapabilities: [] } };
}

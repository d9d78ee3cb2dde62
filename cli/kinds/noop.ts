import type { Command } from 'commander';
import type { NoopSpec__Output } from '../../shared/generated/quantgrid/v1/NoopSpec.js';
import type { SubmitJobRequest } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { NOOP_DEFAULTS, NOOP_LIMITS, noopKind, type NoopResult } from '../../shared/tasks/noop/index.js';
import { flagValue, parseIntegerIn } from '../flag-parsers.js';
import { formatCount } from '../render/format.js';
import { renderKeyValueTable } from '../render/table.js';
import { submitRequest, UINT32_MAX, type SubmitCommonFlags } from '../submit-request.js';
import type { CliKind } from './cli-kind.js';

/** `quantgrid submit noop`: partitions that only busy-wait, for benchmarks and tests. */

export interface NoopFlags extends SubmitCommonFlags {
  partitions?: string;
  workMs?: string;
  failPartition?: string;
}

export function buildNoopRequest(flags: NoopFlags): SubmitJobRequest {
  const spec: Record<string, unknown> = {};
  if (flags.partitions !== undefined) spec.partitions = flagValue('--partitions', flags.partitions, parseIntegerIn(1, NOOP_LIMITS.maxPartitions));
  if (flags.workMs !== undefined) spec.workMs = flagValue('--work-ms', flags.workMs, parseIntegerIn(0, NOOP_LIMITS.maxWorkMs));
  // The coordinator checks the index against the partition count.
  if (flags.failPartition !== undefined) spec.failPartition = String(flagValue('--fail-partition', flags.failPartition, parseIntegerIn(0, UINT32_MAX)));
  return submitRequest(flags, noopKind.specMember, spec);
}

function addFlags(command: Command): void {
  command
    .option('--partitions <n>', `number of partitions, 1 to ${NOOP_LIMITS.maxPartitions} (default ${NOOP_DEFAULTS.partitions})`)
    .option('--work-ms <ms>', `busy-work per partition in milliseconds, 0 to ${NOOP_LIMITS.maxWorkMs} (default ${NOOP_DEFAULTS.workMs})`)
    .option('--fail-partition <index>', 'a partition index that always fails (to test failure handling)')
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid submit noop --partitions 64 --work-ms 250 --watch
  $ quantgrid submit noop --partitions 4 --fail-partition 2 --watch   # ends FAILED, exit 1`,
    );
}

function describeNoopSpec(n: NoopSpec__Output): string {
  return `${n.partitions ?? NOOP_DEFAULTS.partitions} partitions × ${n.workMs}ms${n.failPartition ? `, partition ${n.failPartition} fails` : ''}`;
}

export function renderNoopResult(result: NoopResult): string {
  const { partitions, checksum } = result;
  const expected = (partitions * (partitions - 1)) / 2;
  const rows: Array<[string, string]> = [
    ['partitions', formatCount(partitions)],
    ['checksum', formatCount(checksum)],
    ['every partition once', checksum === expected ? 'yes' : `no (expected checksum ${expected})`],
  ];
  return `noop result\n${renderKeyValueTable(rows)}`;
}

export const cliKind: CliKind<NoopFlags, NoopSpec__Output, NoopResult> = {
  kind: noopKind,
  aliases: [],
  example: 'quantgrid submit noop --partitions 16 --work-ms 200',
  addFlags,
  buildRequest: buildNoopRequest,
  describeSpec: describeNoopSpec,
  renderResult: renderNoopResult,
};

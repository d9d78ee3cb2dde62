import type { Command } from 'commander';
import type { SubmitJobRequest } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import type { TaskKind } from '../../shared/tasks/task-kind.js';

/**
 * The CLI of one task kind, in cli/kinds/<kind name>.ts (exported as `cliKind`): the flags of
 * `quantgrid submit <name>`, the request they give, how a job's spec reads in listings and how its
 * result renders. Defaults and limits come from the kind's folder in shared/tasks/: the request
 * carries only what the user gave, and the coordinator applies the kind's defaults.
 */
export interface CliKind<Flags = Record<string, unknown>, Member = unknown, Result = unknown> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly kind: TaskKind<any, any, any, Result>;
  /** Other names `submit` accepts for the kind (kept where they already existed). */
  readonly aliases: readonly string[];
  /** One example line for `quantgrid submit --help` (without the leading "$ "). */
  readonly example: string;
  /** Adds the kind's flags and help text to `submit <name>` (the common flags are added after). */
  addFlags(command: Command): void;
  /** The SubmitJobRequest of the parsed flags; bad values throw a UsageError naming the flag. */
  buildRequest(flags: Flags): SubmitJobRequest;
  /** One line saying what the JobSpec member (as decoded) asks for; an unset field reads as the kind's default. */
  describeSpec(member: Member): string;
  /** The merged result (Job.result_json, parsed) as text. */
  renderResult(result: Result): string;
  /** The result as CSV with a header line, for kinds that have a table. */
  csv?(result: Result): string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCliKind = CliKind<any, any, any>;

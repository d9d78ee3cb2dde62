import { ValidationError } from '../errors.js';
import type { AnyTaskKind } from './task-kind.js';
import { noopKind } from './noop/index.js';
import { backtestKind } from './backtest/index.js';
import { marketAnalysisKind } from './market-analysis/index.js';

/**
 * Every task kind, once. Adding a kind means adding it here, its member to JobSpec in proto/, and
 * its CLI file (cli/kinds/); see docs/extending.md.
 */
const KINDS = [backtestKind, marketAnalysisKind, noopKind] as const;

/** The name of a registered kind: "backtest" | "market-analysis" | "noop". */
export type TaskKindName = (typeof KINDS)[number]['name'];

const BY_NAME = new Map<string, AnyTaskKind>(KINDS.map((kind) => [kind.name, kind]));
const BY_MEMBER = new Map<string, AnyTaskKind>(KINDS.map((kind) => [kind.specMember, kind]));

export function allTaskKinds(): readonly AnyTaskKind[] {
  return KINDS;
}

export function taskKindByName(name: string): AnyTaskKind | undefined {
  return BY_NAME.get(name);
}

export function isTaskKindName(name: string): name is TaskKindName {
  return BY_NAME.has(name);
}

/** "a, b or c". */
function orList(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** The kind a decoded JobSpec selects and its raw kind-specific spec. */
export function selectTaskKind(jobSpec: { kind?: string } & Record<string, unknown>): { kind: AnyTaskKind; raw: unknown } {
  const member = jobSpec.kind;
  const kind = member ? BY_MEMBER.get(member) : undefined;
  if (!member || !kind) {
    // Fields by their proto names, kinds by theirs: "set one field: backtest, market_analysis or noop
    // (the spec of a backtest, market-analysis or noop job)".
    const fields = orList(KINDS.map((k) => k.specField));
    const kinds = orList(KINDS.map((k) => k.name));
    throw new ValidationError('spec.kind', `set one field: ${fields} (the spec of a ${kinds} job)`);
  }
  return { kind, raw: jobSpec[member] };
}

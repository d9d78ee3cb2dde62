import { ValidationError } from '../errors.js';
import type { AnyTaskKind } from './task-kind.js';
import { noopKind } from './noop/index.js';
import { backtestKind } from './backtest/index.js';
import { marketAnalysisKind } from './market-analysis/index.js';

/** Every task kind, by wire name. Adding a kind means adding it here and to JobSpec in proto/. */
const KINDS: readonly AnyTaskKind[] = [backtestKind, marketAnalysisKind, noopKind];

const BY_NAME = new Map(KINDS.map((kind) => [kind.name, kind]));

/** JobSpec's oneof member (as decoded, camelCase) → task kind name. */
const ONEOF_TO_KIND: Record<string, string> = {
  backtest: 'backtest',
  marketAnalysis: 'market-analysis',
  noop: 'noop',
};

export function allTaskKinds(): readonly AnyTaskKind[] {
  return KINDS;
}

export function taskKindByName(name: string): AnyTaskKind | undefined {
  return BY_NAME.get(name);
}

/** The kind a decoded JobSpec selects and its raw kind-specific spec. */
export function selectTaskKind(jobSpec: { kind?: string } & Record<string, unknown>): { kind: AnyTaskKind; raw: unknown } {
  const member = jobSpec.kind;
  const name = member ? ONEOF_TO_KIND[member] : undefined;
  const kind = name ? BY_NAME.get(name) : undefined;
  if (!member || !kind) {
    throw new ValidationError('spec.kind', `must be one of: ${Object.keys(ONEOF_TO_KIND).join(', ')}`);
  }
  return { kind, raw: jobSpec[member] };
}

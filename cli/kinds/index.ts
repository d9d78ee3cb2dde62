import type { JobSpec__Output } from '../../shared/generated/quantgrid/v1/JobSpec.js';
import { allTaskKinds } from '../../shared/tasks/registry.js';
import type { AnyCliKind } from './cli-kind.js';

/**
 * The CLI of every kind in the shared registry, from cli/kinds/<kind name>.js: the registry is the
 * one list of kinds; a kind without its CLI file fails here, at start-up (and in the unit tests).
 */
const CLI_KINDS: readonly AnyCliKind[] = await Promise.all(
  allTaskKinds().map(async (kind) => {
    const module = (await import(`./${kind.name}.js`)) as { cliKind?: AnyCliKind };
    if (module.cliKind?.kind !== kind) throw new Error(`cli/kinds/${kind.name}.ts must export cliKind, the CLI of task kind ${kind.name}`);
    return module.cliKind;
  }),
);

/** In the registry's order. */
export function allCliKinds(): readonly AnyCliKind[] {
  return CLI_KINDS;
}

export function cliKindByName(name: string): AnyCliKind | undefined {
  return CLI_KINDS.find((cli) => cli.kind.name === name);
}

/** The kind a JobSpec selects: by its oneof member as decoded (`kind`), else by the member that is set. */
export function cliKindOfSpec(spec: JobSpec__Output | null | undefined): AnyCliKind | undefined {
  if (!spec) return undefined;
  if (spec.kind) return CLI_KINDS.find((cli) => cli.kind.specMember === spec.kind);
  return CLI_KINDS.find((cli) => (spec as unknown as Record<string, unknown>)[cli.kind.specMember]);
}

/** "backtest, market-analysis or noop". */
export function kindNamesText(conjunction = 'or'): string {
  const names = CLI_KINDS.map((cli) => cli.kind.name);
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} ${conjunction} ${names.at(-1)}`;
}

/** The subcommands of `quantgrid token` (its description and its errors list them). */
export const TOKEN_SUBCOMMANDS = 'create, ls, revoke, whoami';

/**
 * What `quantgrid --help` says of each top-level command, in its order: the command as commander's
 * help writes it (a unit test checks it against the real definition) and its description, which the
 * definitions in cli/commands/ take from here. Nothing here loads a command (command-list.ts does).
 */
export interface CommandSummary {
  name: string;
  term: string;
  description: string;
}

export const COMMAND_SUMMARIES: readonly CommandSummary[] = [
  { name: 'submit', term: 'submit', description: 'submit a job to the cluster (prints its id, or follows it with --watch)' },
  { name: 'jobs', term: 'jobs [options]', description: 'list recent jobs: id, kind, owner, status, progress, age, duration' },
  { name: 'job', term: 'job [options] <id>', description: 'show a job: status, progress, error and its result as tables' },
  { name: 'logs', term: 'logs [options] <id>', description: "print a job's log: what its partitions reported (warnings, errors with stack traces, node and attempt) and what the coordinator decided (plan, retries, quarantines, cancellation)" },
  { name: 'cancel', term: 'cancel <id>', description: 'cancel a job: queued partitions are dropped, running ones stopped' },
  { name: 'nodes', term: 'nodes', description: 'list the compute nodes: state, slots, hardware, load, round-trip time and score' },
  { name: 'data', term: 'data', description: 'market data stored in the cluster: import OHLCV files, append newer bars (versions), tag, list and remove datasets' },
  { name: 'strategy', term: 'strategy', description: "your own strategies: push a file written on quantgrid/strategy, list, show, remove; run with submit backtest --strategy NAME" },
  { name: 'schedule', term: 'schedule', description: 'jobs the cluster submits on a cron (the nightly backtest): add, ls, rm, pause, resume, run-now' },
  { name: 'token', term: 'token', description: `API tokens: ${TOKEN_SUBCOMMANDS}` },
  { name: 'audit', term: 'audit [options]', description: 'who submitted, cancelled, imported, scheduled, created or revoked what, and when (admin)' },
  { name: 'cluster', term: 'cluster', description: 'set up a cluster: init writes a new cluster secret' },
];

/** The description of the top-level command `name` (throws for a name not in COMMAND_SUMMARIES). */
export function commandDescription(name: string): string {
  const summary = COMMAND_SUMMARIES.find((candidate) => candidate.name === name);
  if (!summary) throw new Error(`no top-level command ${name}`);
  return summary.description;
}

import type { Command } from 'commander';

/** The subcommands of `quantgrid token` (its description and its errors list them). */
export const TOKEN_SUBCOMMANDS = 'create, ls, revoke, whoami';

/**
 * The CLI's top-level commands: what `quantgrid --help` lists, and how to load a command's
 * definition and code — only when that command runs, so that `--help`, `--version` and a light
 * command do not load gRPC, protobuf, esbuild or the parquet reader for commands they do not run.
 * `term` is the command as commander's help writes it (a unit test checks it against the real
 * definition); the definitions take their descriptions from here.
 */
export interface CommandEntry {
  name: string;
  term: string;
  description: string;
  register: () => Promise<(program: Command) => void>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'submit', term: 'submit', description: 'submit a job to the cluster (prints its id, or follows it with --watch)', register: async () => (await import('./commands/submit.js')).registerSubmitCommand },
  { name: 'jobs', term: 'jobs [options]', description: 'list recent jobs: id, kind, owner, status, progress, age, duration', register: async () => (await import('./commands/jobs.js')).registerJobsCommand },
  { name: 'job', term: 'job [options] <id>', description: 'show a job: status, progress, error and its result as tables', register: async () => (await import('./commands/job.js')).registerJobCommand },
  { name: 'logs', term: 'logs [options] <id>', description: "print a job's log: what its partitions reported (warnings, errors with stack traces, node and attempt) and what the coordinator decided (plan, retries, quarantines, cancellation)", register: async () => (await import('./commands/logs.js')).registerLogsCommand },
  { name: 'cancel', term: 'cancel <id>', description: 'cancel a job: queued partitions are dropped, running ones stopped', register: async () => (await import('./commands/cancel.js')).registerCancelCommand },
  { name: 'nodes', term: 'nodes', description: 'list the compute nodes: state, slots, hardware, load, round-trip time and score', register: async () => (await import('./commands/nodes.js')).registerNodesCommand },
  { name: 'data', term: 'data', description: 'market data stored in the cluster: import OHLCV files, append newer bars (versions), tag, list and remove datasets', register: async () => (await import('./commands/data.js')).registerDataCommand },
  { name: 'strategy', term: 'strategy', description: "your own strategies: push a file written on quantgrid/strategy, list, show, remove; run with submit backtest --strategy NAME", register: async () => (await import('./commands/strategy.js')).registerStrategyCommand },
  { name: 'schedule', term: 'schedule', description: 'jobs the cluster submits on a cron (the nightly backtest): add, ls, rm, pause, resume, run-now', register: async () => (await import('./commands/schedule.js')).registerScheduleCommand },
  { name: 'token', term: 'token', description: `API tokens: ${TOKEN_SUBCOMMANDS}`, register: async () => (await import('./commands/token.js')).registerTokenCommand },
  { name: 'audit', term: 'audit [options]', description: 'who submitted, cancelled, imported, scheduled, created or revoked what, and when (admin)', register: async () => (await import('./commands/audit.js')).registerAuditCommand },
  { name: 'cluster', term: 'cluster', description: 'set up a cluster: init writes a new cluster secret', register: async () => (await import('./commands/cluster.js')).registerClusterCommand },
];

/** The description of the top-level command `name` (throws for a name not in COMMANDS). */
export function commandDescription(name: string): string {
  const entry = COMMANDS.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`no top-level command ${name}`);
  return entry.description;
}

/** The top-level command the arguments run: the first word past the global options and their values. */
export function requestedCommand(program: Command, args: readonly string[]): CommandEntry | undefined {
  const takesValue = new Set<string>();
  for (const option of program.options) {
    if (!option.required && !option.optional) continue;
    if (option.long) takesValue.add(option.long);
    if (option.short) takesValue.add(option.short);
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('-')) {
      if (takesValue.has(arg)) i++;
      continue;
    }
    return COMMANDS.find((entry) => entry.name === arg);
  }
  return undefined;
}

import type { Command } from 'commander';
import { COMMAND_SUMMARIES, type CommandSummary } from './command-summaries.js';

/** How a top-level command defines itself on the program. */
type Register = (program: Command) => void;

/** Each command's definition and code, imported only when that command runs. */
const LOADERS: Record<string, () => Promise<Register>> = {
  submit: async () => (await import('./commands/submit.js')).registerSubmitCommand,
  jobs: async () => (await import('./commands/jobs.js')).registerJobsCommand,
  job: async () => (await import('./commands/job.js')).registerJobCommand,
  logs: async () => (await import('./commands/logs.js')).registerLogsCommand,
  cancel: async () => (await import('./commands/cancel.js')).registerCancelCommand,
  nodes: async () => (await import('./commands/nodes.js')).registerNodesCommand,
  data: async () => (await import('./commands/data.js')).registerDataCommand,
  strategy: async () => (await import('./commands/strategy.js')).registerStrategyCommand,
  schedule: async () => (await import('./commands/schedule.js')).registerScheduleCommand,
  token: async () => (await import('./commands/token.js')).registerTokenCommand,
  audit: async () => (await import('./commands/audit.js')).registerAuditCommand,
  cluster: async () => (await import('./commands/cluster.js')).registerClusterCommand,
};

/**
 * The CLI's top-level commands (command-summaries.ts), each with how to load its definition and
 * code — only when that command runs, so that `--help`, `--version` and a light command do not load
 * gRPC, protobuf, esbuild or the parquet reader for commands they do not run.
 */
export interface CommandEntry extends CommandSummary {
  register: () => Promise<Register>;
}

export const COMMANDS: readonly CommandEntry[] = COMMAND_SUMMARIES.map((summary) => {
  const register = LOADERS[summary.name];
  if (!register) throw new Error(`no definition of the command ${summary.name}`);
  return { ...summary, register };
});

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

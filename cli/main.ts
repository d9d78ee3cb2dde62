#!/usr/bin/env node
import { Command } from 'commander';
import { QUANTGRID_VERSION } from '../shared/version.js';
import { commanderErrorLine, EXIT, reportError, UsageError } from './cli-error.js';
import { addGlobalOptions } from './command-context.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerCancelCommand } from './commands/cancel.js';
import { registerClusterCommand } from './commands/cluster.js';
import { registerDataCommand } from './commands/data.js';
import { registerScheduleCommand } from './commands/schedule.js';
import { registerJobCommand } from './commands/job.js';
import { registerJobsCommand } from './commands/jobs.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerNodesCommand } from './commands/nodes.js';
import { registerStrategyCommand } from './commands/strategy.js';
import { registerSubmitCommand } from './commands/submit.js';
import { registerTokenCommand } from './commands/token.js';

function buildProgram(): Command {
  // Settings made here are inherited by every command created afterwards.
  const program = new Command('quantgrid')
    .description('quantgrid: run backtests and market analysis on the machines you own')
    .version(QUANTGRID_VERSION, '-V, --version')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ outputError: (text, write) => write(commanderErrorLine(text)) })
    .addHelpText(
      'after',
      `
Exit codes: 0 success (a watched job completed), 1 coordinator error or the job failed/was cancelled,
2 bad flags or arguments, 130 Ctrl-C while watching (the job keeps running).

Examples:
  $ quantgrid nodes
  $ quantgrid submit backtest --symbols BTCUSDT,ETHUSDT --fast 5:50:5 --slow 20:200:10 --watch
  $ quantgrid jobs --status running
  $ quantgrid --coordinator 10.0.0.5:7000 job 4f1c2a --watch`,
    );
  addGlobalOptions(program);
  registerSubmitCommand(program);
  registerJobsCommand(program);
  registerJobCommand(program);
  registerLogsCommand(program);
  registerCancelCommand(program);
  registerNodesCommand(program);
  registerDataCommand(program);
  registerStrategyCommand(program);
  registerScheduleCommand(program);
  registerTokenCommand(program);
  registerAuditCommand(program);
  registerClusterCommand(program);
  // Reached only when no command matched (set last: commands created before do not inherit it).
  program.allowExcessArguments().action((_options: unknown, command: Command) => {
    const name = command.args[0];
    throw new UsageError(name === undefined ? 'missing command (see quantgrid --help)' : `unknown command '${name}' (see quantgrid --help)`);
  });
  return program;
}

// Output piped into a reader that stopped early (| head): stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
  throw error;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error);
}
// Everything is closed by now; should a library still hold the event loop, do not hang on it.
setTimeout(() => process.exit(), 2000).unref();

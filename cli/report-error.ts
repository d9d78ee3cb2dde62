import { ConnectionSetupError } from '../shared/client/coordinator-connection.js';
import { CoordinatorError } from '../shared/client/coordinator-error.js';
import { JobWatchLostError } from '../shared/client/job-watcher.js';
import { CliError, commanderExitCode, EXIT, UsageError } from './cli-error.js';

// Loaded by main only when a command threw: it imports the client library (gRPC) for its error types.

/**
 * The CLI's view of a failure of the client library (shared/client/): a failed call to the coordinator
 * or a lost watch is exit 1, connection options that do not work (TLS files) are bad flags (exit 2).
 * Anything else passes through.
 */
export function asCliError(error: unknown): unknown {
  if (error instanceof CoordinatorError || error instanceof JobWatchLostError) return new CliError(error.message, EXIT.FAILURE);
  if (error instanceof ConnectionSetupError) return new UsageError(error.message);
  return error;
}

/**
 * Prints what a run threw as one line on stderr (commander has printed its own already) and returns
 * the exit code. Only unexpected errors show a stack trace, and only with QUANTGRID_DEBUG set.
 */
export function reportError(thrown: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  const error = asCliError(thrown);
  const commanderCode = commanderExitCode(error);
  if (commanderCode !== undefined) return commanderCode;
  if (error instanceof CliError) {
    stderr.write(`quantgrid: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  const detail = process.env.QUANTGRID_DEBUG && error instanceof Error ? `\n${error.stack}` : '';
  stderr.write(`quantgrid: unexpected error: ${message}${detail}\n`);
  return EXIT.FAILURE;
}

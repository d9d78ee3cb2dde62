import { CommanderError } from 'commander';
import { ConnectionSetupError } from '../shared/client/coordinator-connection.js';
import { CoordinatorError } from '../shared/client/coordinator-error.js';
import { JobWatchLostError } from '../shared/client/job-watcher.js';

/** Exit codes of the quantgrid CLI. */
export const EXIT = {
  /** The command did what was asked (a watched job COMPLETED). */
  OK: 0,
  /** Server-side failure: the coordinator refused or is unreachable, or the watched job FAILED or was CANCELLED. */
  FAILURE: 1,
  /** Bad flags or arguments; nothing was sent. */
  USAGE: 2,
  /** Ctrl-C while watching (the job keeps running on the cluster). */
  INTERRUPTED: 130,
} as const;

/** An expected failure: main prints `quantgrid: <message>` on one line and exits with exitCode, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad flags or arguments (exit 2). The message names the flag at fault. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.USAGE);
    this.name = 'UsageError';
  }
}

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

/** commander's "error: …" text (possibly several lines, with a suggestion) as the CLI's one line. */
export function commanderErrorLine(text: string): string {
  return `quantgrid: ${text.trim().replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ')}\n`;
}

/**
 * Prints what a run threw as one line on stderr (commander has printed its own already) and returns
 * the exit code. Only unexpected errors show a stack trace, and only with QUANTGRID_DEBUG set.
 */
export function reportError(thrown: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  const error = asCliError(thrown);
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.OK;
    return EXIT.USAGE;
  }
  if (error instanceof CliError) {
    stderr.write(`quantgrid: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  const detail = process.env.QUANTGRID_DEBUG && error instanceof Error ? `\n${error.stack}` : '';
  stderr.write(`quantgrid: unexpected error: ${message}${detail}\n`);
  return EXIT.FAILURE;
}

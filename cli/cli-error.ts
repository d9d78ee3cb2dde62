import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';

export { EXIT };

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

/** commander's "error: …" text (possibly several lines, with a suggestion) as the CLI's one line. */
export function commanderErrorLine(text: string): string {
  return `quantgrid: ${text.trim().replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ')}\n`;
}

/** The exit code of commander's own outcome (help or version shown: 0; a usage error it printed: 2), undefined for anything else. */
export function commanderExitCode(error: unknown): number | undefined {
  if (!(error instanceof CommanderError)) return undefined;
  return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.OK : EXIT.USAGE;
}

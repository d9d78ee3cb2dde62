import type { Command } from 'commander';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { resolveGlobalOptions, type GlobalOptions } from './global-options.js';
import { resolveToken, tokenHint } from './token-source.js';

/** What a command's action works with: the global options, the coordinator, stdout. */
export class CommandContext {
  readonly globals: GlobalOptions;
  private opened: CoordinatorConnection | undefined;

  constructor(command: Command) {
    this.globals = resolveGlobalOptions(command);
  }

  /** The coordinator connection, opened on first use (a ConnectionSetupError is a UsageError to main). */
  get connection(): CoordinatorConnection {
    this.opened ??= new CoordinatorConnection({
      address: this.globals.address,
      tls: this.globals.tls,
      timeoutMs: this.globals.timeoutMs,
      timeoutHint: 'see --timeout',
      token: resolveToken(this.globals.tokenFile),
      tokenHint: tokenHint(),
    });
    return this.opened;
  }

  get json(): boolean {
    return this.globals.json;
  }

  /** True when a person is looking at stdout (and --json is off): live progress bars are fine. */
  get interactive(): boolean {
    return !this.globals.json && process.stdout.isTTY === true;
  }

  /** Human output: text and a newline on stdout. */
  print(text: string): void {
    process.stdout.write(`${text}\n`);
  }

  /** Machine output (--json): one value, indented. */
  printJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Machine output while watching: one value per line. */
  printJsonLine(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A line on stderr in the CLI's voice, for things that are not failures (notices while watching). */
  note(text: string): void {
    process.stderr.write(`quantgrid: ${text}\n`);
  }

  /** The command that re-attaches to a job, repeating --coordinator when it was given. */
  reattachCommand(jobId: string): string {
    const coordinator = this.globals.addressOnCommandLine ? ` --coordinator ${this.globals.address}` : '';
    return `quantgrid${coordinator} job ${jobId} --watch`;
  }

  close(): void {
    this.opened?.close();
    this.opened = undefined;
  }
}

/**
 * Adapts a command's run function to commander's action: builds the context, sets the exit code
 * from what run returns and closes the connection. Errors propagate to main, which prints them.
 */
export function commandAction<Options>(
  run: (context: CommandContext, options: Options, args: string[]) => Promise<number>,
): (...params: unknown[]) => Promise<void> {
  return async (...params) => {
    const command = params[params.length - 1] as Command;
    const options = params[params.length - 2] as Options;
    const args = params.slice(0, -2) as string[];
    const context = new CommandContext(command);
    try {
      process.exitCode = await run(context, options, args);
    } finally {
      context.close();
    }
  };
}

/**
 * Bad input: the message names the field at fault (e.g. "backtest.params.fast").
 * The coordinator maps it to gRPC INVALID_ARGUMENT; the CLI prints it in one line.
 */
export class ValidationError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'ValidationError';
  }
}

/** Short text for any thrown value, for logs and error events. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Fields that would hold a secret if a caller ever logged one: pino writes "[redacted]" instead. No
 * code logs secrets (they are read from files and passed straight on); this is the second line.
 */
export const REDACTED_LOG_FIELDS = ['token', 'password', 'secret', 'authorization', '*.token', '*.password', '*.secret', '*.authorization'];

/** One logger per process, JSON lines on stderr; level from QUANTGRID_LOG_LEVEL (default info). */
export function createLogger(component: string, level = process.env.QUANTGRID_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: component, level, base: { component, pid: process.pid }, redact: { paths: REDACTED_LOG_FIELDS, censor: '[redacted]' } }, pino.destination(2));
}

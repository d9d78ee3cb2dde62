import { pino, type Logger } from 'pino';

export type { Logger };

/** One logger per process, JSON lines on stderr; level from QUANTGRID_LOG_LEVEL (default info). */
export function createLogger(component: string, level = process.env.QUANTGRID_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: component, level, base: { component, pid: process.pid } }, pino.destination(2));
}

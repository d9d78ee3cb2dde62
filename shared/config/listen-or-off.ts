import { InvalidArgumentError } from 'commander';
import { parseHostPort } from './parsers.js';

/** Where an optional HTTP endpoint listens (the metrics, the dashboard), or undefined for "off". */
export type ListenOrOff = { host: string; port: number } | undefined;

/** "off" (no endpoint) or host:port (port 0 = any free port), for a commander argParser. */
export function parseListenOrOff(text: string): ListenOrOff {
  if (text.trim().toLowerCase() === 'off') return undefined;
  try {
    return parseHostPort(text.trim());
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message} (or "off")`);
  }
}

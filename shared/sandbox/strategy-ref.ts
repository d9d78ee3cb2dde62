import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { quoteInput } from '../quote-input.js';

/**
 * How a job, the CLI and the store name a user strategy: "NAME" (its latest version) or "NAME@ID"
 * (that version; ID the SHA-256 of its bundle, 64 hex digits, or a unique prefix of at least
 * MIN_ID_PREFIX of them when asking the store). Names follow the SDK's rule for strategy names.
 */
export const STRATEGY_NAME_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;
export const STRATEGY_ID_PATTERN = /^[0-9a-f]{64}$/;
export const MIN_ID_PREFIX = 8;

/** The id of a bundle: the SHA-256 of its UTF-8 bytes, hex. */
export function strategyId(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

export interface StrategyRef {
  name: string;
  /** Full id, a prefix of one, or undefined for "the latest". */
  id?: string;
}

export function parseStrategyRef(text: string, field: string): StrategyRef {
  const at = text.indexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  const id = at < 0 ? undefined : text.slice(at + 1);
  if (!STRATEGY_NAME_PATTERN.test(name)) throw new ValidationError(field, `${quoteInput(name)} is not a strategy name (lower-case letters, digits and -, starting with a letter)`);
  if (id !== undefined && !(/^[0-9a-f]+$/.test(id) && id.length >= MIN_ID_PREFIX && id.length <= 64)) {
    throw new ValidationError(field, `the id after @ is ${MIN_ID_PREFIX} to 64 lower-case hex digits, got ${quoteInput(id)}`);
  }
  return { name, id };
}

export function formatStrategyRef(name: string, id: string): string {
  return `${name}@${id}`;
}

/** "NAME@ID" with the full id: how a job and a partition name the version they run. */
export function isExactStrategyRef(text: string): boolean {
  const at = text.indexOf('@');
  return at > 0 && STRATEGY_NAME_PATTERN.test(text.slice(0, at)) && STRATEGY_ID_PATTERN.test(text.slice(at + 1));
}

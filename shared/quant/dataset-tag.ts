import { DATASETS } from './dataset.js';

/**
 * Dataset tags: a name (e.g. "BTCUSDT-1h") that points at one version of a stored dataset, moved by
 * `data append` on the tag and by `data tag`. A tag is never mistaken for a content id: it starts
 * with a letter, has no colon ("sha256:<id>" names a version) and is not 12 or more hex digits.
 */
export const TAG_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
export const TAG_RULE = '1 to 64 characters of A-Z a-z 0-9 . _ -, starting with a letter, neither 12 or more hex digits only (that reads as a content id) nor "synthetic"';
/** All hex digits, as long as a short id (data ls prints 12) or longer: it would read as a content id. */
const CONTENT_ID = /^[0-9a-f]{12,}$/i;
/** Names a job's dataset may have that are not tags (the built-in generator). */
const RESERVED = new Set(DATASETS as readonly string[]);

/** Whether `name` is a well-formed tag name. */
export function isDatasetTag(name: unknown): name is string {
  return typeof name === 'string' && TAG_PATTERN.test(name) && !CONTENT_ID.test(name) && !RESERVED.has(name);
}

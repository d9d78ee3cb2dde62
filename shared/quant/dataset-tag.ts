/**
 * Dataset tags: a name (e.g. "BTCUSDT-1h") that points at one version of a stored dataset, moved by
 * `data append` on the tag and by `data tag`. A tag is never mistaken for a content id: it starts
 * with a letter, has no colon ("sha256:<id>" names a version) and is not 64 hex digits.
 */
export const TAG_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
export const TAG_RULE = '1 to 64 characters of A-Z a-z 0-9 . _ -, starting with a letter, not 64 hex digits (that is a content id)';
const CONTENT_ID = /^[0-9a-f]{64}$/;

/** Whether `name` is a well-formed tag name. */
export function isDatasetTag(name: unknown): name is string {
  return typeof name === 'string' && TAG_PATTERN.test(name) && !CONTENT_ID.test(name);
}

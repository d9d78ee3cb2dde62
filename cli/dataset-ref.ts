import { isDatasetTag, TAG_RULE } from '../shared/quant/dataset-tag.js';

const DATASET_ID = /^(?:sha256:)?([0-9a-f]{64})$/i;

/** A stored dataset named on the command line: an id (sha256:<id> or bare, as data ls prints it) or a tag. */
export function parseDatasetRef(text: string): string {
  const trimmed = text.trim();
  const id = DATASET_ID.exec(trimmed)?.[1];
  if (id) return id.toLowerCase();
  if (isDatasetTag(trimmed)) return trimmed;
  throw new Error(`"${text}" is neither a dataset id (sha256:<64 hex digits>) nor a tag (${TAG_RULE})`);
}

/** A tag name on the command line. */
export function parseTagName(text: string): string {
  if (!isDatasetTag(text)) throw new Error(`"${text}" is not a tag name: ${TAG_RULE}`);
  return text;
}

import { FailedPrecondition, NotFound, ValidationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logging.js';
import { quoteInput } from '../../shared/quote-input.js';
import { isDatasetTag, TAG_RULE } from '../../shared/quant/dataset-tag.js';
import { STORED_DATASET_PREFIX } from '../../shared/quant/dataset.js';
import type { AuditLog } from '../audit/audit-log.js';
import { checkOwnerOrAdmin, type Principal } from '../auth/principal.js';
import type { DatasetStore } from '../datasets/dataset-store.js';
import { describeUse, type DatasetReferences } from '../datasets/dataset-usage.js';

const CONTENT_ID = /^(?:sha256:)?([0-9a-f]{64})$/;

export interface DatasetRemovalDeps {
  datasets: DatasetStore;
  references: DatasetReferences;
  audit: AuditLog;
  log: Logger;
}

/**
 * Removes a stored dataset version (`name` its id, sha256: optional) or only a tag, whichever surface
 * asks (the gRPC API, the dashboard): by its owner or an admin; refused (FailedPrecondition) while a
 * job or schedule uses it unless `force`; logged and audited.
 */
export async function removeDataset({ datasets, references, audit, log }: DatasetRemovalDeps, principal: Principal, name: string, force: boolean): Promise<{ removedId: string; removedTag: string; removedTags: string[]; freedBytes: number }> {
  const id = CONTENT_ID.exec(name)?.[1];
  if (id === undefined) {
    if (!isDatasetTag(name)) throw new ValidationError('name', `must be a dataset's id (sha256:<64 hex digits>) or a tag (${TAG_RULE})`);
    const tag = await datasets.tags.get(name);
    if (!tag) throw new NotFound('dataset tag', name);
    checkOwnerOrAdmin(principal, tag.owner, `tag ${quoteInput(name)}`);
    const schedules = await references.schedulesOfTag(name);
    if (schedules.length > 0 && !force) {
      throw new FailedPrecondition(`tag ${name} is in use: ${schedules.map((schedule) => `schedule ${schedule}`).join(', ')} names it; remove those first, or force`);
    }
    await datasets.tags.remove(name);
    log.info({ tag: name, dataset: tag.id, user: principal.user, force }, 'dataset tag removed');
    await audit.append({ user: principal.user, action: 'dataset.untag', target: name, detail: `was sha256:${tag.id}${force && schedules.length > 0 ? ', forced' : ''}` });
    return { removedId: '', removedTag: name, removedTags: [], freedBytes: 0 };
  }
  const info = await datasets.info(id);
  if (!info) throw new NotFound('dataset', `${STORED_DATASET_PREFIX}${id}`);
  checkOwnerOrAdmin(principal, info.owner, `dataset ${id}`);
  const use = await references.usesOf(id);
  const used = describeUse(use);
  if (used && !force) throw new FailedPrecondition(`dataset ${id} is in use: ${used}; remove those first, or force`);
  for (const tag of use.tags) await datasets.tags.remove(tag);
  const freedBytes = await datasets.remove(id);
  log.info({ dataset: id, user: principal.user, force, freedBytes, tags: use.tags }, 'dataset removed');
  await audit.append({ user: principal.user, action: 'dataset.remove', target: `sha256:${id}`, detail: `${info.symbol} ${info.timeframe}, ${info.bars} bars${used ? `, forced (was used by ${used})` : ''}` });
  return { removedId: id, removedTag: '', removedTags: use.tags, freedBytes };
}

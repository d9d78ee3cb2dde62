import { NotFound, ValidationError } from '../../shared/errors.js';
import { CHUNK_BYTES } from '../../shared/grpc/message-limits.js';
import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { DatasetChunk } from '../../shared/generated/quantgrid/v1/DatasetChunk.js';
import type { DatasetTag } from '../../shared/generated/quantgrid/v1/DatasetTag.js';
import type { Logger } from '../../shared/logging.js';
import { quoteInput } from '../../shared/quote-input.js';
import { isDatasetTag, TAG_RULE } from '../../shared/quant/dataset-tag.js';
import { DATASET_ID_PATTERN } from '../../shared/quant/dataset-codec.js';
import { toDatasetInfo, type DatasetStore, type StoredDatasetInfo } from '../datasets/dataset-store.js';
import type { StoredTag } from '../datasets/dataset-tags.js';
import type { DatasetReferences } from '../datasets/dataset-usage.js';
import type { DatasetInfo } from '../../shared/generated/quantgrid/v1/DatasetInfo.js';
import type { AuditLog } from '../audit/audit-log.js';
import { checkOwnerOrAdmin, principalOf, type Principal } from '../auth/principal.js';
import { DATASET_STORE } from './dependency-failure.js';
import { requiredId } from './request-fields.js';
import { clientStream, serverStream, unary, type RpcContext } from './rpc-handlers.js';
import { importDatasetStream, type StreamedDataset } from '../datasets/dataset-stream-import.js';
import { removeDataset } from './dataset-removal.js';

export type DatasetRpcName = 'ImportDataset' | 'ImportDatasetStream' | 'AppendDatasetStream' | 'ListDatasets' | 'FetchDataset' | 'TagDataset' | 'RemoveDataset';

/** Most held versions a FetchDataset request may name (more are ignored). */
const MAX_HAVE = 256;

function toDatasetTag(tag: StoredTag): DatasetTag {
  return { ...tag };
}

/** Importing, appending to, tagging, listing and removing stored datasets, and serving their bytes to node agents. */
export function createDatasetHandlers(datasets: DatasetStore, references: DatasetReferences, audit: AuditLog, log: Logger): Pick<CoordinatorHandlers, DatasetRpcName> {
  const context = (rpc: DatasetRpcName): RpcContext => ({ rpc, log, dependency: DATASET_STORE });
  const tagsOf = async (id: string): Promise<string[]> => (await datasets.tags.list()).filter((tag) => tag.id === id).map((tag) => tag.name);
  /** An import, in one message or streamed: logged, in the audit trail, and answered. */
  const imported = async (info: StoredDatasetInfo & { alreadyPresent: boolean }, owner: string, streamed: boolean): Promise<DatasetInfo> => {
    const { id, symbol, timeframe, bars, bytes, alreadyPresent } = info;
    log.info({ dataset: id, symbol, timeframe, bars, bytes, alreadyPresent, streamed, owner }, 'dataset imported');
    const detail = `${symbol} ${timeframe}, ${bars} bars${streamed ? ', streamed' : ''}${alreadyPresent ? ', already present' : ''}`;
    await audit.append({ user: owner, action: 'dataset.import', target: `sha256:${id}`, detail });
    return toDatasetInfo(info, alreadyPresent, await tagsOf(id));
  };
  /** Points a tag at a version, audited. */
  const setTag = async (name: string, id: string, user: string, why: string): Promise<StoredTag> => {
    const tag = await datasets.tags.set(name, id, user);
    log.info({ tag: name, dataset: id, user }, 'dataset tagged');
    await audit.append({ user, action: 'dataset.tag', target: name, detail: `→ sha256:${id}${why}` });
    return tag;
  };
  const mayMoveTag = (principal: Principal) => (tag: StoredTag) => checkOwnerOrAdmin(principal, tag.owner, `tag ${quoteInput(tag.name)}`);

  return {
    ImportDataset: unary(context('ImportDataset'), async ({ symbol, timeframe, format, content, allowNonPositive }, call) => {
      const owner = principalOf(call).user;
      return imported(await datasets.import({ symbol, timeframe, format, content, owner, allowNonPositive }), owner, false);
    }),

    ImportDatasetStream: clientStream(context('ImportDatasetStream'), async (call) => {
      const owner = principalOf(call).user;
      return imported(await importDatasetStream(datasets, call, () => call.cancelled, owner), owner, true);
    }),

    AppendDatasetStream: clientStream(context('AppendDatasetStream'), async (call) => {
      const principal = principalOf(call);
      const info: StreamedDataset = await importDatasetStream(datasets, call, () => call.cancelled, principal.user, { checkTag: mayMoveTag(principal) });
      const { id, symbol, timeframe, bars, appendedBars, parentId, alreadyPresent } = info;
      log.info({ dataset: id, parent: parentId, symbol, timeframe, bars, appendedBars, alreadyPresent, user: principal.user }, 'dataset appended');
      const detail = `${symbol} ${timeframe}, ${appendedBars ?? 0} bars after sha256:${parentId ?? ''}${alreadyPresent ? ', already present' : ''}`;
      await audit.append({ user: principal.user, action: 'dataset.append', target: `sha256:${id}`, detail });
      if (info.baseTag) await setTag(info.baseTag.name, id, principal.user, ' (append)');
      return toDatasetInfo(info, alreadyPresent, await tagsOf(id));
    }),

    ListDatasets: unary(context('ListDatasets'), async () => {
      const [all, tags, usedBytes] = await Promise.all([datasets.list(), datasets.tags.list(), datasets.usedBytes()]);
      const byId = new Map<string, string[]>();
      for (const tag of tags) byId.set(tag.id, [...(byId.get(tag.id) ?? []), tag.name]);
      return { datasets: all.map((info) => toDatasetInfo(info, false, byId.get(info.id))), tags: tags.map(toDatasetTag), usedBytes, budgetBytes: datasets.budgetBytes };
    }),

    TagDataset: unary(context('TagDataset'), async ({ name, dataset }, call) => {
      const principal = principalOf(call);
      if (!isDatasetTag(name)) throw new ValidationError('name', `must be ${TAG_RULE}`);
      const found = dataset ? await datasets.resolve(dataset) : undefined;
      if (!found) throw new ValidationError('dataset', dataset ? `no dataset or tag ${quoteInput(dataset)} (see quantgrid data ls)` : 'is required: the id or tag of a version');
      const existing = await datasets.tags.get(name);
      if (existing) mayMoveTag(principal)(existing);
      return toDatasetTag(await setTag(name, found.info.id, principal.user, existing ? ` (was sha256:${existing.id})` : ''));
    }),

    RemoveDataset: unary(context('RemoveDataset'), async ({ name, force }, call) => removeDataset({ datasets, references, audit, log }, principalOf(call), name, force)),

    FetchDataset: serverStream(context('FetchDataset'), async function* (request, stopped, call): AsyncGenerator<DatasetChunk> {
      const id = requiredId('id', request.id);
      const have = (request.have ?? []).slice(0, MAX_HAVE).filter((held) => DATASET_ID_PATTERN.test(held));
      // A version the caller holds that this one extends: only the bars after it are sent.
      const base = have.length > 0 ? await datasets.baseAmong(id, have) : undefined;
      const tail = base ? await datasets.tailPieces(id, base.bars) : undefined;
      const found = tail ?? (await datasets.pieces(id));
      if (!found) throw new NotFound('dataset', id);
      const delta = tail && base ? { baseId: base.id, baseBars: base.bars } : { baseId: '', baseBars: 0 };
      log.debug({ dataset: id, bytes: found.totalBytes, base: delta.baseId || undefined, peer: call.getPeer() }, 'serving dataset');
      let offset = 0;
      for await (const piece of found.pieces) {
        if (stopped.aborted) return;
        // A piece is at most a chunk (1 MiB: CHUNK_BYTES); a dataset stored whole is cut here.
        for (let at = 0; at < piece.length; at += CHUNK_BYTES) {
          const data = piece.subarray(at, Math.min(piece.length, at + CHUNK_BYTES));
          yield { data, offset, totalBytes: found.totalBytes, ...delta };
          offset += data.length;
        }
      }
    }),
  };
}

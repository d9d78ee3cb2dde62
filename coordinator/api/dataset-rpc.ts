import { NotFound } from '../../shared/errors.js';
import { CHUNK_BYTES } from '../../shared/grpc/message-limits.js';
import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { DatasetChunk } from '../../shared/generated/quantgrid/v1/DatasetChunk.js';
import type { Logger } from '../../shared/logging.js';
import { toDatasetInfo, type DatasetStore, type StoredDatasetInfo } from '../datasets/dataset-store.js';
import type { DatasetInfo } from '../../shared/generated/quantgrid/v1/DatasetInfo.js';
import type { AuditLog } from '../audit/audit-log.js';
import { principalOf } from '../auth/principal.js';
import { DATASET_STORE } from './dependency-failure.js';
import { requiredId } from './request-fields.js';
import { clientStream, serverStream, unary, type RpcContext } from './rpc-handlers.js';
import { importDatasetStream } from '../datasets/dataset-stream-import.js';

export type DatasetRpcName = 'ImportDataset' | 'ImportDatasetStream' | 'ListDatasets' | 'FetchDataset';

/** Importing and listing stored datasets, and serving their bytes to node agents. */
export function createDatasetHandlers(datasets: DatasetStore, audit: AuditLog, log: Logger): Pick<CoordinatorHandlers, DatasetRpcName> {
  const context = (rpc: DatasetRpcName): RpcContext => ({ rpc, log, dependency: DATASET_STORE });
  /** An import, in one message or streamed: logged, in the audit trail, and answered. */
  const imported = async (info: StoredDatasetInfo & { alreadyPresent: boolean }, owner: string, streamed: boolean): Promise<DatasetInfo> => {
    const { id, symbol, timeframe, bars, bytes, alreadyPresent } = info;
    log.info({ dataset: id, symbol, timeframe, bars, bytes, alreadyPresent, streamed, owner }, 'dataset imported');
    const detail = `${symbol} ${timeframe}, ${bars} bars${streamed ? ', streamed' : ''}${alreadyPresent ? ', already present' : ''}`;
    await audit.append({ user: owner, action: 'dataset.import', target: `sha256:${id}`, detail });
    return toDatasetInfo(info, alreadyPresent);
  };
  return {
    ImportDataset: unary(context('ImportDataset'), async ({ symbol, timeframe, format, content, allowNonPositive }, call) => {
      const owner = principalOf(call).user;
      return imported(await datasets.import({ symbol, timeframe, format, content, owner, allowNonPositive }), owner, false);
    }),

    ImportDatasetStream: clientStream(context('ImportDatasetStream'), async (call) => {
      const owner = principalOf(call).user;
      return imported(await importDatasetStream(datasets, call, () => call.cancelled, owner), owner, true);
    }),

    ListDatasets: unary(context('ListDatasets'), async () => ({ datasets: (await datasets.list()).map((info) => toDatasetInfo(info)) })),

    FetchDataset: serverStream(context('FetchDataset'), async function* (request, stopped, call): AsyncGenerator<DatasetChunk> {
      const id = requiredId('id', request.id);
      const bytes = await datasets.bytes(id);
      if (!bytes) throw new NotFound('dataset', id);
      log.debug({ dataset: id, bytes: bytes.length, peer: call.getPeer() }, 'serving dataset');
      for (let offset = 0; offset < bytes.length && !stopped.aborted; offset += CHUNK_BYTES) {
        yield { data: bytes.subarray(offset, Math.min(bytes.length, offset + CHUNK_BYTES)), offset, totalBytes: bytes.length };
      }
    }),
  };
}

import type { DatasetChunk__Output } from '../shared/generated/quantgrid/v1/DatasetChunk.js';
import { createCoordinatorClient } from '../shared/grpc/clients.js';
import type { TlsConfig } from '../shared/grpc/credentials.js';
import { clusterProofClientInterceptor } from '../shared/grpc/cluster-proof-interceptors.js';
import type { DatasetDeltaFetcher, DatasetFetcher, FetchedDataset } from './dataset-cache.js';

/** Largest dataset an agent accepts (encoded bytes). */
export const MAX_DATASET_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** Options of the fetchers: `clusterSecret`: each fetch proves it, which is how an agent is let in without a user's token. */
export interface GrpcFetchOptions {
  tls?: TlsConfig;
  timeoutMs?: number;
  clusterSecret?: Uint8Array;
}

/**
 * One FetchDataset stream (chunks in order), with an overall deadline: the encoded dataset, or,
 * when `have` names a version it extends, only the bars after that one (`base`). The caller
 * verifies the content against the id.
 */
function fetchStream(options: GrpcFetchOptions, id: string, source: string, have: readonly string[]): Promise<FetchedDataset> {
  return new Promise<FetchedDataset>((resolve, reject) => {
    const client = createCoordinatorClient(source, options.tls ?? {}, options.clusterSecret ? { interceptors: [clusterProofClientInterceptor(options.clusterSecret, source)] } : {});
    const call = client.fetchDataset({ id, have: [...have] }, { deadline: Date.now() + (options.timeoutMs ?? 120_000) });
    let buffer: Buffer | undefined;
    let base: FetchedDataset['base'];
    let received = 0;
    const fail = (error: Error) => {
      client.close();
      reject(error);
    };
    call.on('data', (chunk: DatasetChunk__Output) => {
      const total = Number(chunk.totalBytes);
      if (!buffer) {
        if (!Number.isInteger(total) || total < 0 || total > MAX_DATASET_BYTES) {
          call.cancel();
          return fail(new Error(`dataset ${id}: bad total size ${chunk.totalBytes}`));
        }
        if (chunk.baseId && !have.includes(chunk.baseId)) {
          call.cancel();
          return fail(new Error(`dataset ${id}: sent as the bars after ${chunk.baseId}, which was not asked for`));
        }
        buffer = Buffer.allocUnsafe(total);
        if (chunk.baseId) base = { id: chunk.baseId, bars: chunk.baseBars };
      }
      const offset = Number(chunk.offset);
      if (offset !== received || offset + chunk.data.length > buffer.length) {
        call.cancel();
        return fail(new Error(`dataset ${id}: chunk at ${offset} out of order or too long (expected ${received})`));
      }
      chunk.data.copy(buffer, offset);
      received += chunk.data.length;
    });
    call.on('error', (error) => fail(new Error(`fetching dataset ${id} from ${source}: ${error.message}`)));
    call.on('end', () => {
      client.close();
      if (!buffer || received !== buffer.length) reject(new Error(`dataset ${id}: stream ended after ${received} of ${buffer?.length ?? '?'} bytes`));
      else resolve({ bytes: buffer, base });
    });
  });
}

/** Fetches a dataset's encoded bytes, whole. */
export function grpcDatasetFetcher(options: GrpcFetchOptions = {}): DatasetFetcher {
  return async (id, source) => (await fetchStream(options, id, source, [])).bytes;
}

/** Fetches a dataset, only the bars after a version the caller holds when it extends one. */
export function grpcDatasetDeltaFetcher(options: GrpcFetchOptions = {}): DatasetDeltaFetcher {
  return (id, source, have) => fetchStream(options, id, source, have);
}

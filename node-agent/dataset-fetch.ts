import type { DatasetChunk__Output } from '../shared/generated/quantgrid/v1/DatasetChunk.js';
import { createCoordinatorClient } from '../shared/grpc/clients.js';
import type { TlsConfig } from '../shared/grpc/credentials.js';
import { clusterProofClientInterceptor } from '../shared/grpc/cluster-proof-interceptors.js';
import type { DatasetFetcher } from './dataset-cache.js';

/** Largest dataset an agent accepts (encoded bytes). */
export const MAX_DATASET_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/**
 * Fetches a dataset from the coordinator's FetchDataset stream (chunks in order), with an overall
 * deadline. The caller verifies the content against the id.
 */
/** `clusterSecret`: each fetch proves it, which is how an agent is let in without a user's token. */
export function grpcDatasetFetcher(options: { tls?: TlsConfig; timeoutMs?: number; clusterSecret?: Uint8Array } = {}): DatasetFetcher {
  return (id, source) =>
    new Promise<Uint8Array>((resolve, reject) => {
      const client = createCoordinatorClient(source, options.tls ?? {}, options.clusterSecret ? { interceptors: [clusterProofClientInterceptor(options.clusterSecret, source)] } : {});
      const call = client.fetchDataset({ id }, { deadline: Date.now() + (options.timeoutMs ?? 120_000) });
      let buffer: Buffer | undefined;
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
          buffer = Buffer.allocUnsafe(total);
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
        else resolve(buffer);
      });
    });
}

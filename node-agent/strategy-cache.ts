import { createCoordinatorClient } from '../shared/grpc/clients.js';
import type { TlsConfig } from '../shared/grpc/credentials.js';
import { clusterProofClientInterceptor } from '../shared/grpc/cluster-proof-interceptors.js';
import { errorMessage } from '../shared/errors.js';
import type { StrategyManifest } from '../shared/strategy-sdk/manifest.js';
import { strategyId } from '../shared/sandbox/strategy-ref.js';

/** A user strategy's bundle and manifest, as the coordinator stores them. */
export interface FetchedStrategy {
  code: string;
  manifest: StrategyManifest;
}

/** Fetches strategy bundle `id` from the coordinator at `source` (host:port). */
export type StrategyFetcher = (id: string, source: string) => Promise<FetchedStrategy>;

/** Most bundles kept in memory (each at most 1 MiB); the least recently used go first. */
const MAX_CACHED = 64;

/**
 * The user strategies this agent has run, by id: fetched once per node (concurrent requests share
 * one fetch), checked against their id (the SHA-256 of the bundle), kept in memory.
 */
export class StrategyCache {
  private readonly cached = new Map<string, FetchedStrategy>();
  private readonly loading = new Map<string, Promise<FetchedStrategy>>();

  constructor(private readonly fetch: StrategyFetcher) {}

  get(id: string, source: string): Promise<FetchedStrategy> {
    const hit = this.cached.get(id);
    if (hit) {
      this.cached.delete(id);
      this.cached.set(id, hit);
      return Promise.resolve(hit);
    }
    const pending = this.loading.get(id);
    if (pending) return pending;
    const load = this.load(id, source).finally(() => this.loading.delete(id));
    this.loading.set(id, load);
    return load;
  }

  private async load(id: string, source: string): Promise<FetchedStrategy> {
    if (!source) throw new Error(`strategy ${id} is not cached here and no dataset_source was given to fetch it from`);
    const fetched = await this.fetch(id, source);
    const actual = strategyId(fetched.code);
    if (actual !== id) throw new Error(`strategy ${id}: the bundle fetched hashes to ${actual}`);
    this.cached.set(id, fetched);
    while (this.cached.size > MAX_CACHED) this.cached.delete(this.cached.keys().next().value as string);
    return fetched;
  }
}

/** `clusterSecret`: each fetch proves it, which is how an agent is let in without a user's token. */
export function grpcStrategyFetcher(options: { tls?: TlsConfig; timeoutMs?: number; clusterSecret?: Uint8Array } = {}): StrategyFetcher {
  return (id, source) =>
    new Promise<FetchedStrategy>((resolve, reject) => {
      const client = createCoordinatorClient(source, options.tls ?? {}, options.clusterSecret ? { interceptors: [clusterProofClientInterceptor(options.clusterSecret, source)] } : {});
      client.fetchStrategy({ id }, { deadline: Date.now() + (options.timeoutMs ?? 60_000) }, (error, answer) => {
        client.close();
        if (error || !answer) return reject(new Error(`fetching strategy ${id} from ${source}: ${error?.message ?? 'no answer'}`));
        try {
          resolve({ code: answer.code, manifest: JSON.parse(answer.info?.manifestJson ?? '') as StrategyManifest });
        } catch (parseError) {
          reject(new Error(`strategy ${id}: bad manifest from ${source}: ${errorMessage(parseError)}`));
        }
      });
    });
}

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

/** How much of the agent's memory its strategy bundles may hold. */
export interface StrategyCacheLimits {
  /** Most bundles kept. */
  maxEntries: number;
  /** Most bytes of bundles and manifests kept (UTF-8); one larger than this is used, not kept. */
  maxBytes: number;
}

/**
 * A bundle is at most 1 MiB (MAX_STRATEGY_BYTES): 64 of them, or 32 MiB, whichever is reached
 * first, cover the strategies a node's recent jobs ran without letting a stream of distinct pushes
 * grow the agent's memory.
 */
export const DEFAULT_STRATEGY_CACHE_LIMITS: StrategyCacheLimits = { maxEntries: 64, maxBytes: 32 * 1024 * 1024 };

interface Cached {
  strategy: FetchedStrategy;
  bytes: number;
}

/**
 * The user strategies this agent has run, by id: fetched once per node (concurrent requests share
 * one fetch), checked against their id (the SHA-256 of the bundle), kept in memory, least recently
 * used first out beyond the limits. The worker threads keep a strategy's code and isolate only for
 * the partition that runs it (sandbox-registry.ts newPartition), so what this cache drops is
 * freed: a later partition fetches it again.
 */
export class StrategyCache {
  private readonly cached = new Map<string, Cached>();
  private readonly loading = new Map<string, Promise<FetchedStrategy>>();
  private bytes = 0;
  readonly limits: StrategyCacheLimits;

  constructor(
    private readonly fetch: StrategyFetcher,
    limits: Partial<StrategyCacheLimits> = {},
  ) {
    this.limits = { ...DEFAULT_STRATEGY_CACHE_LIMITS, ...limits };
  }

  get(id: string, source: string): Promise<FetchedStrategy> {
    const hit = this.cached.get(id);
    if (hit) {
      this.cached.delete(id);
      this.cached.set(id, hit);
      return Promise.resolve(hit.strategy);
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
    this.remember(id, fetched);
    return fetched;
  }

  private remember(id: string, strategy: FetchedStrategy): void {
    const bytes = Buffer.byteLength(strategy.code, 'utf8') + Buffer.byteLength(JSON.stringify(strategy.manifest), 'utf8');
    if (bytes > this.limits.maxBytes || this.limits.maxEntries < 1) return;
    this.delete(id);
    this.cached.set(id, { strategy, bytes });
    this.bytes += bytes;
    while (this.cached.size > this.limits.maxEntries || this.bytes > this.limits.maxBytes) this.delete(this.cached.keys().next().value as string);
  }

  /** Forgets bundle `id` (a later get fetches it again). */
  delete(id: string): void {
    const entry = this.cached.get(id);
    if (!entry) return;
    this.cached.delete(id);
    this.bytes -= entry.bytes;
  }

  get stats(): { entries: number; bytes: number } {
    return { entries: this.cached.size, bytes: this.bytes };
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

/**
 * A process hosting many simulated nodes (bench/lib/sim-node.ts), forked by bench/lib/sim-cluster.ts
 * and driven over its IPC channel: `start` nodes, `crash` or `stop` one, `exit`. Each request is
 * answered with a message of the same `seq`. It exits when its parent goes away.
 */
import { readClusterSecretFile } from '../../shared/auth/cluster-secret-file.js';
import { parseConsulUrl } from '../../shared/config/consul-option.js';
import { createLogger } from '../../shared/logging.js';
import { errorMessage } from '../../shared/errors.js';
import { startSimNode, type SimNode } from './sim-node.js';

export interface HostConfig {
  consulUrl: string;
  /** '' = no cluster secret. */
  clusterSecretFile: string;
  slots: number;
  workScale: number;
  checkTtlMs: number;
  /** How often each node refreshes its TTL check (the agent's ConsulRegistration refresh). */
  refreshMs: number;
  /** See SimNodeOptions.movingNote. */
  movingNote: boolean;
  /** How long a `start` waits for its nodes' registrations before it fails naming those missing. */
  registerTimeoutMs: number;
}

export type HostRequest =
  | { seq: number; type: 'start'; ids: string[] }
  | { seq: number; type: 'crash'; id: string }
  | { seq: number; type: 'exit' };

export type HostReply =
  | { seq: number; type: 'crashed'; id: string; atMs: number }
  | { seq: number; type: 'done' }
  | { seq: number; type: 'error'; message: string };

/** Nodes started at once: each binds a port and registers with Consul; the next batch waits for their registrations. */
const START_BATCH = 25;

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as HostConfig;
  const logger = createLogger('sim-node', process.env.QUANTGRID_SIM_LOG_LEVEL ?? 'error');
  const secret = config.clusterSecretFile ? (await readClusterSecretFile(config.clusterSecretFile)).secret : undefined;
  const consul = parseConsulUrl(config.consulUrl);
  const nodes = new Map<string, SimNode>();
  const reply = (message: HostReply) => process.send?.(message);

  const handle = async (request: HostRequest): Promise<HostReply> => {
    switch (request.type) {
      case 'start': {
        // Batch by batch: a batch's servers start, then its registrations are awaited before the next
        // batch starts. Starting all of a host's nodes at once kept its event loop busy for tens of
        // seconds (no timer or socket served: TTL refreshes late, registrations timed out unsent) and
        // then sent hundreds of registrations to the one Consul agent together, which timed them out
        // and had them retried together again.
        const deadline = Date.now() + config.registerTimeoutMs;
        for (let i = 0; i < request.ids.length; i += START_BATCH) {
          const batch = await Promise.all(
            request.ids.slice(i, i + START_BATCH).map((nodeId) =>
              startSimNode({ nodeId, slots: config.slots, consul, clusterSecret: secret, workScale: config.workScale, checkTtlMs: config.checkTtlMs, refreshMs: config.refreshMs, movingNote: config.movingNote, logger }),
            ),
          );
          for (const node of batch) nodes.set(node.nodeId, node);
          const registered = await Promise.all(batch.map((node) => node.waitUntilRegistered(Math.max(0, deadline - Date.now()))));
          const missing = batch.filter((_, j) => !registered[j]);
          if (missing.length > 0) {
            const names = missing.slice(0, 5).map((node) => `${node.nodeId} (${node.registrationState})`).join(', ');
            throw new Error(
              `${missing.length} of ${batch.length} simulated nodes of a batch (${i} of ${request.ids.length} started before it) not registered with Consul within ${config.registerTimeoutMs} ms of the start: ${names}${missing.length > 5 ? ', …' : ''}`,
            );
          }
          // Let timers and sockets run (a server's listen resolves without a turn of the event loop).
          await new Promise((resolve) => setImmediate(resolve));
        }
        return { seq: request.seq, type: 'done' };
      }
      case 'crash': {
        const node = nodes.get(request.id);
        if (!node) throw new Error(`no simulated node ${request.id} here`);
        const atMs = Date.now();
        node.crash();
        nodes.delete(request.id);
        return { seq: request.seq, type: 'crashed', id: request.id, atMs };
      }
      case 'exit': {
        await Promise.all([...nodes.values()].map((node) => node.stop().catch(() => undefined)));
        nodes.clear();
        return { seq: request.seq, type: 'done' };
      }
    }
  };

  process.on('message', (request: HostRequest) => {
    handle(request)
      .then(reply, (error: unknown) => reply({ seq: request.seq, type: 'error', message: errorMessage(error) }))
      .finally(() => {
        if (request.type === 'exit') setTimeout(() => process.exit(0), 50);
      });
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ seq: 0, type: 'done' } satisfies HostReply);
}

main().catch((error: unknown) => {
  process.stderr.write(`sim-node-host: ${errorMessage(error)}\n`);
  process.exit(1);
});

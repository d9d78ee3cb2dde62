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
}

export type HostRequest =
  | { seq: number; type: 'start'; ids: string[] }
  | { seq: number; type: 'crash'; id: string }
  | { seq: number; type: 'exit' };

export type HostReply =
  | { seq: number; type: 'crashed'; id: string; atMs: number }
  | { seq: number; type: 'done' }
  | { seq: number; type: 'error'; message: string };

/** Nodes started at once: each registers with Consul and binds a port. */
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
        const started: SimNode[] = [];
        for (let i = 0; i < request.ids.length; i += START_BATCH) {
          const batch = await Promise.all(
            request.ids.slice(i, i + START_BATCH).map((nodeId) =>
              startSimNode({ nodeId, slots: config.slots, consul, clusterSecret: secret, workScale: config.workScale, checkTtlMs: config.checkTtlMs, refreshMs: config.refreshMs, movingNote: config.movingNote, logger }),
            ),
          );
          for (const node of batch) nodes.set(node.nodeId, node);
          started.push(...batch);
        }
        const registered = await Promise.all(started.map((node) => node.registered));
        if (registered.includes(false)) throw new Error('some simulated nodes could not register with Consul');
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

import { EventEmitter } from 'node:events';
import type Consul from 'consul';
import { formatHostPort } from '../../shared/config/host-port.js';
import type { SecretFile } from '../../shared/config/secret-file.js';
import { consulAclRefusalMessage, createConsulClient, isConsulAclRefusal } from '../../shared/consul-client.js';
import { AGENT_SERVICE_NAME } from '../../shared/consul-names.js';
import type { Logger } from '../../shared/logging.js';


/** A passing quantgrid-agent instance as Consul reports it. */
export interface DiscoveredNode {
  id: string;
  address: string;
  cores: number;
  slots: number;
  memoryBytes: number;
  cpuSpeedGhz: number;
  capabilities: string[];
  /** Task kinds it is specialised in (Meta specialties, comma-joined; none for agents that say nothing). */
  specialties: string[];
  version: string;
}

interface HealthServiceEntry {
  Node?: { Address?: string };
  Service?: { ID?: string; Address?: string; Port?: number; Meta?: Record<string, string> };
}

function toNumber(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export function toDiscoveredNode(entry: HealthServiceEntry): DiscoveredNode | undefined {
  const service = entry.Service;
  if (!service?.ID || !service.Port) return undefined;
  const host = service.Address || entry.Node?.Address;
  if (!host) return undefined;
  const meta = service.Meta ?? {};
  return {
    id: service.ID,
    address: formatHostPort(host, service.Port),
    cores: toNumber(meta.cores, 1),
    slots: Math.floor(toNumber(meta.slots, 1)),
    memoryBytes: toNumber(meta.memory, 0),
    cpuSpeedGhz: toNumber(meta.cpu_speed, 0), // 0 = the agent could not tell
    capabilities: (meta.capabilities ?? '').split(',').filter((c) => c.length > 0),
    specialties: (meta.specialties ?? '').split(',').filter((s) => s.length > 0),
    version: meta.version ?? '',
  };
}

/**
 * Follows the passing quantgrid-agent instances with Consul blocking queries: a change
 * (a node joins, or fails its TTL check) arrives as soon as Consul knows it.
 * When Consul is unreachable the last known list stays in force and the watch retries
 * with backoff (at most 2 s apart), so running work is not disturbed. The token of
 * --consul-token-file goes with every query; when Consul refuses it (HTTP 403) that is logged once,
 * in one line naming the flag (again only when the reason changes), and the watch keeps retrying.
 *
 * Events: 'nodes' (DiscoveredNode[]).
 */
export class NodeDiscovery extends EventEmitter {
  private watch: ReturnType<Consul['watch']> | undefined;
  /** Why the last query failed (undefined while Consul answers): a state change is logged once. */
  private failure: { kind: 'unreachable' } | { kind: 'refused'; reason: string } | undefined;

  constructor(
    private readonly consulUrl: URL,
    private readonly log: Logger,
    private readonly token: SecretFile | undefined = undefined,
  ) {
    super();
  }

  start(): void {
    const consul = createConsulClient(
      {
        host: this.consulUrl.hostname,
        port: Number(this.consulUrl.port || (this.consulUrl.protocol === 'https:' ? 443 : 80)),
        secure: this.consulUrl.protocol === 'https:',
      },
      this.token,
    );
    this.watch = consul.watch({
      method: consul.health.service,
      options: { service: AGENT_SERVICE_NAME, passing: true, wait: '30s' } as unknown as Record<string, string>,
      backoffFactor: 100,
      backoffMax: 2000,
    });
    this.watch.on('change', (entries: HealthServiceEntry[]) => {
      if (this.failure?.kind === 'unreachable') this.log.info({ consul: this.consulUrl.href }, 'Consul reachable again');
      if (this.failure?.kind === 'refused') this.log.info({ consul: this.consulUrl.href }, 'Consul accepts the discovery query again');
      this.failure = undefined;
      const nodes = (entries ?? []).map(toDiscoveredNode).filter((n): n is DiscoveredNode => n !== undefined);
      this.emit('nodes', nodes);
    });
    this.watch.on('error', (error: Error & { statusCode?: number }, response?: { statusCode?: number }) => {
      const statusCode = response?.statusCode ?? error.statusCode;
      if (isConsulAclRefusal(statusCode)) {
        const reason = `HTTP ${statusCode}: ${error.message}`;
        if (this.failure?.kind !== 'refused' || this.failure.reason !== reason) {
          this.log.error(
            { consul: this.consulUrl.href, statusCode },
            `${consulAclRefusalMessage(this.token !== undefined, reason)}; keeping the last node list and retrying`,
          );
        }
        this.failure = { kind: 'refused', reason };
        return;
      }
      if (this.failure?.kind !== 'unreachable') {
        this.log.warn({ consul: this.consulUrl.href, statusCode, err: error.message }, 'Consul unreachable; keeping the last node list and retrying');
      }
      this.failure = { kind: 'unreachable' };
    });
  }

  stop(): void {
    this.watch?.end();
    this.watch = undefined;
  }
}

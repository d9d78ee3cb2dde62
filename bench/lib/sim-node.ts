/**
 * One simulated node for the scale simulator (bench/scale-simulator.ts): the agent's own NodeAgent
 * service (node-agent/agent-service.ts: GetStatus answering the coordinator's challenge, RunPartition
 * with its refusals, heartbeats and result), behind the agent's own server and call-proof guard
 * (node-agent/agent-server.ts), registered in Consul with the agent's own TTL-check registration
 * (node-agent/consul-registration.ts). What is simulated is only what would cost a real agent a
 * process: no worker threads (a partition runs on the main thread, its work time waited on a timer,
 * scaled), no machine measurement (a fixed profile and load), no dataset cache. Many of them share
 * one process (bench/lib/sim-node-host.ts).
 */
import type { Logger } from '../../shared/logging.js';
import { formatHostPort } from '../../shared/config/host-port.js';
import { taskKindByName } from '../../shared/tasks/registry.js';
import { QUANTGRID_VERSION } from '../../shared/version.js';
import type { ConsulEndpoint } from '../../shared/config/consul-option.js';
import { AgentService, type SlotSource } from '../../node-agent/agent-service.js';
import { startAgentServer, type StartedAgentServer } from '../../node-agent/agent-server.js';
import { agentCheckNote, agentServiceMeta, consulAgentApi, ConsulRegistration, ConsulRequestError, type ConsulAgentApi } from '../../node-agent/consul-registration.js';
import { PartitionFailure, type PartitionOutcome, type PartitionTask, type RunOptions, type SlotLease } from '../../node-agent/worker-pool.js';

/**
 * Each Consul request's timeout (an agent's: 3 s). A thousand nodes share the one dev Consul agent of
 * a loaded machine, which then answers in seconds; a registration timed out at 3 s is sent again, and
 * adds to the queue it timed out in.
 */
const SIM_CONSUL_REQUEST_TIMEOUT_MS = 10_000;

export interface SimNodeOptions {
  nodeId: string;
  slots: number;
  consul: ConsulEndpoint;
  clusterSecret: Uint8Array | undefined;
  /** A partition's work time is its spec's work_ms × this (0: none). */
  workScale: number;
  checkTtlMs: number;
  /** How often the TTL check is refreshed (an agent: every second). */
  refreshMs: number;
  /** The TTL note changes at every refresh (a moving reading in it). */
  movingNote: boolean;
  logger: Logger;
}

/**
 * Slots of a simulated node: a task runs in this thread. The kind's own run() computes the result
 * (for noop: the partition's index sum, so the merged checksum is checked as for real agents) with
 * its busy-wait taken out; the spec's work time, scaled, is waited on a timer instead.
 */
export class SimSlots implements SlotSource {
  busySlots = 0;

  constructor(
    readonly size: number,
    private readonly workScale: number,
  ) {}

  tryAcquire(): SlotLease | undefined {
    if (this.busySlots >= this.size) return undefined;
    this.busySlots++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.busySlots--;
    };
    return { run: (task, options) => this.run(task, options).finally(release), release };
  }

  private async run(task: PartitionTask, options: RunOptions = {}): Promise<PartitionOutcome> {
    const kind = taskKindByName(task.kind);
    if (!kind) throw new PartitionFailure('INVALID_ARGUMENT', `unknown task kind "${task.kind}"`);
    const started = performance.now();
    const spec = JSON.parse(task.specJson) as { workMs?: number };
    const waitMs = (spec.workMs ?? 0) * this.workScale;
    if (waitMs > 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, waitMs);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new PartitionFailure('CANCELLED', 'cancelled'));
        });
      });
    }
    let partial: unknown;
    try {
      partial = kind.run({ ...spec, workMs: 0 }, JSON.parse(task.partitionJson), {
        reportProgress: (fraction) => options.onProgress?.(fraction),
        isCancelled: () => options.signal?.aborted ?? false,
      });
    } catch (error) {
      throw new PartitionFailure('TASK_ERROR', error instanceof Error ? error.message : String(error));
    }
    return { resultJson: JSON.stringify(partial), computeMs: performance.now() - started };
  }
}

/** A Consul API that a crash can silence: afterwards every call fails as if Consul were unreachable. */
function silenceable(api: ConsulAgentApi): { api: ConsulAgentApi; silence(): void } {
  let silent = false;
  const guard = <A extends unknown[]>(call: (...args: A) => Promise<void>) => (...args: A) =>
    silent ? Promise.reject(new ConsulRequestError('simulated node crashed', undefined)) : call(...args);
  return {
    api: { register: guard(api.register), pass: guard(api.pass), deregister: guard(api.deregister), close: () => api.close() },
    silence: () => {
      silent = true;
    },
  };
}

export interface SimNode {
  readonly nodeId: string;
  /** Resolves true once Consul has the registration, false after timeoutMs (or if stopped first). */
  waitUntilRegistered(timeoutMs: number): Promise<boolean>;
  /** The registration's state (for an error naming the nodes that did not register). */
  readonly registrationState: string;
  /** A crash: the server's connections cut at once, the TTL check no longer refreshed (it turns critical). */
  crash(): void;
  /** A clean stop: deregistered, server shut down. */
  stop(): Promise<void>;
}

export async function startSimNode(options: SimNodeOptions): Promise<SimNode> {
  const slots = new SimSlots(options.slots, options.workScale);
  const service = new AgentService({
    nodeId: () => options.nodeId,
    version: QUANTGRID_VERSION,
    profile: { cores: options.slots, cpuSpeedGhz: 3, memoryTotalBytes: 8 * 2 ** 30, netSpeedMbps: 1000, netInterface: undefined },
    load: { current: () => ({ cpuLoad: 0, memoryAvailableBytes: 6 * 2 ** 30, netRxBytesPerS: 0, netTxBytesPerS: 0, busySlots: slots.busySlots, sampledAt: Date.now() }) },
    pool: slots,
    capabilities: ['noop'],
    heartbeatMs: 300,
    logger: options.logger,
    clusterSecret: options.clusterSecret,
  });
  let address = '';
  const server: StartedAgentServer = await startAgentServer({
    host: '127.0.0.1',
    port: 0,
    tls: {},
    handlers: service.handlers,
    clusterSecret: options.clusterSecret,
    address: () => address,
  });
  address = formatHostPort('127.0.0.1', server.port);
  const consul = silenceable(consulAgentApi(options.consul, undefined, SIM_CONSUL_REQUEST_TIMEOUT_MS));
  const registration = new ConsulRegistration({
    api: consul.api,
    consulUrl: options.consul.url,
    service: {
      id: options.nodeId,
      address: '127.0.0.1',
      port: server.port,
      meta: agentServiceMeta({
        cores: options.slots,
        slots: options.slots,
        memoryTotalBytes: 8 * 2 ** 30,
        cpuSpeedGhz: 3,
        capabilities: ['noop'],
        specialties: [],
        version: QUANTGRID_VERSION,
      }),
    },
    checkTtlMs: options.checkTtlMs,
    refreshMs: options.refreshMs,
    deregisterAfterMs: 60_000,
    // The agent's note; QUANTGRID_BENCH_SCALE_MOVING_NOTE=1 adds a reading that changes at every refresh
    // (as agents' notes had, a CPU reading), to measure what that costs the coordinator's discovery.
    note: () => {
      const note = agentCheckNote({ busySlots: slots.busySlots, slots: options.slots, draining: service.isDraining });
      return options.movingNote ? `${note.slice(0, -1)},"cpu":${Math.round(Math.random() * 1000) / 1000}}` : note;
    },
    logger: options.logger,
  });
  registration.start();
  return {
    nodeId: options.nodeId,
    waitUntilRegistered: (timeoutMs) => registration.waitUntilRegistered(timeoutMs),
    get registrationState() {
      return registration.state;
    },
    crash() {
      consul.silence();
      server.abort();
      void registration.deregister();
    },
    async stop() {
      service.startDrain();
      await registration.deregister();
      await server.shutdown(1000);
    },
  };
}

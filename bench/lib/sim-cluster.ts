/**
 * Many simulated nodes (bench/lib/sim-node.ts) in a few child processes (bench/lib/sim-node-host.ts),
 * registered in a local cluster's Consul and proving its cluster secret: the scale simulator's cluster.
 * Nodes are dealt round-robin over the hosts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HostConfig, HostReply, HostRequest } from './sim-node-host.js';
import { readProcCpu, readProcMemory } from './proc.js';

const HOST_ENTRY = fileURLToPath(new URL('./sim-node-host.js', import.meta.url));

type Body<T> = T extends unknown ? Omit<T, 'seq'> : never;

class Host {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (reply: HostReply) => void; reject: (error: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(readonly child: ChildProcess) {
    let onReady!: () => void;
    this.ready = new Promise((resolve) => (onReady = resolve));
    child.on('message', (reply: HostReply) => {
      if (reply.seq === 0) return onReady();
      const waiter = this.waiting.get(reply.seq);
      this.waiting.delete(reply.seq);
      if (reply.type === 'error') waiter?.reject(new Error(`simulated node host: ${reply.message}`));
      else waiter?.resolve(reply);
    });
    child.on('exit', (code, signal) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`simulated node host exited (${signal ?? code})`));
      this.waiting.clear();
    });
  }

  /** Sends a request; rejects if no answer comes within timeoutMs (a host stuck must not hang the bench). */
  request(body: Body<HostRequest>, timeoutMs = 60_000): Promise<HostReply> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`simulated node host ${this.child.pid}: no answer to '${body.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = <T>(f: (value: T) => void) => (value: T) => {
        clearTimeout(timer);
        f(value);
      };
      this.waiting.set(seq, { resolve: settle(resolve), reject: settle(reject) });
      this.child.send({ ...body, seq } as HostRequest);
    });
  }
}

export class SimCluster {
  private readonly hostOf = new Map<string, Host>();
  private next = 0;

  private constructor(
    private readonly hosts: Host[],
    private readonly registerTimeoutMs: number,
  ) {}

  /** `env`: the host processes' environment (this process's by default). */
  static async start(hostCount: number, config: HostConfig, env: NodeJS.ProcessEnv = process.env): Promise<SimCluster> {
    const hosts = Array.from({ length: hostCount }, () => new Host(fork(HOST_ENTRY, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env })));
    await Promise.all(hosts.map((host) => host.ready));
    return new SimCluster(hosts, config.registerTimeoutMs);
  }

  get pids(): number[] {
    return this.hosts.map((host) => host.child.pid ?? 0);
  }

  /**
   * Starts these nodes (dealt over the hosts) and resolves once each is registered in Consul; rejects
   * naming the nodes missing when some are not registered within the config's registerTimeoutMs.
   */
  async add(ids: readonly string[]): Promise<void> {
    const perHost = new Map<Host, string[]>();
    for (const id of ids) {
      const host = this.hosts[this.next++ % this.hosts.length];
      perHost.set(host, [...(perHost.get(host) ?? []), id]);
      this.hostOf.set(id, host);
    }
    await Promise.all([...perHost].map(([host, hostIds]) => host.request({ type: 'start', ids: hostIds }, this.registerTimeoutMs + 60_000)));
  }

  /** Crashes a node (connections cut, TTL no longer refreshed); resolves with Date.now() of the crash. */
  async crash(id: string): Promise<number> {
    const host = this.hostOf.get(id);
    if (!host) throw new Error(`no simulated node ${id}`);
    this.hostOf.delete(id);
    const reply = await host.request({ type: 'crash', id });
    return reply.type === 'crashed' ? reply.atMs : Date.now();
  }

  /** CPU time (ms) and RSS (bytes) of all hosts together. */
  usage(): { cpuMs: number; rssBytes: number } {
    let cpuMs = 0;
    let rssBytes = 0;
    for (const pid of this.pids) {
      cpuMs += readProcCpu(pid)?.cpuMs ?? 0;
      rssBytes += readProcMemory(pid)?.rssBytes ?? 0;
    }
    return { cpuMs, rssBytes };
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.hosts.map(async (host) => {
        if (host.child.exitCode !== null || host.child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => host.child.once('exit', () => resolve()));
        const timer = setTimeout(() => host.child.kill('SIGKILL'), 15_000);
        await host.request({ type: 'exit' }).catch(() => undefined);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

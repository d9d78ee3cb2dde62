import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';

export interface FreePortOptions {
  /** Also require the same port number to be free for UDP (Consul's Serf ports use both). */
  udp?: boolean;
  /** Host to probe; default 127.0.0.1. */
  host?: string;
}

/**
 * Ports handed out recently by this process. The kernel may hand the same ephemeral port to two
 * back-to-back probes once the first is released; remembering them keeps one cluster's services
 * from being given the same port before any of them has bound it.
 */
const recentlyHanded = new Map<number, number>();
const RECENT_MS = 60_000;

function listenTcp(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

function closeTcp(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.unref();
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.close(() => resolve(true));
    });
  });
}

/** Returns a TCP port on 127.0.0.1 (by default) that was free a moment ago: bind port 0, read it, release it. */
export async function freePort(options: FreePortOptions = {}): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  const now = Date.now();
  for (const [port, at] of recentlyHanded) {
    if (now - at > RECENT_MS) recentlyHanded.delete(port);
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const server = await listenTcp(host, 0);
    const address = server.address();
    await closeTcp(server);
    if (address === null || typeof address === 'string') throw new Error('freePort: unexpected server address');
    const port = address.port;
    if (recentlyHanded.has(port)) continue;
    if (options.udp && !(await udpFree(host, port))) continue;
    recentlyHanded.set(port, Date.now());
    return port;
  }
  throw new Error(`freePort: could not find a free port on ${host} after 50 attempts`);
}

/** True when a TCP listener can bind host:port right now (used by tests to check a stopped server let go of its port). */
export async function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  try {
    const server = await listenTcp(host, port);
    await closeTcp(server);
    return true;
  } catch {
    return false;
  }
}

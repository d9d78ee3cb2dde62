import * as grpc from '@grpc/grpc-js';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { formatHostPort } from '../shared/config/host-port.js';
import type { HealthImplementation } from 'grpc-health-check';
import type { NodeAgentHandlers } from '../shared/generated/quantgrid/v1/NodeAgent.js';
import { AGENT_SERVER_OPTIONS } from '../shared/grpc/clients.js';
import { guardWithClusterProof } from '../shared/grpc/cluster-proof-calls.js';
import { NODE_AGENT_SERVICE_NAME } from '../shared/grpc/node-agent-methods.js';
import { serverCredentials, type TlsConfig } from '../shared/grpc/credentials.js';
import { loadQuantgridProto } from '../shared/grpc/proto-package.js';
import { ProvenConnections } from '../shared/grpc/proven-connections.js';
import { addStandardServices } from '../shared/grpc/standard-services.js';

export { NODE_AGENT_SERVICE_NAME };

export interface AgentServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  tls: TlsConfig;
  handlers: NodeAgentHandlers;
  /** With a secret, NodeAgent calls are refused (UNAUTHENTICATED) unless they or an earlier call on their connection proved it. */
  clusterSecret?: Uint8Array;
  /** This agent's address as the coordinator dials it (what call proofs are for); known once bound. */
  address?: () => string;
  /** Told of each refused call (for the log). */
  onRefused?: (method: string, reason: string) => void;
}

export interface StartedAgentServer {
  server: grpc.Server;
  health: HealthImplementation;
  /** The port actually bound. */
  port: number;
  /** Lets in-flight calls finish for up to graceMs, then cuts the rest. */
  shutdown(graceMs: number): Promise<void>;
  /**
   * Stops at once as the process's exit would: the listener closed and every connection cut.
   * grpc.Server.forceShutdown alone is not that here: it does not close this module's listener, which
   * would go on accepting connections and injecting them into the shut-down server, where calls are
   * still answered (the scale simulator's node crash, bench/lib/sim-node.ts).
   */
  abort(): void;
}


/**
 * Creates the gRPC server with the NodeAgent, health and reflection services, and listens. The
 * agent accepts the TCP connections itself and hands them to grpc-js (a connection injector), so
 * that it knows each connection's lifetime: a connection proven once is proven until it closes.
 */
export async function startAgentServer(options: AgentServerOptions): Promise<StartedAgentServer> {
  const credentials = serverCredentials(options.tls);
  const server = new grpc.Server(AGENT_SERVER_OPTIONS);
  const connections = new ProvenConnections();
  const handlers = options.clusterSecret
    ? guardWithClusterProof(options.handlers, NODE_AGENT_SERVICE_NAME, options.clusterSecret, options.address ?? (() => ''), connections, options.onRefused ?? (() => undefined))
    : options.handlers;
  server.addService(loadQuantgridProto().proto.quantgrid.v1.NodeAgent.service, handlers);
  const health = addStandardServices(server, NODE_AGENT_SERVICE_NAME);
  const injector = server.createConnectionInjector(credentials);
  const sockets = new Set<Socket>();
  const listener = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    connections.track(socket);
    injector.injectConnection(socket);
  });
  const port = await listen(listener, options.host, options.port);

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (graceMs: number): Promise<void> => {
    shuttingDown ??= new Promise<void>((resolve) => {
      // No new connections; the open ones finish their calls.
      listener.close();
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return shuttingDown;
  };
  const abort = (): void => {
    listener.close();
    server.forceShutdown();
    for (const socket of sockets) socket.destroy();
  };
  return { server, health, port, shutdown, abort };
}

/** Listens on host:port (0: any free port) and returns the port bound. */
function listen(listener: NetServer, host: string, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const failed = (error: Error): void => reject(new Error(`cannot listen on ${formatHostPort(host, port)}: ${error.message}`));
    listener.once('error', failed);
    listener.listen({ host, port }, () => {
      listener.off('error', failed);
      resolve((listener.address() as AddressInfo).port);
    });
  });
}

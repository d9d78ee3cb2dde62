import * as grpc from '@grpc/grpc-js';
import { formatHostPort } from '../shared/config/host-port.js';
import type { HealthImplementation } from 'grpc-health-check';
import type { NodeAgentHandlers } from '../shared/generated/quantgrid/v1/NodeAgent.js';
import { AGENT_SERVER_OPTIONS } from '../shared/grpc/clients.js';
import { guardWithClusterProof } from '../shared/grpc/cluster-proof-calls.js';
import { NODE_AGENT_SERVICE_NAME } from '../shared/grpc/node-agent-methods.js';
import { serverCredentials, type TlsConfig } from '../shared/grpc/credentials.js';
import { loadQuantgridProto } from '../shared/grpc/proto-package.js';
import { addStandardServices } from '../shared/grpc/standard-services.js';

export { NODE_AGENT_SERVICE_NAME };

export interface AgentServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  tls: TlsConfig;
  handlers: NodeAgentHandlers;
  /** With a secret, NodeAgent calls without a valid proof of it are refused (UNAUTHENTICATED). */
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
}


/** Creates the gRPC server with the NodeAgent, health and reflection services, and binds it. */
export async function startAgentServer(options: AgentServerOptions): Promise<StartedAgentServer> {
  const credentials = serverCredentials(options.tls);
  const server = new grpc.Server(AGENT_SERVER_OPTIONS);
  const handlers = options.clusterSecret
    ? guardWithClusterProof(options.handlers, NODE_AGENT_SERVICE_NAME, options.clusterSecret, options.address ?? (() => ''), options.onRefused ?? (() => undefined))
    : options.handlers;
  server.addService(loadQuantgridProto().proto.quantgrid.v1.NodeAgent.service, handlers);
  const health = addStandardServices(server, NODE_AGENT_SERVICE_NAME);
  const address = formatHostPort(options.host, options.port);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (error, bound) => {
      if (error) reject(new Error(`cannot listen on ${address}: ${error.message}`));
      else resolve(bound);
    });
  });

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (graceMs: number): Promise<void> => {
    shuttingDown ??= new Promise<void>((resolve) => {
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
  return { server, health, port, shutdown };
}

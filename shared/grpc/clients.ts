import * as grpc from '@grpc/grpc-js';
import { clientServiceDefinition, type QuantgridService } from './client-service-definition.js';
import { channelCredentials, type TlsConfig } from './credentials.js';
import { nodeAgentProofInterceptor } from './cluster-proof-interceptors.js';
import { MAX_MESSAGE_BYTES, MAX_AGENT_MESSAGE_BYTES } from './message-limits.js';
import type { CoordinatorClient } from '../generated/quantgrid/v1/Coordinator.js';
import type { NodeAgentClient } from '../generated/quantgrid/v1/NodeAgent.js';

export type { CoordinatorClient, NodeAgentClient };

/**
 * Keepalive pings let a client notice a dead peer whose connection carries nothing (machine gone,
 * network cut, no reset) instead of waiting for TCP to give up. Servers must permit this rate
 * (see SERVER_KEEPALIVE_OPTIONS). Only while a call is open: an idle channel does not ping, so a
 * thousand idle agents cost the coordinator no pings per second.
 *
 * They are a backstop, not how the coordinator detects a failure in ≤ 2 s: a running partition's
 * stream carries the agent's heartbeats (every 300 ms) and the dispatcher gives up on one silent for
 * --heartbeat-timeout (1.5 s); a process that dies resets its connections (the channel watch,
 * coordinator/nodes/node-status-prober.ts); an idle node that vanishes is left to its Consul TTL check
 * and its next probe (docs/architecture.md). So the timeout can tolerate a busy event loop: grpc-js
 * times a ping with a plain timer, which fires before the answer is read when the loop was blocked
 * longer than the timeout (timers run before I/O in a turn of the loop). The former 1 s timeout was
 * within reach: in a burst of 2,000 partitions to 1,000 simulated agents the coordinator's loop stalled
 * up to 0.8 s and a simulator host's up to 1.4 s (docs/benchmarks.md, 2026-12-03); a coordinator
 * stopped for 3 s lost both its running partitions (tests/integration/busy-coordinator.test.ts).
 * 20 s is gRPC's own default timeout (proposal A8).
 */
export const CLIENT_KEEPALIVE_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 0,
};

/** Keepalive of both servers (coordinator, agent); the message limits are each server's own (below). */
export const SERVER_KEEPALIVE_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 500,
  'grpc.http2.min_time_between_pings_ms': 500,
};

/**
 * The coordinator's server (the public API): every message either way is at most MAX_MESSAGE_BYTES
 * (large data comes in chunks, message-limits.ts), so a default client (4 MiB receive limit) reads
 * every answer; a larger request, or an answer that would be larger, fails with RESOURCE_EXHAUSTED.
 */
export const COORDINATOR_SERVER_OPTIONS: grpc.ChannelOptions = {
  ...SERVER_KEEPALIVE_OPTIONS,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
};

/** An agent's server: called by coordinators only, with requests up to MAX_AGENT_MESSAGE_BYTES (a spec as JSON). */
export const AGENT_SERVER_OPTIONS: grpc.ChannelOptions = {
  ...SERVER_KEEPALIVE_OPTIONS,
  'grpc.max_receive_message_length': MAX_AGENT_MESSAGE_BYTES,
};

const constructors = new Map<QuantgridService, grpc.ServiceClientConstructor>();

/** The client class of a service (built once per process, from the light definition: clients need no reflection). */
function clientConstructor(service: QuantgridService): grpc.ServiceClientConstructor {
  let found = constructors.get(service);
  if (!found) {
    found = grpc.makeClientConstructor(clientServiceDefinition(service), service);
    constructors.set(service, found);
  }
  return found;
}

/** A Coordinator client with gRPC's default receive limit (MAX_MESSAGE_BYTES): every answer fits. */
export function createCoordinatorClient(address: string, tls: TlsConfig = {}, options: grpc.ClientOptions = {}): CoordinatorClient {
  const Coordinator = clientConstructor('Coordinator');
  return new Coordinator(address, channelCredentials(tls), {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    ...options,
  }) as unknown as CoordinatorClient;
}

/** A client of one agent; with the cluster secret every call carries a proof of it. */
export function createNodeAgentClient(address: string, tls: TlsConfig = {}, options: grpc.ChannelOptions = {}, clusterSecret?: Uint8Array): NodeAgentClient {
  const NodeAgent = clientConstructor('NodeAgent');
  // A partition's result is one message (PartitionResult), up to MAX_AGENT_MESSAGE_BYTES of JSON (the agent refuses larger).
  const limit = MAX_AGENT_MESSAGE_BYTES + 64 * 1024;
  return new NodeAgent(address, channelCredentials(tls), {
    ...CLIENT_KEEPALIVE_OPTIONS,
    'grpc.max_receive_message_length': limit,
    'grpc.max_send_message_length': limit,
    ...options,
    ...(clusterSecret ? { interceptors: [nodeAgentProofInterceptor(clusterSecret, address)] } : {}),
  }) as unknown as NodeAgentClient;
}

import * as grpc from '@grpc/grpc-js';
import { loadQuantgridProto } from './proto-package.js';
import { channelCredentials, type TlsConfig } from './credentials.js';
import { clusterProofClientInterceptor } from './cluster-proof-interceptors.js';
import type { CoordinatorClient } from '../generated/quantgrid/v1/Coordinator.js';
import type { NodeAgentClient } from '../generated/quantgrid/v1/NodeAgent.js';

export type { CoordinatorClient, NodeAgentClient };

/**
 * Keepalive pings let a client notice a dead peer (machine gone, network cut) in about
 * time + timeout, instead of waiting for TCP to give up. Servers must permit this rate
 * (see SERVER_KEEPALIVE_OPTIONS).
 */
export const CLIENT_KEEPALIVE_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 1000,
  'grpc.keepalive_timeout_ms': 1000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
};

export const SERVER_KEEPALIVE_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 500,
  'grpc.http2.min_time_between_pings_ms': 500,
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
};

export function createCoordinatorClient(address: string, tls: TlsConfig = {}, options: grpc.ClientOptions = {}): CoordinatorClient {
  const { proto } = loadQuantgridProto();
  return new proto.quantgrid.v1.Coordinator(address, channelCredentials(tls), {
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
    ...options,
  });
}

/** A client of one agent; with the cluster secret every call carries a proof of it. */
export function createNodeAgentClient(address: string, tls: TlsConfig = {}, options: grpc.ChannelOptions = {}, clusterSecret?: Uint8Array): NodeAgentClient {
  const { proto } = loadQuantgridProto();
  return new proto.quantgrid.v1.NodeAgent(address, channelCredentials(tls), {
    ...CLIENT_KEEPALIVE_OPTIONS,
    ...options,
    ...(clusterSecret ? { interceptors: [clusterProofClientInterceptor(clusterSecret, address)] } : {}),
  });
}

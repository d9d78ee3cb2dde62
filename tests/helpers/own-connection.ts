import type * as grpc from '@grpc/grpc-js';

/**
 * Channel options for a client on a TCP connection of its own. grpc-js shares one connection between
 * the clients of a process that dial the same target with the same options, and agents admit a
 * connection that proved the cluster secret once (shared/grpc/proven-connections.ts): a test's
 * "stranger" must not ride on the connection of the test's own proven client.
 */
export const OWN_CONNECTION: grpc.ChannelOptions = { 'grpc.use_local_subchannel_pool': 1 };

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { startAgentServer } from '../../../node-agent/agent-server.js';
import { createNodeAgentClient } from '../../../shared/grpc/clients.js';
import type { NodeAgentHandlers } from '../../../shared/generated/quantgrid/v1/NodeAgent.js';

const handlers = {
  GetStatus: (_call: unknown, callback: (error: null, status: object) => void) => callback(null, { nodeId: 'n1' }),
} as unknown as NodeAgentHandlers;

function getStatus(client: ReturnType<typeof createNodeAgentClient>): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => client.getStatus({ challenge: '', clusterProof: '' }, { deadline: Date.now() + 2000 }, (error) => resolve(error)));
}

// abort() is a process exit's effect on the server: the open connection breaks (the coordinator's channel
// leaves READY, its crash detection) and no new connection is answered.
test('abort cuts the open connections and answers no new one', async () => {
  const server = await startAgentServer({ host: '127.0.0.1', port: 0, tls: {}, handlers });
  const client = createNodeAgentClient(`127.0.0.1:${server.port}`);
  try {
    assert.equal(await getStatus(client), null);
    const channel = client.getChannel();
    assert.equal(channel.getConnectivityState(false), grpc.connectivityState.READY);
    const left = new Promise<grpc.connectivityState>((resolve) => channel.watchConnectivityState(grpc.connectivityState.READY, Date.now() + 5000, () => resolve(channel.getConnectivityState(false))));
    server.abort();
    assert.notEqual(await left, grpc.connectivityState.READY);
    const error = await getStatus(client);
    assert.equal(error?.code, grpc.status.UNAVAILABLE, `a call after abort: ${error?.message ?? 'answered'}`);
  } finally {
    client.close();
    server.abort();
  }
});

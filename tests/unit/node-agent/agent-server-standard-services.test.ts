import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAgentServer, NODE_AGENT_SERVICE_NAME } from '../../../node-agent/agent-server.js';
import type { NodeAgentHandlers } from '../../../shared/generated/quantgrid/v1/NodeAgent.js';
import { healthCheck, reflectedServices } from '../../helpers/standard-grpc.js';

const unimplemented = {} as NodeAgentHandlers;

// The reflection services are built once per process and added to every server (standard-services.ts):
// each server, also one started after another has shut down, still answers reflection and health.
test('several agent servers in one process each serve reflection and health', async () => {
  const first = await startAgentServer({ host: '127.0.0.1', port: 0, tls: {}, handlers: unimplemented });
  const second = await startAgentServer({ host: '127.0.0.1', port: 0, tls: {}, handlers: unimplemented });
  try {
    for (const server of [first, second]) {
      const services = await reflectedServices(`127.0.0.1:${server.port}`);
      assert.ok(services.includes(NODE_AGENT_SERVICE_NAME), services.join(' '));
      assert.equal(await healthCheck(`127.0.0.1:${server.port}`, NODE_AGENT_SERVICE_NAME), 'SERVING');
    }
    await first.shutdown(100);
    const third = await startAgentServer({ host: '127.0.0.1', port: 0, tls: {}, handlers: unimplemented });
    try {
      assert.ok((await reflectedServices(`127.0.0.1:${third.port}`)).includes(NODE_AGENT_SERVICE_NAME));
    } finally {
      await third.shutdown(100);
    }
  } finally {
    await first.shutdown(100);
    await second.shutdown(100);
  }
});

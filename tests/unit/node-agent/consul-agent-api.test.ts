/** consulAgentApi against a stand-in Consul HTTP server: the token goes with every call, a 403 keeps its status. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConsulRequestError, consulAgentApi } from '../../../node-agent/consul-registration.js';
import { SecretFile } from '../../../shared/config/secret-file.js';

async function withConsul(answer: (request: IncomingMessage) => { status: number; body: string }, run: (port: number, seen: IncomingMessage[]) => Promise<void>): Promise<void> {
  const seen: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    seen.push(request);
    request.resume();
    const { status, body } = answer(request);
    response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run((server.address() as AddressInfo).port, seen);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const endpoint = (port: number) => ({ url: `http://127.0.0.1:${port}`, host: '127.0.0.1', port, secure: false });
const check = { id: 'service:node-a', ttlMs: 3000, deregisterAfterMs: 60_000 };
const service = { id: 'node-a', address: '127.0.0.1', port: 7070, meta: {} };

test('register, TTL pass and deregister all send X-Consul-Token', async () => {
  await withConsul(
    () => ({ status: 200, body: '' }),
    async (port, seen) => {
      const api = consulAgentApi(endpoint(port), new SecretFile('/dev/null', 'agent-token-1'));
      await api.register(service, check);
      await api.pass(check.id, '{}');
      await api.deregister(service.id);
      api.close();
      assert.deepEqual(
        seen.map((request) => [request.method, request.url?.split('?')[0], request.headers['x-consul-token']]),
        [
          ['PUT', '/v1/agent/service/register', 'agent-token-1'],
          ['PUT', '/v1/agent/check/pass/service%3Anode-a', 'agent-token-1'],
          ['PUT', '/v1/agent/service/deregister/node-a', 'agent-token-1'],
        ],
      );
      assert.ok(seen.every((request) => !request.url?.includes('agent-token-1')), 'never in the URL (Consul logs URLs)');
    },
  );
});

test('without a token no X-Consul-Token is sent; a 403 keeps its status and Consul\'s reason', async () => {
  await withConsul(
    () => ({ status: 403, body: 'Permission denied: Missing service:write on quantgrid-agent' }),
    async (port, seen) => {
      const api = consulAgentApi(endpoint(port), undefined);
      const error = await api.register(service, check).then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => e,
      );
      api.close();
      assert.ok(error instanceof ConsulRequestError);
      assert.equal(error.statusCode, 403);
      assert.equal(error.message, 'HTTP 403: Permission denied: Missing service:write on quantgrid-agent');
      assert.equal(seen[0].headers['x-consul-token'], undefined);
    },
  );
});

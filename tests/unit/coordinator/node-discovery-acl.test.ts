/** NodeDiscovery against a stand-in Consul HTTP server: the token goes with the watch; a 403 is one clear line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { NodeDiscovery, type DiscoveredNode } from '../../../coordinator/nodes/node-discovery.js';
import { SecretFile } from '../../../shared/config/secret-file.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the discovery watch sends the token; a refusal is logged once naming the flag, and the watch recovers', async () => {
  let refuse = true;
  const seen: IncomingMessage[] = [];
  const server = createServer((request, response) => {
    seen.push(request);
    if (refuse) {
      response.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ACL not found');
      return;
    }
    const entries = [{ Node: { Address: '127.0.0.1' }, Service: { ID: 'node-a', Port: 7070, Meta: { slots: '2' } } }];
    // A blocking query that returns at once the first time, then holds like Consul would.
    const index = new URL(request.url!, 'http://x').searchParams.get('index');
    const send = () => response.writeHead(200, { 'Content-Type': 'application/json', 'X-Consul-Index': '7' }).end(JSON.stringify(entries));
    if (index === '7') setTimeout(send, 200);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const lines: Array<{ level: number; msg: string }> = [];
  const log: Logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const discovery = new NodeDiscovery(new URL(`http://127.0.0.1:${port}`), log, new SecretFile('/dev/null', 'coordinator-token-1'));
  const lists: DiscoveredNode[][] = [];
  discovery.on('nodes', (nodes: DiscoveredNode[]) => lists.push(nodes));
  try {
    discovery.start();
    await sleep(800); // three or more refused queries (backoff 200, 400 ms, …)
    assert.ok(seen.length >= 2, `retried (${seen.length} queries)`);
    assert.ok(seen.every((request) => request.headers['x-consul-token'] === 'coordinator-token-1'));
    assert.ok(seen.every((request) => request.url!.startsWith('/v1/health/service/quantgrid-agent') && !request.url!.includes('coordinator-token-1')));
    const refusals = lines.filter((line) => line.msg.includes('refused'));
    assert.deepEqual(
      refusals.map((line) => [line.level, line.msg]),
      [[50, 'Consul refused the token from --consul-token-file: HTTP 403: ACL not found; keeping the last node list and retrying']],
    );
    refuse = false;
    const deadline = Date.now() + 5_000;
    while (lists.length === 0 && Date.now() < deadline) await sleep(50);
    assert.deepEqual(lists[0]?.map((node) => node.id), ['node-a']);
    assert.ok(lines.some((line) => line.msg === 'Consul accepts the discovery query again'));
  } finally {
    discovery.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

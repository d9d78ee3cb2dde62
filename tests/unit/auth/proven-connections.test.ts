import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { generateClusterSecret } from '../../../shared/auth/cluster-proof.js';
import { ClusterCallSigner } from '../../../shared/grpc/cluster-proof-calls.js';
import { peerName, ProvenConnections } from '../../../shared/grpc/proven-connections.js';

function socket(remoteAddress: string, remotePort: number): Socket & EventEmitter {
  return Object.assign(new EventEmitter(), { remoteAddress, remotePort }) as unknown as Socket & EventEmitter;
}

test('a connection is proven from its proof until it closes; a new one from the same port is not', () => {
  const connections = new ProvenConnections();
  const a = socket('127.0.0.1', 40000);
  connections.track(a);
  const peer = peerName(a)!;
  assert.equal(peer, '127.0.0.1:40000');
  assert.equal(connections.isProven(peer), false);
  connections.prove(peer);
  assert.equal(connections.isProven(peer), true);
  a.emit('close');
  assert.equal(connections.isProven(peer), false);
  assert.equal(connections.size, 0);
  connections.track(socket('127.0.0.1', 40000));
  assert.equal(connections.isProven(peer), false, 'the same address and port on a new connection');
  connections.prove('10.0.0.1:1');
  assert.equal(connections.isProven('10.0.0.1:1'), false, 'an untracked peer is never recorded');
});

test('the caller signs until a signed call is answered, and again once the connection may have changed', () => {
  const signer = new ClusterCallSigner(Buffer.from(generateClusterSecret(), 'base64url'), '127.0.0.1:7070');
  const method = '/quantgrid.v1.NodeAgent/RunPartition';
  const first = signer.connectionProof(method);
  assert.match(first, /^\d+\.[^.]+\.[^.]+$/);
  assert.notEqual(signer.connectionProof(method), first, 'each proof is fresh');
  signer.connectionAnswered();
  assert.equal(signer.connectionProof(method), '');
  signer.connectionMayHaveChanged();
  assert.notEqual(signer.connectionProof(method), '');
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { startAgentServer, type StartedAgentServer } from '../../node-agent/agent-server.js';
import { answerChallenge, callTarget, checkAnswer, newChallenge, signCall } from '../../shared/auth/cluster-proof.js';
import { readClusterSecretFile, writeNewClusterSecretFile } from '../../shared/auth/cluster-secret-file.js';
import { createNodeAgentClient, type NodeAgentClient } from '../../shared/grpc/clients.js';
import { CLUSTER_PROOF_METADATA } from '../../shared/grpc/cluster-proof-calls.js';
import type { NodeAgentHandlers } from '../../shared/generated/quantgrid/v1/NodeAgent.js';
import { OWN_CONNECTION } from '../helpers/own-connection.js';
import { healthCheck } from '../helpers/standard-grpc.js';

const NODE_ID = 'node-under-test';

function getStatus(client: NodeAgentClient, challenge = '', clusterProof = ''): Promise<{ error?: grpc.ServiceError; answer?: string }> {
  return new Promise((resolve) => {
    client.getStatus({ challenge, clusterProof }, { deadline: new Date(Date.now() + 2000) }, (error, status) => resolve(error ? { error } : { answer: status?.challengeAnswer }));
  });
}

describe('agents refuse calls without the cluster secret (real gRPC)', () => {
  let dir: string;
  let secret: Uint8Array;
  let server: StartedAgentServer;
  let handlerCalls = 0;
  const refused: string[] = [];
  let address: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'quantgrid-proof-'));
    await writeNewClusterSecretFile(path.join(dir, 'cluster.secret'));
    secret = (await readClusterSecretFile(path.join(dir, 'cluster.secret'))).secret;
    const handlers = {
      GetStatus: (call, callback) => {
        handlerCalls++;
        callback(null, { nodeId: NODE_ID, challengeAnswer: call.request.challenge ? answerChallenge(secret, call.request.challenge, NODE_ID) : '' });
      },
      RunPartition: (call) => {
        handlerCalls++;
        call.end();
      },
    } as NodeAgentHandlers;
    server = await startAgentServer({
      host: '127.0.0.1',
      port: 0,
      tls: {},
      handlers,
      clusterSecret: secret,
      address: () => address,
      onRefused: (method, reason) => refused.push(`${method}: ${reason}`),
    });
    address = `127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server?.shutdown(100);
    await rm(dir, { recursive: true, force: true });
  });

  test('a client with the secret is served, and its challenge answer proves the agent', async () => {
    const client = createNodeAgentClient(address, {}, {}, secret);
    const challenge = newChallenge();
    const { error, answer } = await getStatus(client, challenge);
    assert.equal(error, undefined);
    assert.ok(checkAnswer(secret, challenge, NODE_ID, answer));
    client.close();
  });

  test('no proof, another secret, a replayed proof or another method\'s proof: UNAUTHENTICATED, and no handler runs', async () => {
    const before = handlerCalls;
    const plain = createNodeAgentClient(address, {}, OWN_CONNECTION);
    const other = createNodeAgentClient(address, {}, OWN_CONNECTION, Buffer.alloc(32, 1));
    const outcomes = [await getStatus(plain), await getStatus(other)];
    const replayed = signCall(secret, callTarget(address, '/quantgrid.v1.NodeAgent/GetStatus'));
    // Its first use is accepted, on a connection of its own (which it proves; `plain`'s stays unproven).
    const prover = createNodeAgentClient(address, {}, OWN_CONNECTION);
    assert.equal((await getStatus(prover, '', replayed)).error, undefined, 'the first use of a proof is accepted');
    prover.close();
    outcomes.push(await getStatus(plain, '', replayed));
    outcomes.push(await getStatus(plain, '', signCall(secret, callTarget(address, '/quantgrid.v1.NodeAgent/RunPartition'))));
    // A proof made for another agent (captured on its way there) is no use here.
    outcomes.push(await getStatus(plain, '', signCall(secret, callTarget('127.0.0.1:1', '/quantgrid.v1.NodeAgent/GetStatus'))));
    // A proof in metadata, where the coordinator's API takes it, is not one here.
    const inMetadata = new grpc.Metadata();
    inMetadata.set(CLUSTER_PROOF_METADATA, signCall(secret, callTarget(address, '/quantgrid.v1.NodeAgent/GetStatus')));
    outcomes.push(await new Promise<{ error?: grpc.ServiceError }>((resolve) => plain.getStatus({}, inMetadata, { deadline: new Date(Date.now() + 2000) }, (error) => resolve(error ? { error } : {}))));
    for (const [i, { error }] of outcomes.entries()) {
      assert.equal(error?.code, grpc.status.UNAUTHENTICATED, `case ${i}: ${error?.message}`);
      assert.match(error!.details, /cluster proof refused/);
    }
    assert.equal(handlerCalls, before + 1, 'only the accepted proof reached a handler');
    assert.ok(refused.some((line) => /replayed/.test(line)));

    const stream = plain.runPartition({ jobId: 'j', partition: 0, attempt: 1, kind: 'noop', specJson: '{}', partitionJson: '{}', datasetSource: '127.0.0.2:1' });
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      stream.on('data', () => undefined);
      stream.on('error', () => undefined);
      stream.on('status', resolve);
    });
    assert.equal(status.code, grpc.status.UNAUTHENTICATED, 'RunPartition without a proof is refused before anything is dialled or run');
    assert.equal(handlerCalls, before + 1);
    plain.close();
    other.close();
  });

  test('a proof proves its connection: later calls on it need none; another connection still does', async () => {
    const before = handlerCalls;
    const first = createNodeAgentClient(address, {}, OWN_CONNECTION);
    assert.equal((await getStatus(first)).error?.code, grpc.status.UNAUTHENTICATED, 'no proof on a new connection');
    assert.equal((await getStatus(first, '', signCall(secret, callTarget(address, '/quantgrid.v1.NodeAgent/GetStatus')))).error, undefined);
    assert.equal((await getStatus(first)).error, undefined, 'the proven connection is served without a proof');
    // A proof it does carry is still checked.
    const foreign = signCall(Buffer.alloc(32, 7), callTarget(address, '/quantgrid.v1.NodeAgent/GetStatus'));
    assert.equal((await getStatus(first, '', foreign)).error?.code, grpc.status.UNAUTHENTICATED, 'a bad proof on a proven connection');
    const second = createNodeAgentClient(address, {}, OWN_CONNECTION);
    const refusedElsewhere = await getStatus(second);
    assert.equal(refusedElsewhere.error?.code, grpc.status.UNAUTHENTICATED, 'another connection is not proven by the first');
    assert.match(refusedElsewhere.error!.details, /connection has not proven/);
    first.close();
    // After the connection closes, a client on a new one must prove again.
    const third = createNodeAgentClient(address, {}, OWN_CONNECTION);
    assert.equal((await getStatus(third)).error?.code, grpc.status.UNAUTHENTICATED, 'a new connection after the proven one closed');
    assert.equal(handlerCalls, before + 2);
    second.close();
    third.close();
  });

  test('the health service stays open (load balancers and Consul HTTP checks have no secret)', async () => {
    assert.equal(await healthCheck(address), 'SERVING');
  });

  test('the secret file is refused when short or not base64url; a second init does not overwrite it', async () => {
    await writeFile(path.join(dir, 'short.secret'), 'abcd\n', { mode: 0o600 });
    await assert.rejects(readClusterSecretFile(path.join(dir, 'short.secret')), /at least 16 bytes/);
    await writeFile(path.join(dir, 'text.secret'), 'not a secret!\n', { mode: 0o600 });
    await assert.rejects(readClusterSecretFile(path.join(dir, 'text.secret')), /does not hold a cluster secret/);
    await assert.rejects(writeNewClusterSecretFile(path.join(dir, 'cluster.secret')), /exists already/);
  });
});

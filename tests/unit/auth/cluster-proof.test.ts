import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  answerChallenge,
  CallSigner,
  callTarget,
  checkAnswer,
  checkSecret,
  ClusterProofError,
  DEFAULT_PROOF_SKEW_MS,
  generateClusterSecret,
  newChallenge,
  signCall,
  verifyCall,
} from '../../../shared/auth/cluster-proof.js';
import { NonceWindow } from '../../../shared/auth/nonce-window.js';

const secret = Buffer.from(generateClusterSecret(), 'base64url');
const other = Buffer.from(generateClusterSecret(), 'base64url');
const NOW = 1_800_000_000_000;

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ClusterProofError, `not a ClusterProofError: ${String(error)}`);
    return error.message;
  }
  assert.fail('the proof was accepted');
}

describe('call proofs', () => {
  it('accepts a fresh proof once, for its method only', () => {
    const proof = signCall(secret, '/quantgrid.v1.NodeAgent/RunPartition', NOW);
    const nonces = new NonceWindow(DEFAULT_PROOF_SKEW_MS);
    verifyCall(secret, '/quantgrid.v1.NodeAgent/RunPartition', proof, nonces, NOW + 10);
    assert.match(refusal(() => verifyCall(secret, '/quantgrid.v1.NodeAgent/RunPartition', proof, nonces, NOW + 20)), /replayed/);
    assert.match(refusal(() => verifyCall(secret, '/quantgrid.v1.NodeAgent/GetStatus', proof, new NonceWindow(DEFAULT_PROOF_SKEW_MS), NOW)), /does not match/);
  });

  it('a proof is for one server: made for another address, it is refused', () => {
    const proof = signCall(secret, callTarget('10.0.0.7:7070', '/quantgrid.v1.NodeAgent/RunPartition'), NOW);
    verifyCall(secret, callTarget('10.0.0.7:7070', '/quantgrid.v1.NodeAgent/RunPartition'), proof, new NonceWindow(DEFAULT_PROOF_SKEW_MS), NOW);
    assert.match(refusal(() => verifyCall(secret, callTarget('10.0.0.8:7070', '/quantgrid.v1.NodeAgent/RunPartition'), proof, new NonceWindow(DEFAULT_PROOF_SKEW_MS), NOW)), /does not match/);
  });

  it('refuses another secret, a stale or future time, garbage and nothing', () => {
    const method = '/m';
    assert.match(refusal(() => verifyCall(other, method, signCall(secret, method, NOW), new NonceWindow(DEFAULT_PROOF_SKEW_MS), NOW)), /does not match/);
    assert.match(refusal(() => verifyCall(secret, method, signCall(secret, method, NOW - DEFAULT_PROOF_SKEW_MS - 1), new NonceWindow(DEFAULT_PROOF_SKEW_MS), NOW)), /clock/);
    assert.match(refusal(() => verifyCall(secret, method, signCall(secret, method, NOW + DEFAULT_PROOF_SKEW_MS + 1), new NonceWindow(DEFAULT_PROOF_SKEW_MS), NOW)), /clock/);
    for (const garbage of [undefined, '', 'a.b', 'x.y.z', '1.2.3.4', `${'9'.repeat(40)}.n.s`]) {
      refusal(() => verifyCall(secret, method, garbage, new NonceWindow(DEFAULT_PROOF_SKEW_MS), NOW));
    }
  });

  it('a proof with any bit of its time, nonce or signature changed is refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (part, index, bit) => {
        const parts = signCall(secret, '/m', NOW).split('.');
        if (part === 0) parts[0] = String(Number(parts[0]) + 1 + (index % 1000));
        else {
          const bytes = Buffer.from(parts[part], 'base64url');
          bytes[index % bytes.length] ^= 1 << bit;
          parts[part] = bytes.toString('base64url');
        }
        assert.throws(() => verifyCall(secret, '/m', parts.join('.'), new NonceWindow(DEFAULT_PROOF_SKEW_MS), NOW), ClusterProofError);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a proof replayed to a second window-sharing guard only once it saw it: nonces are per signer', () => {
    const nonces = new NonceWindow(DEFAULT_PROOF_SKEW_MS);
    const signer = new CallSigner(secret, '/m');
    const proofs = [signer.sign(NOW), signer.sign(NOW), signCall(secret, '/m', NOW)];
    // Out of order, as calls in flight may arrive.
    for (const proof of [proofs[1], proofs[2], proofs[0]]) verifyCall(secret, '/m', proof, nonces, NOW);
    for (const proof of proofs) assert.match(refusal(() => verifyCall(secret, '/m', proof, nonces, NOW)), /replayed/);
  });

  it('refuses short secrets', () => {
    assert.throws(() => checkSecret(Buffer.alloc(8)), ClusterProofError);
    assert.equal(checkSecret(secret), secret);
  });
});

describe('challenge answers', () => {
  it('prove the secret for that challenge and node only', () => {
    const challenge = newChallenge();
    const answer = answerChallenge(secret, challenge, 'node-a');
    assert.equal(checkAnswer(secret, challenge, 'node-a', answer), true);
    assert.equal(checkAnswer(secret, newChallenge(), 'node-a', answer), false);
    assert.equal(checkAnswer(secret, challenge, 'node-b', answer), false);
    assert.equal(checkAnswer(other, challenge, 'node-a', answer), false);
    assert.equal(checkAnswer(secret, challenge, 'node-a', ''), false);
    assert.equal(checkAnswer(secret, challenge, 'node-a', undefined), false);
  });

  it('an answer is never a valid call proof and the reverse', () => {
    const challenge = newChallenge();
    const answer = answerChallenge(secret, challenge, '/m');
    refusal(() => verifyCall(secret, '/m', `${NOW}.${challenge}.${answer}`, new NonceWindow(DEFAULT_PROOF_SKEW_MS), NOW));
    const proof = signCall(secret, '/m', NOW);
    const [, nonce, mac] = proof.split('.');
    assert.equal(checkAnswer(secret, nonce, '/m', mac), false);
  });
});

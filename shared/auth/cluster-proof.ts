import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { newNonceId, type NonceWindow } from './nonce-window.js';

/**
 * Proof of holding the cluster secret, never sending it, in two directions:
 *
 * - A caller (a coordinator calling an agent) signs each call: HMAC-SHA256(secret, purpose ‖ time ‖
 *   nonce ‖ target), the target being the method on the server it calls (callTarget). The callee
 *   accepts a proof for itself whose time is within the allowed skew and whose nonce it has not seen
 *   within that window, so a captured proof can be used neither again, nor on another server, nor for
 *   another method. (Without TLS the request itself is not protected: see docs/security.md.)
 * - A callee (an agent asked by a coordinator) answers a fresh challenge: HMAC-SHA256(secret,
 *   purpose ‖ challenge ‖ node id). The coordinator chooses the challenge, so an old answer is of no use.
 *
 * The purposes keep the two directions apart: an agent's answer is never a valid call proof.
 */

const CALL_PURPOSE = 'quantgrid/v1 call';
const ANSWER_PURPOSE = 'quantgrid/v1 node answer';
export const CHALLENGE_BYTES = 32;
/** How far a call proof's clock may be from the callee's, either way. */
export const DEFAULT_PROOF_SKEW_MS = 30_000;
/** Most secrets are 32 random bytes; anything shorter than this is refused as guessable. */
export const MIN_SECRET_BYTES = 16;

export class ClusterProofError extends Error {
  override readonly name = 'ClusterProofError';
}

/** One part of a MAC's input: its length, so that no two lists of parts make the same text. */
function part(text: string): string {
  return `${text.length}:${text};`;
}

function mac(secret: Uint8Array, parts: readonly string[]): Buffer {
  return createHmac('sha256', secret).update(parts.map(part).join('')).digest();
}

const CALL_HEAD = part(CALL_PURPOSE);

/** The MAC of a call proof (to digest): HMAC(secret, purpose ‖ time ‖ nonce ‖ target), its constant ends written once. */
function callMac(secret: Uint8Array, time: string, nonce: string, targetPart: string): ReturnType<typeof createHmac> {
  return createHmac('sha256', secret).update(CALL_HEAD + part(time) + part(nonce) + targetPart);
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function checkSecret(secret: Uint8Array): Uint8Array {
  if (secret.length < MIN_SECRET_BYTES) throw new ClusterProofError(`the cluster secret must be at least ${MIN_SECRET_BYTES} bytes, got ${secret.length}`);
  return secret;
}

/**
 * What a call proof is for: a method on one server, named by the address its caller dials. A proof
 * captured on the way to one agent is no use against another, nor for another method.
 */
export function callTarget(address: string, method: string): string {
  return `${address} ${method}`;
}

/** A new secret for `quantgrid cluster init`: 32 random bytes, base64url. */
export function generateClusterSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** "time.nonce.mac" for a call at `now` with this nonce. */
function signedProof(secret: Uint8Array, nonce: string, targetPart: string, now: number): string {
  const time = String(Math.round(now));
  return `${time}.${nonce}.${callMac(secret, time, nonce, targetPart).digest('base64url')}`;
}

/**
 * Signs calls to one target. Its nonces are a random id of its own and a counter (nonce-window.ts):
 * unique without 16 random bytes per call, which cost half of signing (docs/benchmarks-history.md), and
 * cheap to track for replays on the callee; the target's part of the MAC is written once.
 */
export class CallSigner {
  private readonly nonceId = newNonceId();
  private counter = 0;
  private readonly targetPart: string;

  constructor(
    private readonly secret: Uint8Array,
    target: string,
  ) {
    this.targetPart = part(target);
  }

  /** "time.nonce.mac" for a call at `now`. */
  sign(now = Date.now()): string {
    return signedProof(this.secret, this.nonceId + (this.counter++).toString(36), this.targetPart, now);
  }
}

/** The nonces of signCall: one id for the process and its counter. */
const PROCESS_NONCE_ID = newNonceId();
let processCounter = 0;

/** "time.nonce.mac" for a call of `method` (a callTarget) at `now`, for a caller of a few calls (CallSigner for many). */
export function signCall(secret: Uint8Array, method: string, now = Date.now()): string {
  return signedProof(secret, PROCESS_NONCE_ID + (processCounter++).toString(36), part(method), now);
}

const TIME = /^\d{1,16}$/;

/** Throws ClusterProofError unless `proof` is a fresh, unreplayed proof for `method`. */
export function verifyCall(secret: Uint8Array, method: string, proof: unknown, nonces: NonceWindow, now = Date.now(), skewMs = DEFAULT_PROOF_SKEW_MS): void {
  if (typeof proof !== 'string') throw new ClusterProofError('no cluster proof');
  const first = proof.indexOf('.');
  const second = first < 0 ? -1 : proof.indexOf('.', first + 1);
  if (second < 0 || proof.indexOf('.', second + 1) >= 0) throw new ClusterProofError('malformed cluster proof');
  const time = proof.slice(0, first);
  const nonce = proof.slice(first + 1, second);
  const at = Number(time);
  if (!TIME.test(time) || !Number.isSafeInteger(at)) throw new ClusterProofError('malformed cluster proof time');
  if (Math.abs(now - at) > skewMs) throw new ClusterProofError(`cluster proof is ${Math.round((now - at) / 1000)} s off this node's clock (at most ${skewMs / 1000} s)`);
  if (!sameBytes(Buffer.from(proof.slice(second + 1), 'base64url'), callMac(secret, time, nonce, part(method)).digest())) {
    throw new ClusterProofError('cluster proof does not match: not signed with this cluster\'s secret');
  }
  const refusal = nonces.admit(nonce, at, now);
  if (refusal === 'replayed') throw new ClusterProofError('cluster proof replayed');
  if (refusal === 'too old') throw new ClusterProofError('cluster proof too old: its signer has signed more than the replay window since');
  if (refusal === 'malformed') throw new ClusterProofError('malformed cluster proof nonce');
}

export function newChallenge(): string {
  return randomBytes(CHALLENGE_BYTES).toString('base64url');
}

/** An agent's answer to a coordinator's challenge. */
export function answerChallenge(secret: Uint8Array, challenge: string, nodeId: string): string {
  return mac(secret, [ANSWER_PURPOSE, challenge, nodeId]).toString('base64url');
}

/** Whether `answer` proves the secret for this challenge and node id. */
export function checkAnswer(secret: Uint8Array, challenge: string, nodeId: string, answer: unknown): boolean {
  if (typeof answer !== 'string' || answer === '') return false;
  return sameBytes(Buffer.from(answer, 'base64url'), mac(secret, [ANSWER_PURPOSE, challenge, nodeId]));
}

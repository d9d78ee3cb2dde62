import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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
const NONCE_BYTES = 16;
export const CHALLENGE_BYTES = 32;
/** How far a call proof's clock may be from the callee's, either way. */
export const DEFAULT_PROOF_SKEW_MS = 30_000;
/** Most secrets are 32 random bytes; anything shorter than this is refused as guessable. */
export const MIN_SECRET_BYTES = 16;

export class ClusterProofError extends Error {
  override readonly name = 'ClusterProofError';
}

function mac(secret: Uint8Array, parts: readonly string[]): Buffer {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(`${part.length}:${part};`);
  return hmac.digest();
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

/**
 * Nonces only have to be unique (the MAC makes them unforgeable): a random prefix per process and a
 * counter, which costs nothing, where 16 random bytes per call cost half of signing (bench/auth-cost.ts).
 */
const NONCE_PREFIX = randomBytes(NONCE_BYTES).toString('base64url');
let nonceCounter = 0;

/** "time.nonce.mac" for a call of `method` at `now`. */
export function signCall(secret: Uint8Array, method: string, now = Date.now()): string {
  const time = String(Math.round(now));
  const nonce = `${NONCE_PREFIX}${(nonceCounter++).toString(36)}`;
  return `${time}.${nonce}.${mac(secret, [CALL_PURPOSE, time, nonce, method]).toString('base64url')}`;
}

/**
 * Nonces seen within the skew window. A proof older than the window fails its time check anyway, so
 * its nonce is forgotten: entries are dropped from the oldest inserted while their time is out of the
 * window (insertion order is nearly time order; a straggler only stays a little longer), so each
 * admission costs O(1) amortised.
 */
export class NonceWindow {
  private readonly seen = new Map<string, number>();

  constructor(private readonly skewMs = DEFAULT_PROOF_SKEW_MS) {}

  /** True the first time a nonce is offered within the window; false for a replay. */
  admit(nonce: string, time: number, now: number): boolean {
    for (const [oldest, at] of this.seen) {
      if (now - at <= this.skewMs) break;
      this.seen.delete(oldest);
    }
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, time);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Throws ClusterProofError unless `proof` is a fresh, unreplayed proof for `method`. */
export function verifyCall(secret: Uint8Array, method: string, proof: unknown, nonces: NonceWindow, now = Date.now(), skewMs = DEFAULT_PROOF_SKEW_MS): void {
  if (typeof proof !== 'string') throw new ClusterProofError('no cluster proof');
  const parts = proof.split('.');
  if (parts.length !== 3) throw new ClusterProofError('malformed cluster proof');
  const [time, nonce, signature] = parts;
  const at = Number(time);
  if (!/^\d{1,16}$/.test(time) || !Number.isSafeInteger(at)) throw new ClusterProofError('malformed cluster proof time');
  if (Math.abs(now - at) > skewMs) throw new ClusterProofError(`cluster proof is ${Math.round((now - at) / 1000)} s off this node's clock (at most ${skewMs / 1000} s)`);
  if (!sameBytes(Buffer.from(signature, 'base64url'), mac(secret, [CALL_PURPOSE, time, nonce, method]))) {
    throw new ClusterProofError('cluster proof does not match: not signed with this cluster\'s secret');
  }
  if (!nonces.admit(nonce, at, now)) throw new ClusterProofError('cluster proof replayed');
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

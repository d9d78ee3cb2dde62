import { randomBytes } from 'node:crypto';

/**
 * Replay protection for call proofs. A nonce is a signer's random id (NONCE_ID_CHARS characters of
 * base64url, chosen once per signer) followed by that signer's call counter in base 36. A callee keeps,
 * per signer id, the highest counter it admitted and a bitmap of the REPLAY_WINDOW counters below it —
 * the sliding window of IPsec and DTLS (RFC 4303 §3.4.3) — instead of a set of every nonce seen: each
 * admission is O(1) and keeps no state per nonce (a 128-byte bitmap per signer), whatever the call rate.
 *
 * A signer's calls reach its callee nearly in order (a signer signs each call just before sending it,
 * and a callee has only so many calls in flight), so a counter more than REPLAY_WINDOW behind the
 * highest is refused as too old to tell from a replay. A signer id is forgotten once every proof
 * admitted under it is stale anyway (its time out of the skew window), so an id's state never outlives
 * the proofs it protects.
 *
 * The nonce's form is the one coordinators have sent since counter nonces (a 22-character id per process
 * and a base-36 counter), so agents and coordinators of either version accept each other's proofs (an
 * older coordinator counts all its calls, to every agent, with one counter: a call held back while it
 * signs 1,024 others would be refused as too old, and its partition retried).
 */

/** Characters of a signer's random id: 16 random bytes in base64url. */
export const NONCE_ID_CHARS = 22;
/** How many counters below the highest admitted one are still told apart from replays. */
export const REPLAY_WINDOW = 1024;
const WORDS = REPLAY_WINDOW / 32;
const COUNTER = /^[0-9a-z]{1,10}$/;

/** A new signer id: 16 random bytes, base64url (NONCE_ID_CHARS characters). */
export function newNonceId(): string {
  return randomBytes(16).toString('base64url');
}

/** Why a nonce is refused, or undefined when it is admitted. */
export type NonceRefusal = 'malformed' | 'replayed' | 'too old';

class SignerWindow {
  /** Bit (counter mod REPLAY_WINDOW) is set when that counter, within the window, was admitted. */
  readonly seen = new Uint32Array(WORDS);
  highest = -1;
  /** The latest proof time admitted under this id: once it is stale, so are all of them. */
  latestTime = 0;
}

export class NonceWindow {
  private readonly signers = new Map<string, SignerWindow>();
  private lastSweep = 0;

  /** skewMs: how far a proof's time may be from the callee's clock (cluster-proof.ts). */
  constructor(private readonly skewMs: number) {}

  /**
   * Admits `nonce` of a proof of `time`, checked at `now` (the proof's MAC and time already checked):
   * undefined the first time, else why it is refused.
   */
  admit(nonce: string, time: number, now: number): NonceRefusal | undefined {
    if (nonce.length <= NONCE_ID_CHARS) return 'malformed';
    const digits = nonce.slice(NONCE_ID_CHARS);
    if (!COUNTER.test(digits)) return 'malformed';
    const counter = parseInt(digits, 36);
    if (now - this.lastSweep > this.skewMs) this.sweep(now);
    const id = nonce.slice(0, NONCE_ID_CHARS);
    let window = this.signers.get(id);
    if (!window) {
      window = new SignerWindow();
      this.signers.set(id, window);
    }
    const { seen } = window;
    if (counter > window.highest) {
      // Clear the bits of the counters skipped (at most the whole window), then take this one.
      const skipped = Math.min(counter - window.highest - 1, REPLAY_WINDOW);
      for (let c = counter - skipped; c < counter; c++) seen[(c % REPLAY_WINDOW) >>> 5] &= ~(1 << (c & 31));
      window.highest = counter;
    } else if (window.highest - counter >= REPLAY_WINDOW) {
      return 'too old';
    } else if (seen[(counter % REPLAY_WINDOW) >>> 5] & (1 << (counter & 31))) {
      return 'replayed';
    }
    seen[(counter % REPLAY_WINDOW) >>> 5] |= 1 << (counter & 31);
    if (time > window.latestTime) window.latestTime = time;
    return undefined;
  }

  /** Forgets the signer ids whose every admitted proof is now out of the skew window. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [id, window] of this.signers) if (now - window.latestTime > this.skewMs) this.signers.delete(id);
  }

  /** Signer ids remembered. */
  get size(): number {
    return this.signers.size;
  }
}

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NONCE_ID_CHARS, NonceWindow, REPLAY_WINDOW, newNonceId, type NonceRefusal } from '../../../shared/auth/nonce-window.js';

const NOW = 1_800_000_000_000;
const SKEW = 30_000;
const IDS = [newNonceId(), newNonceId(), newNonceId()];

const nonce = (id: string, counter: number) => id + counter.toString(36);

describe('the replay window', () => {
  it('signer ids have the length the window reads', () => {
    for (const id of IDS) assert.equal(id.length, NONCE_ID_CHARS);
  });

  it('for any order of calls, admits each nonce once and tells replays and too-old counters apart, as a set of every nonce seen does', () => {
    // The reference: every (id, counter) admitted so far, and the highest counter per id.
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 2 }), step: fc.oneof(fc.integer({ min: -REPLAY_WINDOW - 20, max: 40 }), fc.integer({ min: REPLAY_WINDOW - 3, max: 2 * REPLAY_WINDOW })), repeat: fc.boolean() }), { maxLength: 400 }),
        (calls) => {
          const window = new NonceWindow(SKEW);
          const seen = new Set<string>();
          const highest = [-1, -1, -1];
          const last = [0, 0, 0];
          for (const { id, step, repeat } of calls) {
            const counter = repeat ? last[id] : Math.max(0, (highest[id] < 0 ? 0 : highest[id]) + step);
            const key = nonce(IDS[id], counter);
            let expected: NonceRefusal | undefined;
            if (highest[id] - counter >= REPLAY_WINDOW) expected = 'too old';
            else if (seen.has(key)) expected = 'replayed';
            assert.equal(window.admit(key, NOW, NOW), expected, `counter ${counter} of signer ${id}, highest ${highest[id]}`);
            if (expected === undefined) {
              seen.add(key);
              highest[id] = Math.max(highest[id], counter);
            }
            last[id] = counter;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses nonces that are not a signer id and a base-36 counter', () => {
    const window = new NonceWindow(SKEW);
    for (const bad of ['', IDS[0], `${IDS[0]}-1`, `${IDS[0]}A`, `${IDS[0]}${'z'.repeat(11)}`, 'n1']) assert.equal(window.admit(bad, NOW, NOW), 'malformed', bad);
  });

  it('forgets a signer once every proof it had admitted is stale, and not before', () => {
    const window = new NonceWindow(SKEW);
    assert.equal(window.admit(nonce(IDS[0], 5), NOW + SKEW, NOW), undefined); // a proof from a clock 30 s ahead
    assert.equal(window.admit(nonce(IDS[1], 0), NOW, NOW), undefined);
    // 40 s on: IDS[1]'s proof is stale and forgotten; IDS[0]'s is still fresh (its time is 10 s back), so its replay is refused.
    assert.equal(window.admit(nonce(IDS[2], 0), NOW + 40_000, NOW + 40_000), undefined);
    assert.equal(window.size, 2);
    assert.equal(window.admit(nonce(IDS[0], 5), NOW + SKEW, NOW + 40_000), 'replayed');
  });
});

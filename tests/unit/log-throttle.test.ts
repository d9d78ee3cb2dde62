import { test } from 'node:test';
import assert from 'node:assert/strict';
import { throttle } from '../../shared/log-throttle.js';

test('one line per interval, with the count of those dropped in between', () => {
  let now = 0;
  const lines: Array<[number, string]> = [];
  const log = throttle(1000, (suppressed, what: string) => lines.push([suppressed, what]), () => now);
  for (let i = 0; i < 500; i++) {
    log(`call ${i}`);
    now += 10;
  }
  assert.deepEqual(lines, [[0, 'call 0'], [99, 'call 100'], [99, 'call 200'], [99, 'call 300'], [99, 'call 400']]);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedFor } from '../../../../coordinator/dashboard/snapshots.js';

test('a shared value is computed once per ttl, concurrent askers share it, a failure is not kept', async () => {
  let clock = 0;
  let computed = 0;
  let fail = false;
  const value = sharedFor(1000, async () => {
    computed += 1;
    if (fail) throw new Error('down');
    return computed;
  }, () => clock);
  assert.deepEqual(await Promise.all([value(), value()]), [1, 1]);
  clock = 999;
  assert.equal(await value(), 1);
  clock = 1000;
  assert.equal(await value(), 2);
  fail = true;
  clock = 2000;
  await assert.rejects(value(), /down/);
  fail = false;
  assert.equal(await value(), 4, 'asked again at once after a failure');
});

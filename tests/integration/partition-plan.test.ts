import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionLedger } from '../../coordinator/partitions/partition-ledger.js';
import { useRealRedis } from '../helpers/real-redis.js';

describe('a job\'s plan, claimed in one round trip (real Redis)', () => {
  const real = useRealRedis();

  test('the first plan is stored and kept: a later run (a takeover) gets it back, not its own', async () => {
    const ledger = new PartitionLedger(real.redis, 'plan1', 600, 600);
    const first = await ledger.plan('job-a', () => [{ from: 0, to: 5 }, { from: 5, to: 10 }]);
    assert.deepEqual(first, { partitions: [{ from: 0, to: 5 }, { from: 5, to: 10 }], resumed: false });
    // Another coordinator, with another cluster: it plans differently, and must use the stored plan.
    const other = new PartitionLedger(real.redis.duplicate(), 'plan1', 600, 600);
    const second = await other.plan('job-a', () => [{ from: 0, to: 10 }]);
    assert.deepEqual(second, { partitions: [{ from: 0, to: 5 }, { from: 5, to: 10 }], resumed: true });
    assert.ok((await real.redis.ttl('plan1:job:job-a:plan')) > 0, 'the plan expires with the job\'s records');
  });

  test('coordinators planning the same job at once agree on one plan', async () => {
    const ledgers = Array.from({ length: 8 }, () => new PartitionLedger(real.redis.duplicate(), 'plan2', 600, 600));
    const plans = await Promise.all(ledgers.map((ledger, i) => ledger.plan('job-b', () => [{ planner: i }])));
    assert.equal(plans.filter((plan) => !plan.resumed).length, 1, 'exactly one claimed the plan');
    const winner = plans.find((plan) => !plan.resumed)!.partitions;
    for (const plan of plans) assert.deepEqual(plan.partitions, winner);
  });

  test('a forgotten job is planned afresh', async () => {
    const ledger = new PartitionLedger(real.redis, 'plan3', 600, 600);
    await ledger.plan('job-c', () => [1, 2]);
    await ledger.forget('job-c');
    assert.deepEqual(await ledger.plan('job-c', () => [3]), { partitions: [3], resumed: false });
  });
});

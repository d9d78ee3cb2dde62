import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ValidationError } from '../../../shared/errors.js';
import {
  checkCron,
  checkGraceSeconds,
  checkMissedPolicy,
  checkScheduleName,
  checkTimeZone,
  DEFAULT_MIN_SCHEDULE_INTERVAL_MS,
  INTERVAL_CHECK_OCCURRENCES,
  nextOccurrence,
  shouldSkip,
} from '../../../coordinator/schedules/schedule-model.js';
import { isUpcomingOccurrence, scheduledOccurrence } from '../../../coordinator/jobs/scheduled-occurrence.js';
import { parseStoredSchedule } from '../../../coordinator/schedules/schedule-store.js';

function field(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ValidationError, `a ValidationError, got ${String(error)}`);
    return error.field;
  }
  assert.fail('no error');
}

describe('schedule definitions are checked field by field', () => {
  it('names', () => {
    assert.equal(checkScheduleName('nightly-btc.v2'), 'nightly-btc.v2');
    for (const bad of ['', '-x', 'a:b', 'a b', 'x'.repeat(65)]) assert.equal(field(() => checkScheduleName(bad)), 'name', bad);
  });

  it('time zones: IANA names in their canonical spelling, UTC by default', () => {
    assert.equal(checkTimeZone('Europe/London'), 'Europe/London');
    assert.equal(checkTimeZone('europe/london'), 'Europe/London');
    assert.equal(checkTimeZone(''), 'UTC');
    assert.equal(field(() => checkTimeZone('Mars/Olympus_Mons')), 'tz');
  });

  it('cron patterns of 5 or 6 fields whose values BullMQ accepts', () => {
    assert.equal(checkCron('0  2 * * *', 'UTC'), '0 2 * * *');
    assert.equal(checkCron('*/3 * * * * *', 'UTC', 1000), '*/3 * * * * *');
    for (const bad of ['', '* * * *', '* * * * * * *', '61 * * * *', 'every day', '0 2 30 2 *']) assert.equal(field(() => checkCron(bad, 'UTC')), 'cron', bad);
  });

  it('refuses occurrences closer than the minimum interval (default 1 minute), naming cron', () => {
    assert.equal(DEFAULT_MIN_SCHEDULE_INTERVAL_MS, 60_000);
    assert.equal(checkCron('* * * * *', 'UTC'), '* * * * *');
    for (const tooFast of ['* * * * * *', '*/3 * * * * *', '0,30 * * * * *']) {
      assert.equal(field(() => checkCron(tooFast, 'UTC')), 'cron', tooFast);
      assert.throws(() => checkCron(tooFast, 'UTC'), /at least 1m apart/);
    }
    assert.throws(() => checkCron('* * * * * *', 'UTC'), /fires 1s apart/);
    const twoMinutes = 120_000;
    // A close pair anywhere among the next occurrences counts, not only the first two.
    for (const tooFast of ['* * * * *', '0,1 * * * *', '* 2 * * *', '0,1 2 * * *']) {
      assert.equal(field(() => checkCron(tooFast, 'UTC', twoMinutes)), 'cron', tooFast);
    }
    assert.equal(checkCron('*/2 * * * *', 'UTC', twoMinutes), '*/2 * * * *');
    assert.equal(checkCron('0 2 * * *', 'Europe/London', twoMinutes), '0 2 * * *');
  });

  it('a cron it accepts has no two of its next occurrences closer than the minimum; one it refuses has (property)', () => {
    const secondField = fc.oneof(fc.constant('*'), fc.integer({ min: 0, max: 59 }).map(String), fc.integer({ min: 1, max: 30 }).map((k) => `*/${k}`), fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 2, maxLength: 4 }).map((v) => v.join(',')));
    const minuteField = secondField;
    fc.assert(
      fc.property(secondField, minuteField, fc.integer({ min: 1, max: 7200 }), fc.integer({ min: 0, max: 2_000_000_000 }), (second, minute, minSeconds, start) => {
        const cron = `${second} ${minute} * * * *`;
        const now = Date.UTC(2025, 0, 1) + start * 1000;
        const gaps: number[] = [];
        let previous = nextOccurrence(cron, 'UTC', now);
        for (let i = 1; i < INTERVAL_CHECK_OCCURRENCES; i++) {
          const next = nextOccurrence(cron, 'UTC', previous);
          gaps.push(next - previous);
          previous = next;
        }
        const accepted = (() => {
          try {
            checkCron(cron, 'UTC', minSeconds * 1000, now);
            return true;
          } catch (error) {
            assert.equal((error as { field?: string }).field, 'cron');
            return false;
          }
        })();
        assert.equal(accepted, gaps.every((gap) => gap >= minSeconds * 1000), cron);
      }),
      { numRuns: 150 },
    );
  });

  it('occurrences follow the time zone, daylight saving included', () => {
    const winter = Date.UTC(2025, 0, 10, 12); // London = UTC in January
    const summer = Date.UTC(2025, 6, 10, 12); // London = UTC+1 in July
    assert.equal(nextOccurrence('0 2 * * *', 'Europe/London', winter), Date.UTC(2025, 0, 11, 2));
    assert.equal(nextOccurrence('0 2 * * *', 'Europe/London', summer), Date.UTC(2025, 6, 11, 1));
    assert.equal(nextOccurrence('*/2 * * * * *', 'UTC', Date.UTC(2025, 0, 1, 0, 0, 1)), Date.UTC(2025, 0, 1, 0, 0, 2));
  });

  it('missed policy and grace', () => {
    assert.equal(checkMissedPolicy(''), 'run-once');
    assert.equal(checkMissedPolicy('skip'), 'skip');
    assert.equal(field(() => checkMissedPolicy('twice')), 'missed');
    assert.equal(checkGraceSeconds(0), 60);
    assert.equal(checkGraceSeconds(5), 5);
    assert.equal(field(() => checkGraceSeconds(1e9)), 'grace_seconds');
  });
});

describe('occurrences', () => {
  it('are recognised by the job ids BullMQ gives scheduler jobs', () => {
    assert.deepEqual(scheduledOccurrence('repeat:nightly:1700000000000', 'nightly'), { name: 'nightly', at: 1700000000000 });
    assert.equal(scheduledOccurrence('repeat:nightly:1700000000000', undefined), undefined);
    assert.equal(scheduledOccurrence('lq2x-abc', 'nightly'), undefined);
    assert.equal(scheduledOccurrence('repeat:other:1700000000000', 'nightly'), undefined);
  });

  it('a next occurrence not yet due is not listed as a job', () => {
    assert.equal(isUpcomingOccurrence({ id: 'repeat:n:2000', repeatJobKey: 'n' }, 1000), true);
    assert.equal(isUpcomingOccurrence({ id: 'repeat:n:2000', repeatJobKey: 'n' }, 3000), false);
    assert.equal(isUpcomingOccurrence({ id: 'plain-job' }, 0), false);
  });

  it('skip drops an occurrence only when it starts more than the grace late; run-once never', () => {
    const at = 1_000_000;
    assert.equal(shouldSkip({ missed: 'skip', graceSeconds: 60 }, at, at + 60_000), false);
    assert.equal(shouldSkip({ missed: 'skip', graceSeconds: 60 }, at, at + 60_001), true);
    assert.equal(shouldSkip({ missed: 'run-once', graceSeconds: 60 }, at, at + 3_600_000), false);
  });
});

describe('stored schedules', () => {
  it('read back from the Redis hash', () => {
    const template = { name: 'nightly', priority: 2, requestId: '', spec: { noop: { partitions: 2 }, kind: 'noop' } };
    const stored = parseStoredSchedule({
      name: 'nightly', cron: '0 2 * * *', tz: 'Europe/London', missed: 'skip', grace: '90', paused: '1', createdAt: '123',
      template: JSON.stringify(template),
      'last.jobId': '', 'last.at': '456', 'last.status': '', 'last.skipped': '1', 'last.reason': 'missed', 'last.manual': '0',
    });
    assert.deepEqual(stored, {
      // A schedule stored before users existed has no owner: only admins may change it.
      definition: { name: 'nightly', cron: '0 2 * * *', tz: 'Europe/London', missed: 'skip', graceSeconds: 90, paused: true, createdAt: 123, template, owner: '' },
      lastRun: { jobId: '', scheduledAt: 456, status: '', skipped: true, reason: 'missed', manual: false },
    });
    assert.equal(parseStoredSchedule({ name: 'x', template: '{}', owner: 'alice' })?.definition.owner, 'alice');
    assert.equal(parseStoredSchedule({}), undefined);
    assert.equal(parseStoredSchedule({ name: 'x', template: '{}' })?.lastRun, undefined);
  });
});

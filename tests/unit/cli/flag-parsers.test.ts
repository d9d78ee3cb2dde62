import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../cli/cli-error.js';
import {
  flagValue,
  parseCoordinatorAddress,
  parseIntegerIn,
  parseJobStatus,
  parseNameList,
  parseNumber,
  parseParamAssignment,
  parseRange,
} from '../../../cli/flag-parsers.js';

describe('parseRange', () => {
  it('reads start:stop:step', () => {
    assert.deepEqual(parseRange('5:50:5'), { start: 5, stop: 50, step: 5 });
    assert.deepEqual(parseRange('0.5:2.5:0.25'), { start: 0.5, stop: 2.5, step: 0.25 });
    assert.deepEqual(parseRange('-10:10:5'), { start: -10, stop: 10, step: 5 });
  });

  it('reads a single value as a range of one', () => {
    assert.deepEqual(parseRange('14'), { start: 14, stop: 14, step: 0 });
    assert.deepEqual(parseRange('7:7:0'), { start: 7, stop: 7, step: 0 });
  });

  it('rejects malformed ranges, saying what is expected', () => {
    for (const bad of ['5:x', '5:50', '5:50:5:1', '', 'abc', '5::5', '0x10', '1e999', 'Infinity']) {
      assert.throws(() => parseRange(bad), /is not a range/, bad);
    }
    assert.throws(() => parseRange('5:x:1'), /"x" is not a number/);
    assert.throws(() => parseRange('5:50'), /start:stop:step/);
  });

  it('rejects backwards ranges and non-positive steps', () => {
    assert.throws(() => parseRange('50:5:5'), /stop 5 is below start 50/);
    assert.throws(() => parseRange('5:50:0'), /step must be above 0/);
    assert.throws(() => parseRange('5:50:-5'), /step must be above 0/);
  });
});

describe('flagValue', () => {
  it('names the flag and makes a usage error (exit 2)', () => {
    assert.throws(
      () => flagValue('--fast', '5:x', parseRange),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /^--fast: "5:x" is not a range/);
        return true;
      },
    );
  });
});

describe('parseParamAssignment', () => {
  it('reads name=range', () => {
    assert.deepEqual(parseParamAssignment('fast=5:50:5'), { name: 'fast', range: { start: 5, stop: 50, step: 5 } });
    assert.deepEqual(parseParamAssignment('rsi_period=14'), { name: 'rsi_period', range: { start: 14, stop: 14, step: 0 } });
  });

  it('rejects a missing name or value', () => {
    assert.throws(() => parseParamAssignment('fast'), /name=start:stop:step/);
    assert.throws(() => parseParamAssignment('=5'), /name=start:stop:step/);
    assert.throws(() => parseParamAssignment('fast=5:x'), /is not a range/);
    assert.throws(() => parseParamAssignment('9x=1'), /name=start:stop:step/);
  });
});

describe('number and list parsers', () => {
  it('parseNumber takes decimals only', () => {
    assert.equal(parseNumber('2.5'), 2.5);
    assert.equal(parseNumber('1e3'), 1000);
    for (const bad of ['', ' ', '0x1f', '1_000', 'NaN', '--1']) assert.throws(() => parseNumber(bad), /not a number/, bad);
  });

  it('parseIntegerIn checks integrality and bounds', () => {
    const percent = parseIntegerIn(0, 100);
    assert.equal(percent('0'), 0);
    assert.equal(percent('100'), 100);
    for (const bad of ['-1', '101', '2.5']) assert.throws(() => percent(bad), /integer from 0 to 100/, bad);
  });

  it('parseNameList splits, trims and de-duplicates; an empty list is an error', () => {
    assert.deepEqual(parseNameList('BTCUSDT, ETHUSDT,,BTCUSDT'), ['BTCUSDT', 'ETHUSDT']);
    assert.throws(() => parseNameList(' , '), /names nothing/);
  });

  it('parseJobStatus maps names to the wire enum', () => {
    assert.equal(parseJobStatus('running'), 'JOB_STATUS_RUNNING');
    assert.equal(parseJobStatus('COMPLETED'), 'JOB_STATUS_COMPLETED');
    assert.equal(parseJobStatus('waiting_for_nodes'), 'JOB_STATUS_WAITING_FOR_NODES');
    assert.throws(() => parseJobStatus('done'), /one of: queued, waiting/);
  });

  it('parseCoordinatorAddress wants HOST:PORT', () => {
    assert.equal(parseCoordinatorAddress('127.0.0.1:7000'), '127.0.0.1:7000');
    assert.equal(parseCoordinatorAddress('coordinator.lan:7000'), 'coordinator.lan:7000');
    assert.equal(parseCoordinatorAddress('[::1]:7000'), '[::1]:7000');
    assert.equal(parseCoordinatorAddress('dns:///coordinator:7000'), 'dns:///coordinator:7000');
    for (const bad of ['localhost', ':7000', 'host:99999', 'host:0', 'host:port']) {
      assert.throws(() => parseCoordinatorAddress(bad), /HOST:PORT/, bad);
    }
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawdownCurve } from '../../../shared/tasks/backtest/equity-curve.js';

test('drawdown: equity over its running peak, minus one', () => {
  assert.deepEqual(drawdownCurve([1, 1.2, 0.9, 1.5, 1.2]), [0, 0, 0.9 / 1.2 - 1, 0, 1.2 / 1.5 - 1]);
  assert.deepEqual(drawdownCurve([]), []);
});

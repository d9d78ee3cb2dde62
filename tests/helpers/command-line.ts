import assert from 'node:assert/strict';
import { CommandLineExit } from '../../shared/config/command-line.js';

/** The CommandLineExit a parse throws; fails the test when it throws something else or nothing. */
export function exitOf(run: () => unknown): CommandLineExit {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof CommandLineExit, `expected CommandLineExit, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the parse to fail');
}

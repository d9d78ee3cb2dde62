import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHostPort } from '../../../shared/config/host-port.js';

test('host:port, IPv6 in brackets once', () => {
  assert.equal(formatHostPort('127.0.0.1', 7000), '127.0.0.1:7000');
  assert.equal(formatHostPort('node-a.local', 7070), 'node-a.local:7070');
  assert.equal(formatHostPort('::1', 7000), '[::1]:7000');
  assert.equal(formatHostPort('[::1]', 7000), '[::1]:7000');
  assert.equal(formatHostPort('0.0.0.0', 0), '0.0.0.0:0');
});

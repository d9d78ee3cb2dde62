import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { checkCsrf, cookieValue, requestToken, sessionCookie } from '../../../../coordinator/dashboard/session-auth.js';
import { HTTP_STATUS_OF_KIND } from '../../../../coordinator/dashboard/http-errors.js';
import { PermissionDenied } from '../../../../shared/errors.js';
import { STATUS_OF_KIND } from '../../../../coordinator/api/grpc-status.js';

const request = (method: string, headers: Record<string, string>) => ({ method, headers }) as unknown as IncomingMessage;

test('cookies: found by name, opened and ended with HttpOnly and SameSite=Strict, Secure under TLS', () => {
  assert.equal(cookieValue('a=1; quantgrid_session=qg_abc; b=2', 'quantgrid_session'), 'qg_abc');
  assert.equal(cookieValue('xquantgrid_session=1', 'quantgrid_session'), undefined);
  assert.equal(cookieValue(undefined, 'quantgrid_session'), undefined);
  assert.equal(sessionCookie('qg_t', false), 'quantgrid_session=qg_t; Path=/; HttpOnly; SameSite=Strict');
  assert.equal(sessionCookie('qg_t', true), 'quantgrid_session=qg_t; Path=/; HttpOnly; SameSite=Strict; Secure');
  assert.equal(sessionCookie(undefined, false), 'quantgrid_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict');
});

test('a bearer header wins over the cookie; neither: no token', () => {
  assert.deepEqual(requestToken(request('GET', { authorization: 'Bearer qg_b', cookie: 'quantgrid_session=qg_c' })), { token: 'qg_b', via: 'bearer' });
  assert.deepEqual(requestToken(request('GET', { cookie: 'quantgrid_session=qg_c' })), { token: 'qg_c', via: 'cookie' });
  assert.equal(requestToken(request('GET', {})), undefined);
});

test('CSRF: reads pass; a mutation needs the header, and a foreign Origin is refused', () => {
  const own = 'http://127.0.0.1:7080';
  checkCsrf(request('GET', {}), own);
  assert.throws(() => checkCsrf(request('POST', {}), own), PermissionDenied);
  assert.throws(() => checkCsrf(request('DELETE', { 'x-requested-with': 'XMLHttpRequest' }), own), PermissionDenied);
  checkCsrf(request('POST', { 'x-requested-with': 'quantgrid-dashboard' }), own);
  checkCsrf(request('POST', { 'x-requested-with': 'quantgrid-dashboard', origin: own }), own);
  assert.throws(() => checkCsrf(request('POST', { 'x-requested-with': 'quantgrid-dashboard', origin: 'http://127.0.0.1:9999' }), own), PermissionDenied);
});

test('every error kind has an HTTP status, as it has a gRPC one', () => {
  assert.deepEqual(Object.keys(HTTP_STATUS_OF_KIND).sort(), Object.keys(STATUS_OF_KIND).sort());
  assert.equal(HTTP_STATUS_OF_KIND.unauthenticated, 401);
  assert.equal(HTTP_STATUS_OF_KIND['permission-denied'], 403);
  assert.equal(HTTP_STATUS_OF_KIND['invalid-argument'], 400);
  assert.equal(HTTP_STATUS_OF_KIND.unavailable, 503);
});

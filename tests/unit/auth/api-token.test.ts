import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, generateApiToken, hashApiToken, isApiTokenShaped } from '../../../shared/auth/api-token.js';
import { isRole, roleAllows, ROLES } from '../../../shared/auth/roles.js';

describe('API tokens', () => {
  it('are 256 random bits behind the prefix, all different', () => {
    const tokens = new Set(Array.from({ length: 200 }, generateApiToken));
    assert.equal(tokens.size, 200);
    for (const token of tokens) {
      assert.ok(isApiTokenShaped(token), token);
      assert.equal(Buffer.from(token.slice(3), 'base64url').length, 32);
    }
  });

  it('are stored as a SHA-256 that matches only itself', () => {
    const token = generateApiToken();
    assert.match(hashApiToken(token), /^[0-9a-f]{64}$/);
    assert.equal(hashApiToken(token), hashApiToken(token));
    assert.notEqual(hashApiToken(token), hashApiToken(generateApiToken()));
  });

  it('are read from "Bearer <token>" only', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer  abc '), 'abc');
    for (const header of [undefined, '', 'abc', 'Basic abc', 'Bearer', 'Bearer a b', 42]) assert.equal(bearerToken(header), undefined, String(header));
    assert.equal(isApiTokenShaped('qg_short'), false);
  });
});

describe('roles', () => {
  it('each includes the ones before it', () => {
    assert.deepEqual([...ROLES], ['viewer', 'submitter', 'admin']);
    assert.ok(roleAllows('admin', 'viewer') && roleAllows('admin', 'submitter') && roleAllows('submitter', 'viewer'));
    assert.ok(!roleAllows('viewer', 'submitter') && !roleAllows('submitter', 'admin'));
    assert.ok(isRole('viewer') && !isRole('root') && !isRole(undefined));
  });
});

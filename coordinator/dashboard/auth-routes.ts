/** POST /api/login, POST /api/logout, GET /api/me. */
import type { MeResponse } from '../../shared/dashboard/api-types.js';
import { ValidationError } from '../../shared/errors.js';
import { NO_BODY, readJsonBody, type Route } from './http-router.js';
import { checkCsrf, sessionCookie, type SessionAuth } from './session-auth.js';

export function authRoutes(auth: SessionAuth, origin: (request: import('node:http').IncomingMessage) => string, secure: boolean): Route[] {
  const json = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  return [
    {
      method: 'POST',
      pattern: '/api/login',
      access: { role: 'viewer' },
      public: true,
      async handle({ request, response }) {
        checkCsrf(request, origin(request));
        const { token } = await readJsonBody(request);
        if (typeof token !== 'string' || token.trim() === '') throw new ValidationError('token', 'is required: an API token (quantgrid token create)');
        const principal = await auth.verify(token.trim());
        const me: MeResponse = { ...principal, authDisabled: auth.disabled };
        const headers = auth.disabled ? json : { ...json, 'set-cookie': sessionCookie(token.trim(), secure) };
        response.writeHead(200, headers).end(JSON.stringify(me));
        return NO_BODY;
      },
    },
    {
      method: 'POST',
      pattern: '/api/logout',
      access: { role: 'viewer' },
      public: true,
      async handle({ request, response }) {
        checkCsrf(request, origin(request));
        response.writeHead(204, { 'set-cookie': sessionCookie(undefined, secure), 'cache-control': 'no-store' }).end();
        return NO_BODY;
      },
    },
    {
      method: 'GET',
      pattern: '/api/me',
      access: { role: 'viewer' },
      handle: async ({ principal }): Promise<MeResponse> => ({ user: principal.user, role: principal.role, authDisabled: auth.disabled }),
    },
  ];
}

import { isRole, ROLES } from '../../shared/auth/roles.js';
import { AlreadyExists, NotFound, ValidationError } from '../../shared/errors.js';
import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { TokenInfo } from '../../shared/generated/quantgrid/v1/TokenInfo.js';
import type { Logger } from '../../shared/logging.js';
import { quoteInput } from '../../shared/quote-input.js';
import { LIST_AUDIT_MAX } from '../../shared/api-limits.js';
import type { AuditLog } from '../audit/audit-log.js';
import { principalOf } from '../auth/principal.js';
import { USER_NAME_PATTERN, type TokenInfo as StoredTokenInfo, type TokenStore } from '../auth/token-store.js';
import { TOKEN_STORE } from '../redis/store-names.js';
import { unary, type RpcContext } from './rpc-handlers.js';

export type AuthRpcName = 'WhoAmI' | 'CreateToken' | 'ListTokens' | 'RevokeToken' | 'ListAudit';

/** The longest token lifetime CreateToken accepts (10 years). */
export const MAX_TOKEN_LIFETIME_SECONDS = 10 * 366 * 24 * 3600;

function toTokenInfo(info: StoredTokenInfo): TokenInfo {
  return { user: info.user, role: info.role, createdAtMs: info.createdAt, expiresAtMs: info.expiresAt };
}

function checkUser(user: string): string {
  if (!USER_NAME_PATTERN.test(user)) throw new ValidationError('user', 'must be 1 to 64 of A-Z a-z 0-9 . _ - @, starting with a letter or digit');
  return user;
}

/** Who am I, tokens and the audit trail; the roles they need are in auth/rpc-roles.ts. */
export function createAuthHandlers(tokens: TokenStore, audit: AuditLog, log: Logger): Pick<CoordinatorHandlers, AuthRpcName> {
  const context = (rpc: AuthRpcName): RpcContext => ({ rpc, log, dependency: TOKEN_STORE });
  return {
    WhoAmI: unary(context('WhoAmI'), async (_request, call) => principalOf(call)),

    CreateToken: unary(context('CreateToken'), async (request, call) => {
      const user = checkUser(request.user);
      if (!isRole(request.role)) throw new ValidationError('role', `must be one of ${ROLES.join(', ')}, got ${quoteInput(request.role)}`);
      if (request.expiresInSeconds > MAX_TOKEN_LIFETIME_SECONDS) throw new ValidationError('expires_in_seconds', `must be at most ${MAX_TOKEN_LIFETIME_SECONDS} (0: never)`);
      const now = Date.now();
      const expiresAt = request.expiresInSeconds > 0 ? now + request.expiresInSeconds * 1000 : 0;
      const token = await tokens.create(user, request.role, expiresAt);
      if (!token) throw new AlreadyExists(`user ${quoteInput(user)} has a token already: revoke it first (quantgrid token revoke ${user})`);
      const by = principalOf(call).user;
      await audit.append({ user: by, action: 'token.create', target: user, detail: `${request.role}${expiresAt ? `, expires ${new Date(expiresAt).toISOString()}` : ''}` });
      log.info({ user, role: request.role, by }, 'token created');
      return { token, info: { user, role: request.role, createdAtMs: now, expiresAtMs: expiresAt } };
    }),

    ListTokens: unary(context('ListTokens'), async () => ({ tokens: (await tokens.list()).map(toTokenInfo) })),

    RevokeToken: unary(context('RevokeToken'), async (request, call) => {
      const user = checkUser(request.user);
      const info = await tokens.info(user);
      if (!info || !(await tokens.revoke(user))) throw new NotFound('token of user', user);
      const by = principalOf(call).user;
      await audit.append({ user: by, action: 'token.revoke', target: user, detail: info.role });
      log.info({ user, by }, 'token revoked');
      return toTokenInfo(info);
    }),

    ListAudit: unary(context('ListAudit'), async (request) => {
      if (request.limit > LIST_AUDIT_MAX) throw new ValidationError('limit', `must be at most ${LIST_AUDIT_MAX}`);
      const entries = await audit.list({ user: request.user || undefined, limit: request.limit || undefined });
      return { entries: entries.map((entry) => ({ timeMs: entry.at, user: entry.user, action: entry.action, target: entry.target, detail: entry.detail })) };
    }),
  };
}


import type * as grpc from '@grpc/grpc-js';
import { isRole, roleAllows, type Role } from '../../shared/auth/roles.js';
import { PermissionDenied } from '../../shared/errors.js';

/** Who a call is made by, as the authentication interceptor established it. */
export interface Principal {
  user: string;
  role: Role;
}

/**
 * The metadata key the interceptor passes the principal to handlers under. Whatever a client sends
 * under this key is removed before the interceptor sets it, so it cannot be forged.
 */
export const PRINCIPAL_METADATA = 'x-quantgrid-principal';

/** The node agents' principal, when they fetch datasets with the cluster secret's proof. */
export const NODE_PRINCIPAL: Principal = { user: 'node', role: 'viewer' };

export function encodePrincipal(principal: Principal): string {
  return `${principal.role}:${principal.user}`;
}

/** The call's principal; a call that reached a handler always has one. */
export function principalOf(call: { metadata: grpc.Metadata }): Principal {
  const value = call.metadata.get(PRINCIPAL_METADATA)[0];
  const text = typeof value === 'string' ? value : '';
  const colon = text.indexOf(':');
  const role = text.slice(0, colon);
  if (colon < 0 || !isRole(role)) throw new Error('call without a principal: the authentication interceptor is not installed');
  return { role, user: text.slice(colon + 1) };
}

/** Whether the principal owns the thing or is an admin (things made before users existed have no owner: only admins). */
export function isOwnerOrAdmin(principal: Principal, owner: string | undefined): boolean {
  return roleAllows(principal.role, 'admin') || (owner !== undefined && owner !== '' && owner === principal.user);
}

/** Throws PermissionDenied unless the principal owns the thing or is an admin. */
export function checkOwnerOrAdmin(principal: Principal, owner: string | undefined, what: string): void {
  if (isOwnerOrAdmin(principal, owner)) return;
  throw new PermissionDenied(`${what} belongs to ${owner ? `user ${owner}` : 'no user'}: acting on it needs the admin role`);
}

/** Who is signed in (GET /api/me), for the header and for which buttons a page shows. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { MeResponse } from '../shared/dashboard/api-types.js';
import { roleAllows, type Role } from '../shared/auth/roles.js';

export const SessionContext = createContext<MeResponse | undefined>(undefined);

export function useSession(): MeResponse | undefined {
  return useContext(SessionContext);
}

/** True when the signed-in user's role allows what needs `role` (the server checks again on every call). */
export function hasRole(session: MeResponse | undefined, role: Role): boolean {
  return session !== undefined && roleAllows(session.role, role);
}

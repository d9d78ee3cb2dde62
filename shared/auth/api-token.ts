import { createHash, randomBytes } from 'node:crypto';

/**
 * API tokens: 32 random bytes (256 bits) behind a recognisable prefix, shown to their holder once.
 * Only a SHA-256 of the token is stored: the token is uniformly random, so a fast hash cannot be
 * searched backwards, and a stolen store yields nothing usable.
 */
export const API_TOKEN_PREFIX = 'qg_';
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = new RegExp(`^${API_TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);
/** What a token looks like, in the words of an error about one that does not. */
export const API_TOKEN_RULE = `${API_TOKEN_PREFIX} followed by 43 base64url characters`;
/** The metadata key a call's token travels in (as `Bearer <token>`). */
export const AUTHORIZATION_METADATA = 'authorization';

export function generateApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Whether text has the form of a token (checked before any look-up, so garbage costs nothing). */
export function isApiTokenShaped(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

/** The hex SHA-256 a token is stored and looked up under. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The `authorization` metadata value's token: "Bearer <token>" (scheme case-insensitive), else undefined. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { link, mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { API_TOKEN_RULE, generateApiToken, isApiTokenShaped } from '../../shared/auth/api-token.js';
import { readSecretFile, type SecretFile } from '../../shared/config/secret-file.js';

/** The user the bootstrap admin token belongs to. */
export const ADMIN_USER = 'admin';

export interface AdminTokenFile {
  token: string;
  /** True when this call wrote the file. */
  created: boolean;
  /** Set when the file can be read by others than its owner (it still works). */
  warning?: string;
}

/**
 * The bootstrap admin token: read from `file`, or, when there is none, a new one written there with
 * mode 0600 (atomically and exclusively, so two coordinators starting at once cannot each write their
 * own: the second reads the first's). The token itself is never logged; callers log the path.
 */
export async function readOrCreateAdminToken(file: string): Promise<AdminTokenFile> {
  const existing = await readTokenFile(file);
  if (existing !== undefined) return { ...existing, created: false };
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const token = generateApiToken();
  // Written whole to a private temp file, then linked into place: link() fails if the file exists, and
  // a reader never sees it half written (two coordinators starting at once agree on one token).
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${token}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
    return { token, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const raced = await readTokenFile(file);
    if (!raced) throw new Error(`${file} appeared while quantgrid was creating it, but holds no token`);
    return { ...raced, created: false };
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function readTokenFile(file: string): Promise<{ token: string; warning?: string } | undefined> {
  if (!existsSync(file)) return undefined;
  let read: SecretFile;
  try {
    read = readSecretFile(file);
  } catch (error) {
    throw new Error(`the admin token file: ${(error as Error).message}`);
  }
  const token = read.reveal();
  if (!isApiTokenShaped(token)) throw new Error(`${file} does not hold a quantgrid token (${API_TOKEN_RULE})`);
  return read.exposure ? { token, warning: read.exposure } : { token };
}

import { readClusterSecretFile } from '../../shared/auth/cluster-secret-file.js';
import type { Logger } from '../../shared/logging.js';
import { ADMIN_USER, readOrCreateAdminToken } from './admin-token-file.js';
import type { TokenStore } from './token-store.js';

/** The cluster secret from its file (a warning logged when others may read it), or undefined when none is configured. */
export async function readClusterSecret(file: string | undefined, log: Logger): Promise<Uint8Array | undefined> {
  if (!file) return undefined;
  const { secret, warning } = await readClusterSecretFile(file);
  if (warning) log.warn({ file }, warning);
  return secret;
}

/** Reads (or creates) the bootstrap admin token and installs it when the admin user has none: the way in to a new cluster. */
export async function installAdminToken(file: string, tokens: TokenStore, log: Logger): Promise<void> {
  const { token, created, warning } = await readOrCreateAdminToken(file);
  if (warning) log.warn({ file }, warning);
  const outcome = await tokens.install(ADMIN_USER, 'admin', token);
  if (outcome === 'user-has-another') {
    log.warn({ file, user: ADMIN_USER }, "the admin token file holds an old token: the admin user has another (revoked and re-created, or another coordinator's file); this file does not work");
  } else {
    log.info({ file, created }, created ? 'created the admin token file (mode 0600); quantgrid --token-file reads it' : 'admin token read from its file');
  }
}

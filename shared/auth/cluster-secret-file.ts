import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { readSecretFile, type SecretFile } from '../config/secret-file.js';
import { checkSecret, generateClusterSecret } from './cluster-proof.js';

/**
 * The cluster secret lives in a file shared by coordinators and agents (never on a command line or
 * in the environment): base64url text of 32 random bytes, as `quantgrid cluster init` writes it.
 */
export async function readClusterSecretFile(file: string): Promise<{ secret: Uint8Array; warning?: string }> {
  let read: SecretFile;
  try {
    read = readSecretFile(file);
  } catch (error) {
    throw new Error(`the cluster secret file: ${(error as Error).message}`);
  }
  const warning = read.exposure;
  const trimmed = read.reveal();
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed)) throw new Error(`${file} does not hold a cluster secret (base64url text, as quantgrid cluster init writes)`);
  const secret = checkSecret(Buffer.from(trimmed, 'base64url'));
  return warning ? { secret, warning } : { secret };
}

/** Writes a new secret to `file` (mode 0600); refuses to overwrite one. */
export async function writeNewClusterSecretFile(file: string): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${file} exists already; remove it first to make a new secret (every node must then get the new one)`);
    throw error;
  }
  try {
    await handle.writeFile(`${generateClusterSecret()}\n`);
  } finally {
    await handle.close();
  }
}

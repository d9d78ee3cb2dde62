import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './cli-error.js';

/** The variable holding a token itself (first in the order the CLI looks). */
export const TOKEN_ENV = 'QUANTGRID_TOKEN';

/**
 * The per-user token file as the help texts name it: the same for every user and machine, since the
 * texts are rendered at build time (cli/help-texts.ts); userTokenFile() is where it is for this user.
 */
export const USER_TOKEN_FILE_HELP = '$XDG_CONFIG_HOME/quantgrid/token (~/.config/quantgrid/token by default)';

/** The per-user file the CLI reads a token from when neither QUANTGRID_TOKEN nor --token-file gives one. */
export function userTokenFile(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(config, 'quantgrid', 'token');
}

/** Where a token can come from, for the one line an UNAUTHENTICATED failure ends with. */
export function tokenHint(env: NodeJS.ProcessEnv = process.env): string {
  return `the CLI sends the token from ${TOKEN_ENV}, --token-file, or ${userTokenFile(env)}, in that order`;
}

function readToken(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${what}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) throw new UsageError(`${what}: ${file} must hold one token on one line`);
  return token;
}

/**
 * The token to send, in this order: QUANTGRID_TOKEN, the --token-file (or QUANTGRID_TOKEN_FILE), the
 * per-user file when it exists; undefined when there is none (the coordinator then says what is missing).
 */
export function resolveToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv) return fromEnv;
  if (tokenFile) return readToken(tokenFile, '--token-file');
  const perUser = userTokenFile(env);
  try {
    return readToken(perUser, 'the per-user token file');
  } catch (error) {
    if (/ENOENT/.test((error as Error).message)) return undefined;
    throw error;
  }
}

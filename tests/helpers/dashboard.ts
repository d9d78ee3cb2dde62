import { runCli } from './cli-process.js';

/** A new API token for user with role, made with `quantgrid token create` by the cluster's admin (stdout holds only the token). */
export function createToken(coordinator: { address: string; adminToken: string }, user: string, role: 'viewer' | 'submitter' | 'admin'): string {
  const made = runCli(coordinator, ['token', 'create', user, '--role', role]);
  if (made.status !== 0) throw new Error(`token create ${user}: ${made.stderr}`);
  return made.stdout.trim();
}

import type { ClusterCoordinator } from '../../scripts/local-cluster/index.js';
import { runCli } from './cli-process.js';

/** The base URL of a coordinator's dashboard (its --http-listen, from its ready line), without a trailing slash. */
export function dashboardUrl(coordinator: ClusterCoordinator): string {
  const url = coordinator.httpUrl;
  if (!url) throw new Error('the coordinator serves no dashboard (start the cluster with --http-listen)');
  return url.replace(/\/+$/, '');
}

/** A new API token for user with role, made with `quantgrid token create` by the cluster's admin (stdout holds only the token). */
export function createToken(coordinator: { address: string; adminToken: string }, user: string, role: 'viewer' | 'submitter' | 'admin'): string {
  const made = runCli(coordinator, ['token', 'create', user, '--role', role]);
  if (made.status !== 0) throw new Error(`token create ${user}: ${made.stderr}`);
  return made.stdout.trim();
}

import type { ClusterCoordinator } from './local-cluster.js';

/** The base URL of a coordinator's dashboard (its --http-listen, from its ready line), without a trailing slash. */
export function dashboardUrl(coordinator: Pick<ClusterCoordinator, 'httpUrl'>): string {
  const url = coordinator.httpUrl;
  if (!url) throw new Error('the coordinator serves no dashboard (start the cluster with --http-listen)');
  return url.replace(/\/+$/, '');
}

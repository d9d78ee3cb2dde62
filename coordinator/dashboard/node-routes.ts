/** The dashboard's routes for the nodes (with their load history from Redis) and the overview. */
import type { NodesResponse, OverviewResponse } from '../../shared/dashboard/api-types.js';
import { JOB_STORE } from '../api/dependency-failure.js';
import type { Route } from './http-router.js';
import type { Snapshots } from './snapshots.js';

export function nodeRoutes(snapshots: Pick<Snapshots, 'nodes' | 'overview'>): Route[] {
  return [
    { method: 'GET', pattern: '/api/nodes', access: { rpc: 'ListNodes' }, dependency: JOB_STORE, handle: (): Promise<NodesResponse> => snapshots.nodes() },
    { method: 'GET', pattern: '/api/overview', access: { rpc: 'ListNodes' }, dependency: JOB_STORE, handle: (): Promise<OverviewResponse> => snapshots.overview() },
  ];
}

/** The dashboard's nodes (with their load history from Redis) and the overview. */
import type { NodesResponse, OverviewResponse } from '../../shared/dashboard/api-types.js';
import { describeNodes } from '../api/node-rpc.js';
import { JOB_STORE } from '../api/dependency-failure.js';
import { toNodeView } from './dashboard-views.js';
import type { DashboardDeps } from './dashboard-deps.js';
import type { Route } from './http-router.js';
import { overview } from './overview.js';

export async function nodesNow({ table, samples }: Pick<DashboardDeps, 'table' | 'samples'>): Promise<NodesResponse> {
  const nodes = describeNodes(table);
  const history = await samples.loadHistory(nodes.map((node) => node.id ?? ''));
  return {
    nodes: nodes.map((node) => {
      const record = table.get(node.id ?? '');
      return toNodeView(node, { datasetCacheHits: record?.datasetCacheHits ?? 0, datasetCacheMisses: record?.datasetCacheMisses ?? 0 }, history.get(node.id ?? '') ?? []);
    }),
  };
}

export function nodeRoutes(deps: DashboardDeps): Route[] {
  return [
    { method: 'GET', pattern: '/api/nodes', access: { rpc: 'ListNodes' }, dependency: JOB_STORE, handle: (): Promise<NodesResponse> => nodesNow(deps) },
    { method: 'GET', pattern: '/api/overview', access: { rpc: 'ListNodes' }, dependency: JOB_STORE, handle: (): Promise<OverviewResponse> => overview(deps) },
  ];
}

/** The dashboard's view of every node: those this coordinator knows, and those seen within the hour that left (gone). */
import type { LoadSample, NodeView, NodesResponse } from '../../shared/dashboard/api-types.js';
import type { SeenNode } from './cluster-samples.js';
import { describeNodes } from '../api/node-rpc.js';
import { toNodeView } from './dashboard-views.js';
import type { DashboardDeps } from './dashboard-deps.js';

/** A node seen lately that this coordinator no longer knows (it left Consul): shown as gone. */
function goneNode(seen: SeenNode, history: LoadSample[]): NodeView {
  const { id, address, version, slots, cores, cpuSpeedGhz, memoryTotalBytes, capabilities, specialties } = seen;
  return {
    id,
    address,
    state: 'gone',
    stateReason: `not seen since ${new Date(seen.seenAtMs).toISOString()}`,
    slots,
    busySlots: 0,
    cores,
    cpuSpeedGhz,
    memoryTotalBytes,
    memoryAvailableBytes: 0,
    cpuLoad: 0,
    rttMs: -1,
    capabilities,
    specialties,
    version,
    score: { total: 0, cpu: 0, memory: 0, network: 0, loadFactor: 0 },
    quarantinedUntilMs: 0,
    datasetCacheHits: 0,
    datasetCacheMisses: 0,
    loadHistory: history,
  };
}

/** Every node this coordinator knows, best score first, then those seen within the hour that it no longer knows (gone). */
export async function nodesNow({ table, samples }: Pick<DashboardDeps, 'table' | 'samples'>): Promise<NodesResponse> {
  const nodes = describeNodes(table);
  const known = new Set(nodes.map((node) => node.id ?? ''));
  const gone = (await samples.seenNodes()).filter((node) => !known.has(node.id)).sort((a, b) => b.seenAtMs - a.seenAtMs);
  const history = await samples.loadHistory([...known, ...gone.map((node) => node.id)]);
  return {
    nodes: [
      ...nodes.map((node) => {
        const record = table.get(node.id ?? '');
        return toNodeView(node, { datasetCacheHits: record?.datasetCacheHits ?? 0, datasetCacheMisses: record?.datasetCacheMisses ?? 0 }, history.get(node.id ?? '') ?? []);
      }),
      ...gone.map((node) => goneNode(node, history.get(node.id) ?? [])),
    ],
  };
}

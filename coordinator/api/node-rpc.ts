import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { NodeInfo } from '../../shared/generated/quantgrid/v1/NodeInfo.js';
import type { Logger } from '../../shared/logging.js';
import type { NodeRecord, NodeTable } from '../nodes/node-table.js';
import type { ScoreParts } from '../nodes/node-scorer.js';
import { unary } from './rpc-handlers.js';

/** A node as ListNodes (and the dashboard) shows it. */
export function describeNode(table: NodeTable, node: NodeRecord): NodeInfo & { score: ScoreParts } {
  const score = table.score(node);
  const state = table.stateOf(node);
  return {
    id: node.id,
    address: node.address,
    state,
    slots: node.slots,
    busySlots: node.busySlots,
    cores: node.cores,
    cpuSpeedGhz: node.cpuSpeedGhz,
    memoryTotalBytes: node.memoryTotalBytes,
    memoryAvailableBytes: node.memoryAvailableBytes,
    cpuLoad: node.cpuLoad,
    rttMs: Number.isNaN(node.rttMs) ? -1 : node.rttMs,
    capabilities: [...node.capabilities],
    specialties: [...node.specialties],
    version: node.version,
    score: { total: score.total, cpu: score.cpu, memory: score.memory, network: score.network, loadFactor: score.loadFactor },
    quarantinedUntilMs: node.quarantinedUntil,
    stateReason: state === 'unverified' ? node.unverifiedReason : '',
  };
}

/** The nodes this coordinator knows, best score first. */
export function describeNodes(table: NodeTable): Array<NodeInfo & { score: ScoreParts }> {
  return table.all().map((node) => describeNode(table, node)).sort((a, b) => b.score.total - a.score.total);
}

export function createNodeHandlers(table: NodeTable, log: Logger): Pick<CoordinatorHandlers, 'ListNodes'> {
  return {
    ListNodes: unary({ rpc: 'ListNodes', log }, async () => ({ nodes: describeNodes(table) })),
  };
}

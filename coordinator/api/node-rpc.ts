import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { NodeInfo } from '../../shared/generated/quantgrid/v1/NodeInfo.js';
import type { Logger } from '../../shared/logging.js';
import type { NodeTable } from '../nodes/node-table.js';
import { unary } from './rpc-handlers.js';

/** The nodes this coordinator knows, best score first. */
export function createNodeHandlers(table: NodeTable, log: Logger): Pick<CoordinatorHandlers, 'ListNodes'> {
  return {
    ListNodes: unary({ rpc: 'ListNodes', log }, async () => {
      const nodes: NodeInfo[] = table.all().map((node) => {
        const score = table.score(node);
        return {
          id: node.id,
          address: node.address,
          state: table.stateOf(node),
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
          stateReason: table.stateOf(node) === 'unverified' ? node.unverifiedReason : '',
        };
      });
      nodes.sort((a, b) => Number(b.score?.total ?? 0) - Number(a.score?.total ?? 0));
      return { nodes };
    }),
  };
}

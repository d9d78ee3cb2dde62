import type { NodeInfo__Output } from '../../shared/generated/quantgrid/v1/NodeInfo.js';
import { formatBytes, formatDuration, formatNumber, formatPercent, NONE } from './format.js';
import { renderTable, type Align } from './table.js';

function stateText(node: NodeInfo__Output, nowMs: number): string {
  if (node.state === 'quarantined' && node.quarantinedUntilMs > nowMs) {
    return `quarantined (${formatDuration(node.quarantinedUntilMs - nowMs)} left)`;
  }
  return node.state || NONE;
}

/** The `quantgrid nodes` table: capacity, measurements, the score with its parts, and the node's specialties (kinds whose jobs score it × the coordinator's --specialty-bonus). */
export function renderNodesTable(nodes: readonly NodeInfo__Output[], nowMs: number): string {
  if (nodes.length === 0) return 'no nodes registered with the coordinator';
  const head = [
    'id',
    'address',
    'state',
    'slots busy/total',
    'cores',
    'CPU GHz',
    'memory avail/total',
    'CPU load',
    'RTT ms',
    'score',
    'cpu',
    'memory',
    'network',
    'load factor',
    'specialties',
    'version',
  ];
  const align: Align[] = head.map((_, i) => (i <= 2 || i >= head.length - 2 ? 'left' : 'right'));
  const rows = nodes.map((node) => {
    const score = node.score;
    return [
      node.id,
      node.address || NONE,
      stateText(node, nowMs),
      `${node.busySlots}/${node.slots}`,
      String(node.cores),
      node.cpuSpeedGhz > 0 ? formatNumber(node.cpuSpeedGhz, 2) : 'unknown',
      `${formatBytes(node.memoryAvailableBytes)} / ${formatBytes(node.memoryTotalBytes)}`,
      formatPercent(node.cpuLoad, 0),
      node.rttMs >= 0 ? formatNumber(node.rttMs, 1) : 'unmeasured',
      formatNumber(score?.total, 3),
      formatNumber(score?.cpu, 2),
      formatNumber(score?.memory, 2),
      formatNumber(score?.network, 2),
      formatNumber(score?.loadFactor, 2),
      node.specialties.length > 0 ? node.specialties.join(',') : NONE,
      node.version || NONE,
    ];
  });
  // Why a node gets no work, below the table (a reason can be long).
  const reasons = nodes.filter((node) => node.stateReason).map((node) => `${node.id} is ${node.state}: ${node.stateReason}`);
  return [renderTable(head, rows, align), ...reasons].join('\n');
}

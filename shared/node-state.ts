/**
 * A node's state as the coordinator sees it (coordinator/nodes/node-table.ts decides it), one name
 * per state on every surface: ListNodes, the metrics' labels, the dashboard.
 */
export type NodeState = 'ready' | 'unreachable' | 'quarantined' | 'draining' | 'incompatible' | 'unverified' | 'gone';

/** Every state, in the order pages list them (usable first). */
export const NODE_STATES: readonly NodeState[] = ['ready', 'draining', 'quarantined', 'unverified', 'incompatible', 'unreachable', 'gone'];

import { pino } from 'pino';
import { AgentService, type AgentServiceOptions } from '../../node-agent/agent-service.js';
import { startAgentServer, type StartedAgentServer } from '../../node-agent/agent-server.js';
import { WorkerPool } from '../../node-agent/worker-pool.js';
import type { LoadSample } from '../../node-agent/load-monitor.js';
import { createNodeAgentClient, type NodeAgentClient } from '../../shared/grpc/clients.js';
import { QUANTGRID_VERSION } from '../../shared/version.js';

/** An agent's own service behind its own server, on a one-thread pool, and a client of it (no cluster). */
export interface TestAgent {
  pool: WorkerPool;
  service: AgentService;
  server: StartedAgentServer;
  client: NodeAgentClient;
  close(): Promise<void>;
}

/** A 2-core machine with nothing else running; `load` overrides parts of each sample. */
export async function startTestAgent(
  options: Partial<Omit<AgentServiceOptions, 'pool' | 'load'>> & { load?: Partial<LoadSample> } = {},
): Promise<TestAgent> {
  const pool = new WorkerPool({ size: 1 });
  await pool.start();
  const { load, ...rest } = options;
  const service = new AgentService({
    nodeId: () => 'unit-node',
    version: QUANTGRID_VERSION,
    profile: { cores: 2, cpuSpeedGhz: 2.5, memoryTotalBytes: 8e9, netSpeedMbps: 1000, netInterface: 'eth0' },
    load: { current: () => ({ cpuLoad: 0, memoryAvailableBytes: 4e9, netRxBytesPerS: 0, netTxBytesPerS: 0, ...load, busySlots: pool.busySlots, sampledAt: Date.now() }) },
    pool,
    capabilities: ['noop'],
    heartbeatMs: 500,
    logger: pino({ level: 'silent' }),
    ...rest,
  });
  const server = await startAgentServer({ host: '127.0.0.1', port: 0, tls: {}, handlers: service.handlers });
  const client = createNodeAgentClient(`127.0.0.1:${server.port}`);
  return {
    pool,
    service,
    server,
    client,
    async close() {
      client.close();
      await server.shutdown(500);
      await pool.close();
    },
  };
}

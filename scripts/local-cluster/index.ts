export { freePort, isPortFree, type FreePortOptions } from './free-port.js';
export {
  spawnManaged,
  addShutdownHook,
  liveManagedProcesses,
  killAllManaged,
  type ManagedProcess,
  type SpawnManagedOptions,
  type ExitStatus,
} from './managed-process.js';
export { startConsulDevAgent, type ConsulDevAgent, type ConsulDevAgentOptions } from './consul-dev-agent.js';
export {
  createQuantgridConsulTokens,
  writeTokenFile,
  AGENT_POLICY_NAME,
  AGENT_POLICY_RULES,
  COORDINATOR_POLICY_NAME,
  COORDINATOR_POLICY_RULES,
  type QuantgridConsulTokens,
} from './consul-acl-tokens.js';
export { startRedisServer, redisPing, type RedisServer, type RedisServerOptions } from './redis-server.js';
export { startRedisSentinel, type RedisSentinel, type RedisSentinelOptions } from './redis-sentinel.js';
export {
  startLocalCluster,
  COORDINATOR_READY,
  AGENT_READY,
  DEFAULT_COORDINATOR_ENTRY,
  DEFAULT_AGENT_ENTRY,
  listCoordinatorNodes,
  type WaitForNodesOptions,
  type CoordinatorNodeInfo,
  type LocalCluster,
  type LocalClusterOptions,
  type AgentOptions,
  type ClusterAgent,
  type ClusterCoordinator,
} from './local-cluster.js';
export { consulRegistrations, startClusterSession, stopClusterSession, waitForReadyAgents } from './cluster-session.js';
export { terminalOutput, type TerminalOutput } from './terminal-output.js';
export { lockDataDir } from './data-dir-lock.js';
export { dashboardUrl } from './dashboard-url.js';
export { parseClusterCommandConfig, clusterAgents, CLUSTER_OPTIONS, type ClusterCommandConfig } from './cluster-command-config.js';
export { runClusterCommand } from './cluster-command.js';

/**
 * A local cluster run for a person at a terminal (`npm run demo`, `npm run cluster`): started with
 * its addresses printed, waited on until the coordinator sees every agent ready, and stopped in
 * order (agents drain and deregister, then the coordinator) with a check that Consul keeps no
 * registration, then Redis and Consul.
 */
import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from './local-cluster.js';
import type { TerminalOutput } from './terminal-output.js';

/** Lists the service instances registered in Consul besides Consul itself. */
export async function consulRegistrations(consulAddress: string): Promise<string[]> {
  const response = await fetch(`${consulAddress}/v1/catalog/services`, { signal: AbortSignal.timeout(5000) });
  const services = Object.keys((await response.json()) as Record<string, string[]>).filter((s) => s !== 'consul');
  const instances: string[] = [];
  for (const service of services) {
    const r = await fetch(`${consulAddress}/v1/catalog/service/${encodeURIComponent(service)}`, { signal: AbortSignal.timeout(5000) });
    for (const entry of (await r.json()) as Array<{ ServiceID: string }>) instances.push(`${service}/${entry.ServiceID}`);
  }
  return instances;
}

/** Starts the cluster and prints where each part listens. */
export async function startClusterSession(options: LocalClusterOptions, out: TerminalOutput): Promise<LocalCluster> {
  const cluster = await startLocalCluster(options);
  const metrics = (url: string): string => (url ? out.dim(`   metrics ${url}`) : '');
  out.say(`coordinator  ${cluster.coordinator.address}${metrics(cluster.coordinator.metricsUrl)}`);
  for (const a of cluster.agents) out.say(`${a.nodeId.padEnd(12)} ${a.address}${metrics(a.metricsUrl)}`);
  out.say(`consul       ${cluster.consul.httpAddress}   redis ${cluster.redis.url}`);
  return cluster;
}

/**
 * Waits (up to 30 s; a warning after that) until the coordinator lists every agent ready and
 * measured: a node's first status probe (load, round-trip time) lands within a second or two.
 * Then prints how long the cluster took since startedAt (Date.now() before startClusterSession).
 */
export async function waitForReadyAgents(cluster: LocalCluster, out: TerminalOutput, startedAt: number): Promise<void> {
  try {
    await cluster.waitForNodes({ timeoutMs: 30_000, accept: (node) => node.state === 'ready' && node.rttMs >= 0 });
  } catch (error) {
    out.warn(`the coordinator does not list every agent yet: ${(error as Error).message}`);
  }
  out.say(out.dim(`cluster up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`));
}

/**
 * Agents first (they drain and deregister), then the coordinator; checks that Consul holds no
 * registration any more; then Redis and Consul. Resolves false when registrations were left behind
 * or a part failed to stop.
 */
export async function stopClusterSession(cluster: LocalCluster, out: TerminalOutput): Promise<boolean> {
  out.say(out.dim('\nstopping the cluster: agents, coordinator, Redis, Consul …'));
  let clean = true;
  await Promise.all(cluster.agents.map((a) => cluster.stopAgent(a.nodeId).catch((e: Error) => out.warn(`stopping ${a.nodeId}: ${e.message}`))));
  await cluster.coordinator.process.stop(20_000);
  try {
    const left = await consulRegistrations(cluster.consul.httpAddress);
    if (left.length > 0) {
      clean = false;
      out.warn(`registrations left in Consul after every quantgrid process stopped: ${left.join(', ')}`);
    }
  } catch (error) {
    out.warn(`could not check Consul for leftover registrations: ${(error as Error).message}`);
  }
  try {
    await cluster.stop();
  } catch (error) {
    clean = false;
    out.warn(`stopping the cluster: ${(error as Error).message}`);
  }
  return clean;
}

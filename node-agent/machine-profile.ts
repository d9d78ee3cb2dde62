import os from 'node:os';
import si from 'systeminformation';
import type { Logger } from '../shared/logging.js';
import { errorMessage } from '../shared/errors.js';

/** What this machine is, read once at start. */
export interface MachineProfile {
  /** Logical cores. */
  cores: number;
  /** Nominal CPU speed in GHz; 0 when the machine does not report it (e.g. some VMs). */
  cpuSpeedGhz: number;
  memoryTotalBytes: number;
  /** Speed of the default network interface in Mbit/s; DEFAULT_NET_SPEED_MBPS when unknown. */
  netSpeedMbps: number;
  /** Name of the default network interface, when known (the load monitor measures it). */
  netInterface: string | undefined;
}

/** Assumed link speed when the interface does not report one (loopback, virtual NICs, containers). */
export const DEFAULT_NET_SPEED_MBPS = 1000;

async function attempt<T>(what: string, read: () => Promise<T>, logger?: Logger): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    logger?.warn({ err: errorMessage(error) }, `machine profile: cannot read ${what}`);
    return undefined;
  }
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Reads the profile with systeminformation, falling back to node:os for anything it cannot tell. */
export async function readMachineProfile(logger?: Logger): Promise<MachineProfile> {
  const [cpu, mem, defaultInterface, interfaces] = await Promise.all([
    attempt('the CPU', () => si.cpu(), logger),
    attempt('the memory', () => si.mem(), logger),
    attempt('the default network interface', () => si.networkInterfaceDefault(), logger),
    attempt('the network interfaces', () => si.networkInterfaces(), logger),
  ]);

  const osCpus = os.cpus();
  const cores = positive(cpu?.cores) ?? Math.max(1, os.availableParallelism());
  const osMhz = positive(osCpus[0]?.speed);
  const cpuSpeedGhz = positive(cpu?.speed) ?? positive(cpu?.speedMax) ?? (osMhz !== undefined ? osMhz / 1000 : 0);
  const memoryTotalBytes = positive(mem?.total) ?? os.totalmem();

  const netInterface = typeof defaultInterface === 'string' && defaultInterface !== '' ? defaultInterface : undefined;
  const list = Array.isArray(interfaces) ? interfaces : [];
  const entry = list.find((candidate) => candidate.iface === netInterface);
  const netSpeedMbps = entry && !entry.internal ? (positive(entry.speed) ?? DEFAULT_NET_SPEED_MBPS) : DEFAULT_NET_SPEED_MBPS;

  return { cores, cpuSpeedGhz: Math.round(cpuSpeedGhz * 100) / 100, memoryTotalBytes, netSpeedMbps, netInterface };
}

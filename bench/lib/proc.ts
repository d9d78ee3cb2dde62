/**
 * Reads a process's CPU time and memory from Linux /proc. The CPU time of /proc/<pid>/stat is the
 * whole process (all its threads: worker threads, GC, libuv), in clock ticks.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** Clock ticks per second (getconf CLK_TCK; 100 on every Linux this runs on). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface ProcCpu {
  /** User + system CPU time of the process so far, ms (resolution: one clock tick, 10 ms). */
  cpuMs: number;
  userMs: number;
  systemMs: number;
}

/** CPU time of pid so far; undefined when the process is gone. */
export function readProcCpu(pid: number): ProcCpu | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const ticks = clockTicksPerSecond();
  const userMs = (Number(fields[11]) * 1000) / ticks;
  const systemMs = (Number(fields[12]) * 1000) / ticks;
  return { cpuMs: userMs + systemMs, userMs, systemMs };
}

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rssBytes: number;
  /** Peak resident set size since the process started (VmHWM), bytes. */
  peakRssBytes: number;
}

/** Memory of pid now; undefined when the process is gone. */
export function readProcMemory(pid: number): ProcMemory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  };
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

export interface SystemCpu {
  /** Busy jiffies of all cores (everything but idle and iowait), converted to ms. */
  busyMs: number;
  totalMs: number;
}

/** Machine-wide CPU counters from /proc/stat (to tell how saturated the 2 cores were). */
export function readSystemCpu(): SystemCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice (guest is already in user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values;
  const ticks = clockTicksPerSecond();
  const busy = user + nice + system + irq + softirq + steal;
  const total = busy + idle + iowait;
  return { busyMs: (busy * 1000) / ticks, totalMs: (total * 1000) / ticks };
}

/** CPU of several named processes, read together. */
export type CpuSnapshot = Record<string, number>;

export function snapshotCpu(pids: Record<string, number>): CpuSnapshot {
  const out: CpuSnapshot = {};
  for (const [name, pid] of Object.entries(pids)) out[name] = readProcCpu(pid)?.cpuMs ?? Number.NaN;
  return out;
}

/** after − before per name. */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  const out: CpuSnapshot = {};
  for (const name of Object.keys(after)) out[name] = after[name] - (before[name] ?? Number.NaN);
  return out;
}

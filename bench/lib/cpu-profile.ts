/**
 * Reads V8 .cpuprofile files (written by node --cpu-prof) and prints the top frames by self time,
 * and by self time summed per file (package) — to see where a process spends its CPU.
 *
 *   node dist/bench/lib/cpu-profile.js [--top N] [--callers NAME] [--window FROM-TO]... [--windows FILE] file.cpuprofile...
 *
 * --callers NAME also prints the call paths (up to 6 frames) that lead to frames named NAME,
 * by self time.
 *
 * --window FROM-TO (wall clock, epoch ms; repeatable) counts only the samples taken inside one of
 * the windows: a benchmark's measured part without the process's start-up (module loading,
 * connecting) or shutdown. --windows FILE reads windows from a file, one FROM-TO a line (the
 * dispatch benchmark writes its runs' windows to <profile dir>/dispatch-windows.txt). Only for
 * profiles written by lib/cpu-prof-preload.ts, which records how their clock maps to wall time.
 *
 * Set QUANTGRID_BENCH_CPU_PROF=<dir> when running a benchmark to get profiles of the coordinator
 * and the agents in <dir> (written when they stop).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { markdownTable } from './stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
  /** Written by cpu-prof-preload.ts: wall time and V8's monotonic clock (µs) read together. */
  quantgridClock?: { epochMs: number; monotonicUs: number };
}

/** A wall-clock window, epoch ms, start included, end excluded. */
export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

/** "FROM-TO" (epoch ms) → a window. */
export function parseWindow(text: string): TimeWindow {
  const match = /^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!match) throw new Error(`not a window (FROM-TO, epoch ms): "${text}"`);
  const window = { fromMs: Number(match[1]), toMs: Number(match[2]) };
  if (window.toMs <= window.fromMs) throw new Error(`empty window: "${text}"`);
  return window;
}

/**
 * Self time (µs) per profile node, counting only samples taken inside one of `windows` (all samples
 * when none are given). A sample's time is the profile's start plus the deltas up to it.
 */
export function selfTimes(profile: CpuProfile, windows: readonly TimeWindow[] = []): Map<number, number> {
  const selfUs = new Map<number, number>();
  let inside: (monotonicUs: number) => boolean = () => true;
  if (windows.length > 0) {
    const clock = profile.quantgridClock;
    if (!clock) throw new Error('this profile has no clock mapping (not written by cpu-prof-preload.ts): --window cannot be applied');
    const toEpochMs = (us: number) => clock.epochMs + (us - clock.monotonicUs) / 1000;
    inside = (us) => {
      const at = toEpochMs(us);
      return windows.some((w) => at >= w.fromMs && at < w.toMs);
    };
  }
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (!inside(at)) continue;
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  return selfUs;
}

export interface FrameCost {
  frame: string;
  where: string;
  selfMs: number;
  share: number;
}

function shortUrl(url: string): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  const dist = path.indexOf('/dist/');
  if (dist >= 0) return path.slice(dist + '/dist/'.length);
  return path;
}

/** Package (node_modules/<pkg>), project folder (dist/<dir>), node internals, or (program)/(gc)/(idle). */
function bucketOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const short = shortUrl(url);
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  return short.split('/').slice(0, -1).join('/') || short;
}

export function analyse(profile: CpuProfile, top = 25, windows: readonly TimeWindow[] = []): { totalMs: number; idleMs: number; frames: FrameCost[]; buckets: FrameCost[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = selfTimes(profile, windows);
  const frames = new Map<string, { where: string; us: number }>();
  const buckets = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    totalUs += us;
    const name = functionName || '(anonymous)';
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const entry = frames.get(key) ?? { where, us: 0 };
    entry.us += us;
    frames.set(key, entry);
    const bucket = bucketOf(node);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
  }
  const toCost = (frame: string, where: string, us: number): FrameCost => ({ frame, where, selfMs: us / 1000, share: totalUs ? us / totalUs : 0 });
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    frames: [...frames.entries()]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([key, v]) => toCost(key.slice(0, key.length - v.where.length).trim(), v.where, v.us)),
    buckets: [...buckets.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => toCost(name, '', us)),
  };
}

/** Call paths (innermost first, up to `depth` frames) leading to frames named `name`, by self time. */
export function callersOf(profile: CpuProfile, name: string, depth = 6, top = 10, windows: readonly TimeWindow[] = []): Array<{ path: string; selfMs: number }> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = selfTimes(profile, windows);
  const paths = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)?.callFrame.functionName !== name) continue;
    const frames: string[] = [];
    let cursor: number | undefined = id;
    while (cursor !== undefined && frames.length < depth) {
      const frame = byId.get(cursor)!.callFrame;
      if (frame.functionName === '(root)') break;
      frames.push(`${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`);
      cursor = parent.get(cursor);
    }
    const key = frames.join(' ← ');
    paths.set(key, (paths.get(key) ?? 0) + us);
  }
  return [...paths.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([path, us]) => ({ path, selfMs: us / 1000 }));
}

function main(): void {
  const args = process.argv.slice(2);
  let top = 25;
  const callers: string[] = [];
  const files: string[] = [];
  const windows: TimeWindow[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]) || top;
    else if (args[i] === '--callers') callers.push(args[++i]);
    else if (args[i] === '--window') windows.push(parseWindow(args[++i] ?? ''));
    else if (args[i] === '--windows') {
      for (const line of readFileSync(args[++i], 'utf8').split('\n')) if (line.trim() !== '') windows.push(parseWindow(line));
    } else files.push(args[i]);
  }
  if (files.length === 0) {
    process.stderr.write('usage: node dist/bench/lib/cpu-profile.js [--top N] [--callers NAME] [--window FROM-TO]... [--windows FILE] file.cpuprofile...\n');
    process.exit(2);
  }
  const windowMs = windows.reduce((sum, w) => sum + (w.toMs - w.fromMs), 0);
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const result = analyse(profile, top, windows);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const within = windows.length > 0 ? ` within ${windows.length} window${windows.length === 1 ? '' : 's'} of ${(windowMs / 1000).toFixed(1)} s in all` : '';
    process.stdout.write(`\n### ${basename(file)}: ${result.totalMs.toFixed(0)} ms on CPU (${result.idleMs.toFixed(0)} ms idle)${within}\n\n`);
    process.stdout.write(markdownTable(['self', 'share', 'frame', 'where'], result.frames.map((f) => [`${f.selfMs.toFixed(0)} ms`, pct(f.share), f.frame, f.where])) + '\n\n');
    process.stdout.write(markdownTable(['self', 'share', 'package / folder'], result.buckets.map((b) => [`${b.selfMs.toFixed(0)} ms`, pct(b.share), b.frame])) + '\n');
    for (const name of callers) {
      process.stdout.write(`\ncall paths to ${name}:\n`);
      for (const p of callersOf(profile, name, 6, 10, windows)) process.stdout.write(`  ${p.selfMs.toFixed(0)} ms  ${p.path}\n`);
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();

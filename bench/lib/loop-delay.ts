/**
 * Reads what loop-delay-preload.ts wrote: per process, the worst event-loop delay within a window of
 * wall time, so a bench can say which process stalled during a burst (and for how long).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LoopDelay {
  /** The file's name without .jsonl: <role>-<pid>. */
  process: string;
  /** The longest delay seen in the window, ms. */
  maxMs: number;
  /** The median over the window's seconds of each second's p99, ms. */
  p99MedianMs: number;
}

interface Line {
  at: number;
  maxMs: number;
  p99Ms: number;
}

/** Each process's worst delay over [fromMs, toMs] (epoch ms; a line written up to 1 s plus its stall after toMs counts, being about the window). */
export function loopDelaysIn(dir: string, fromMs: number, toMs: number): LoopDelay[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => {
      const lines = readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Line)
        // A line covers the second before it was written, plus however long the loop stalled.
        .filter((l) => l.at >= fromMs && l.at - 1000 - l.maxMs <= toMs);
      const p99s = lines.map((l) => l.p99Ms).sort((a, b) => a - b);
      return {
        process: f.slice(0, -'.jsonl'.length),
        maxMs: lines.reduce((m, l) => Math.max(m, l.maxMs), 0),
        p99MedianMs: p99s.length ? p99s[Math.floor(p99s.length / 2)] : Number.NaN,
      };
    });
}

/**
 * Preloaded (node --import) into the coordinator and the agents when QUANTGRID_BENCH_CPU_PROF is
 * set (see cluster.ts): Node 20 refuses --cpu-prof in NODE_OPTIONS, so this runs the same V8
 * sampling profiler through node:inspector and writes <role>-<pid>.cpuprofile into
 * $QUANTGRID_BENCH_CPU_PROF_DIR when the process exits normally (a SIGKILLed agent writes none).
 *
 * Worker threads too (an agent's partition workers, where the backtest kernel runs): Node 20 runs
 * an --import preload in every worker thread created from a file, and an in-thread inspector
 * session profiles that thread's own isolate, written as <role>-<pid>-worker-<threadId>.cpuprofile.
 * A worker that ends by itself writes on its 'exit'; one ended by worker.terminate() (the agent's
 * pool at shutdown, or after a cancel) runs no more JavaScript, so the main thread's terminate()
 * first asks it, over a BroadcastChannel, to write its profile, and waits for the answer (at most
 * STOP_WAIT_MS: a worker still busy in a partition answers only when it is done, and is then
 * terminated without a profile). (Node 20 has no Worker.startCpuProfile, and --cpu-prof on a
 * worker's execArgv writes nothing when the worker is terminated.)
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { BroadcastChannel, isMainThread, threadId, Worker } from 'node:worker_threads';

const dir = process.env.QUANTGRID_BENCH_CPU_PROF_DIR;
/** The main thread's role, handed to its worker threads (whose argv lacks the agent's options) through their copy of the environment. */
const ROLE_ENV = 'QUANTGRID_BENCH_CPU_PROF_ROLE';
const CHANNEL = 'quantgrid-bench-cpu-prof';
const STOP_WAIT_MS = 2_000;

type ChannelMessage = { stop: number } | { written: number };

function role(): string {
  const args = process.argv;
  const nodeId = args.indexOf('--node-id');
  if (nodeId >= 0 && args[nodeId + 1]) return args[nodeId + 1];
  if (args.some((a) => a.endsWith('coordinator/main.js'))) return 'coordinator';
  return 'node';
}

/** Starts this thread's profiler; the returned function stops it and writes the profile (once). */
function startProfiler(file: string): () => void {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  let written = false;
  // The in-thread inspector session answers synchronously, so this works inside 'exit'.
  return () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) {
        process.stderr.write(`cpu-prof-preload: ${error?.message ?? 'no profile'}\n`);
        return;
      }
      // The profile's timestamps are V8's monotonic clock (µs, CLOCK_MONOTONIC like process.hrtime):
      // a pair of readings of both clocks lets cpu-profile.ts --window pick samples by wall time.
      const clock = { epochMs: Date.now(), monotonicUs: Number(process.hrtime.bigint() / 1000n) };
      writeFileSync(join(dir!, file), JSON.stringify({ ...result.profile, quantgridClock: clock }));
    });
  };
}

if (dir && isMainThread) {
  const name = role();
  process.env[ROLE_ENV] = name;
  process.on('exit', startProfiler(`${name}-${process.pid}.cpuprofile`));

  // terminate() asks the worker to write its profile first.
  const channel = new BroadcastChannel(CHANNEL);
  channel.unref();
  const waiting = new Map<number, () => void>();
  channel.onmessage = (event) => {
    const message = (event as { data: ChannelMessage }).data;
    if ('written' in message) waiting.get(message.written)?.();
  };
  const terminate = Worker.prototype.terminate;
  Worker.prototype.terminate = async function (this: Worker): Promise<number> {
    const id = this.threadId;
    if (id >= 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STOP_WAIT_MS);
        waiting.set(id, () => {
          clearTimeout(timer);
          resolve();
        });
        channel.postMessage({ stop: id } satisfies ChannelMessage);
      });
      waiting.delete(id);
    }
    return terminate.call(this);
  };
} else if (dir) {
  const stop = startProfiler(`${process.env[ROLE_ENV] ?? 'node'}-${process.pid}-worker-${threadId}.cpuprofile`);
  process.on('exit', stop);
  const channel = new BroadcastChannel(CHANNEL);
  channel.unref(); // never what keeps a worker alive
  channel.onmessage = (event) => {
    const message = (event as { data: ChannelMessage }).data;
    if ('stop' in message && message.stop === threadId) {
      stop();
      channel.postMessage({ written: threadId } satisfies ChannelMessage);
    }
  };
}

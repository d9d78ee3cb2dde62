/**
 * Preloaded (node --import) into the coordinator and the agents when QUANTGRID_BENCH_CPU_PROF is
 * set (see cluster.ts): Node 20 refuses --cpu-prof in NODE_OPTIONS, so this runs the same V8
 * sampling profiler through node:inspector and writes <role>-<pid>.cpuprofile into
 * $QUANTGRID_BENCH_CPU_PROF_DIR when the process exits normally (a SIGKILLed agent writes none).
 * Main thread only: worker threads of an agent are not profiled.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.QUANTGRID_BENCH_CPU_PROF_DIR;

function role(): string {
  const args = process.argv;
  const nodeId = args.indexOf('--node-id');
  if (nodeId >= 0 && args[nodeId + 1]) return args[nodeId + 1];
  if (args.some((a) => a.endsWith('coordinator/main.js'))) return 'coordinator';
  return 'node';
}

if (dir && isMainThread) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // The in-process inspector session answers synchronously, so this works inside 'exit'.
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) {
        process.stderr.write(`cpu-prof-preload: ${error?.message ?? 'no profile'}\n`);
        return;
      }
      writeFileSync(join(dir, `${role()}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI's entry before bundling (dist/cli/main.js): what it imports is the source's structure. */
export const CLI_MAIN = fileURLToPath(new URL('../../../cli/main.js', import.meta.url));
/** The CLI as users run it: the bundle, node dist/bin/quantgrid.js … (scripts/build-cli.ts). */
export const CLI_BUNDLE = fileURLToPath(new URL('../../../bin/quantgrid.js', import.meta.url));
/** The repository root (dist/../). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Kill the CLI after this long (the test then fails on its exit code). */
  killAfterMs?: number;
  /** Called with the child once it runs (e.g. to send it SIGINT). */
  onSpawn?: (child: ChildProcess, output: { stdout: () => string; stderr: () => string }) => void;
}

/**
 * Runs the CLI in a child process without blocking this one (tests may serve a fake coordinator from
 * here). QUANTGRID_* variables of the caller's environment are dropped so they cannot leak in.
 */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('QUANTGRID_')) env[key] = value;
  Object.assign(env, options.env);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000);
    child.on('error', (error) => {
      clearTimeout(killer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, elapsedMs: performance.now() - started });
    });
    options.onSpawn?.(child, { stdout: () => stdout, stderr: () => stderr });
  });
}

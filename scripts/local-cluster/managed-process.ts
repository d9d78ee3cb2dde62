/**
 * Child processes that never outlive the process that started them.
 *
 * Every child is started in its own process group (so a kill reaches whatever it starts in turn)
 * and recorded in a process-wide registry:
 *  - on SIGINT / SIGTERM / SIGHUP the registry runs the shutdown hooks (see addShutdownHook), then
 *    stops every child still running (SIGTERM, SIGKILL after a grace period) and exits 128+signal
 *    (a signal within DUPLICATE_SIGNAL_MS of the first is the same one delivered twice, and ignored);
 *  - on process exit (normal end, process.exit, uncaught exception) it SIGKILLs every child's group;
 *  - a tiny detached "reaper" process holds a pipe to this process; when that pipe closes because
 *    this process died in a way no handler sees (SIGKILL, OOM), it SIGKILLs the groups left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { constants as osConstants } from 'node:os';
import type { Readable } from 'node:stream';
import { DUPLICATE_SIGNAL_MS } from '../../shared/duplicate-signal.js';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnManagedOptions {
  /** Variables merged over process.env (a variable set to undefined is removed). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr lines are appended to this file (its folder is created). */
  logFile?: string;
  /** Start the child in its own process group (default true). */
  processGroup?: boolean;
}

export interface ManagedProcess {
  readonly name: string;
  /** The child's pid; -1 when the command could not be started at all. */
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string | undefined;
  /** True until the child has exited. */
  readonly running: boolean;
  /** The exit status once the child has exited, else null. */
  readonly exitStatus: ExitStatus | null;
  /** Resolves (never rejects) once the child has exited and its output has been read. */
  readonly exited: Promise<ExitStatus>;
  /**
   * Resolves with the first stdout line (including lines printed before the call) matching regex.
   * Rejects, with the last stderr lines in the message, if the child exits first or on timeout.
   */
  waitForLine(regex: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM to the child, SIGKILL to its whole group after timeoutMs; resolves with the exit status. */
  stop(timeoutMs?: number): Promise<ExitStatus>;
  /** Sends signal (default SIGKILL) to the child's whole process group (or just the child without one). */
  kill(signal?: NodeJS.Signals): void;
  /** The last lines the child printed (stdout and stderr, tagged), newest last. */
  outputTail(lines?: number): string;
  /** The last lines the child printed on stderr, newest last. */
  stderrTail(lines?: number): string;
}

const STDOUT_HISTORY = 1000;
const TAIL_LINES = 200;
const CLOSE_GRACE_MS = 1000;
/** Grace period after SIGTERM for the processes still running when this process gets a signal. */
const SIGNAL_STOP_MS = Number(process.env.QUANTGRID_SIGNAL_STOP_MS) > 0 ? Number(process.env.QUANTGRID_SIGNAL_STOP_MS) : 5000;
const HOOK_TIMEOUT_MS = 60_000;

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

function describeStatus(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${status.code}`;
}

function trySignal(target: number, signal: NodeJS.Signals | 0): boolean {
  // Never signal pid 0 / -0 (our own group), 1 / -1 (init / every process we may signal).
  if (!Number.isInteger(target) || Math.abs(target) <= 1) return false;
  try {
    process.kill(target, signal);
    return true;
  } catch {
    return false;
  }
}

interface LineWaiter {
  regex: RegExp;
  resolve: (match: RegExpMatchArray) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

class ManagedProcessImpl implements ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string | undefined;
  readonly exited: Promise<ExitStatus>;
  readonly processGroup: boolean;

  private readonly child: ChildProcess;
  private status: ExitStatus | null = null;
  private spawnError: Error | null = null;
  private readonly stdoutLines: string[] = [];
  private readonly tail: string[] = [];
  private readonly errTail: string[] = [];
  private waiters = new Set<LineWaiter>();
  private readonly partial: Record<'out' | 'err', string> = { out: '', err: '' };
  private log: WriteStream | undefined;
  private stopping: Promise<ExitStatus> | undefined;
  private resolveExited!: (status: ExitStatus) => void;

  constructor(name: string, command: string, args: readonly string[], options: SpawnManagedOptions) {
    this.name = name;
    this.command = command;
    this.args = [...args];
    this.logFile = options.logFile;
    this.processGroup = options.processGroup ?? true;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));

    if (options.logFile) {
      mkdirSync(dirname(options.logFile), { recursive: true });
      this.log = createWriteStream(options.logFile, { flags: 'a' });
      this.log.on('error', () => (this.log = undefined));
      this.log.write(`# ${new Date().toISOString()} ${name}: ${[command, ...args].join(' ')}\n`);
    }

    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    // A child of a `node --test` file must not think it is part of the test run.
    delete env.NODE_TEST_CONTEXT;

    this.child = spawn(command, [...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.processGroup,
    });
    this.pid = this.child.pid ?? -1;

    this.readLines(this.child.stdout!, 'out');
    this.readLines(this.child.stderr!, 'err');

    let closed = false;
    let onClosed: () => void = () => undefined;
    const closedPromise = new Promise<void>((resolve) => (onClosed = resolve));
    this.child.once('close', () => {
      closed = true;
      onClosed();
    });

    const finish = (status: ExitStatus): void => {
      if (this.status) return;
      this.status = status;
      registry.forget(this);
      // Sweep anything the child left behind in its group.
      if (this.processGroup && this.pid > 1) trySignal(-this.pid, 'SIGKILL');
      const wait = closed ? Promise.resolve() : Promise.race([closedPromise, delay(CLOSE_GRACE_MS)]);
      void wait.then(() => {
        this.flushPartials();
        this.rejectWaiters();
        this.log?.write(`# ${new Date().toISOString()} ${name} exited with ${describeStatus(status)}\n`);
        this.log?.end();
        this.resolveExited(status);
      });
    };

    this.child.once('exit', (code, signal) => finish({ code, signal }));
    this.child.once('error', (error) => {
      // 'error' without a pid means the command could not be started; with a pid it is a failed kill, ignored.
      if (this.pid > 0) return;
      this.spawnError = error;
      this.pushLine('err', `failed to start ${command}: ${error.message}`);
      finish({ code: null, signal: null });
    });

    if (this.pid > 0) registry.remember(this);
  }

  get running(): boolean {
    return this.status === null;
  }

  get exitStatus(): ExitStatus | null {
    return this.status;
  }

  private readLines(stream: Readable, which: 'out' | 'err'): void {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const text = this.partial[which] + chunk;
      const parts = text.split('\n');
      this.partial[which] = parts.pop() ?? '';
      for (const line of parts) this.pushLine(which, line.endsWith('\r') ? line.slice(0, -1) : line);
    });
    stream.on('end', () => {
      if (this.partial[which]) {
        this.pushLine(which, this.partial[which]);
        this.partial[which] = '';
      }
    });
    stream.on('error', () => undefined);
  }

  private flushPartials(): void {
    for (const which of ['out', 'err'] as const) {
      if (this.partial[which]) {
        this.pushLine(which, this.partial[which]);
        this.partial[which] = '';
      }
    }
  }

  private pushLine(which: 'out' | 'err', line: string): void {
    this.log?.write(which === 'err' ? `${line}\n` : `[stdout] ${line}\n`);
    pushBounded(this.tail, `[${which}] ${line}`, TAIL_LINES);
    if (which === 'err') {
      pushBounded(this.errTail, line, TAIL_LINES);
      return;
    }
    pushBounded(this.stdoutLines, line, STDOUT_HISTORY);
    for (const waiter of this.waiters) {
      const match = line.match(waiter.regex);
      if (match) {
        this.waiters.delete(waiter);
        clearTimeout(waiter.timer);
        waiter.resolve(match);
      }
    }
  }

  private describeTail(): string {
    const stderr = this.stderrTail(30);
    const body = stderr || this.outputTail(30);
    const where = this.logFile ? ` (full log: ${this.logFile})` : '';
    return body ? `last ${stderr ? 'stderr' : 'output'} lines${where}:\n${body}` : `it printed nothing${where}`;
  }

  private rejectWaiters(): void {
    if (this.waiters.size === 0) return;
    const status = this.status!;
    const why = this.spawnError
      ? `could not be started (${this.spawnError.message})`
      : `exited with ${describeStatus(status)}`;
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(
        new Error(`${this.name} ${why} before printing a line matching ${waiter.regex}; ${this.describeTail()}`),
      );
    }
    this.waiters.clear();
  }

  waitForLine(regex: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    for (const line of this.stdoutLines) {
      const match = line.match(regex);
      if (match) return Promise.resolve(match);
    }
    if (this.status) {
      return Promise.reject(
        new Error(
          `${this.name} already exited with ${describeStatus(this.status)} without printing a line matching ${regex}; ${this.describeTail()}`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: LineWaiter = {
        regex,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new Error(
              `${this.name} (pid ${this.pid}) printed no line matching ${regex} within ${timeoutMs} ms; ${this.describeTail()}`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  stop(timeoutMs = 10_000): Promise<ExitStatus> {
    if (this.status) return Promise.resolve(this.status);
    if (!this.stopping) {
      this.stopping = (async () => {
        // A stopped (SIGSTOP) child cannot act on SIGTERM; let it run again first.
        if (this.processGroup) trySignal(-this.pid, 'SIGCONT');
        else trySignal(this.pid, 'SIGCONT');
        trySignal(this.pid, 'SIGTERM');
        const timer = delay(timeoutMs);
        const result = await Promise.race([this.exited, timer.then(() => null)]);
        if (result) return result;
        this.kill('SIGKILL');
        return this.exited;
      })();
    }
    return this.stopping;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    // Once exited (and its group swept), the pid may belong to someone else: never signal it again.
    if (this.pid <= 1 || this.status) return;
    if (this.processGroup) trySignal(-this.pid, signal);
    // The leader too, in case it moved itself to another group.
    trySignal(this.pid, signal);
  }

  outputTail(lines = 30): string {
    return this.tail.slice(-lines).join('\n');
  }

  stderrTail(lines = 30): string {
    return this.errTail.slice(-lines).join('\n');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Starts a managed child process (see the module comment for what "managed" guarantees). */
export function spawnManaged(
  name: string,
  command: string,
  args: readonly string[] = [],
  options: SpawnManagedOptions = {},
): ManagedProcess {
  return new ManagedProcessImpl(name, command, args, options);
}

// ---------------------------------------------------------------------------------------------
// Process-wide registry

type ShutdownHook = (signal: NodeJS.Signals) => Promise<void> | void;

const REAPER_SOURCE = `
const targets = new Set();
let buffer = '';
let done = false;
const reap = () => {
  if (done) return;
  done = true;
  for (const t of targets) { try { process.kill(t, 'SIGKILL'); } catch {} }
  process.exit(0);
};
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let i;
  while ((i = buffer.indexOf('\\n')) >= 0) {
    const [op, value] = buffer.slice(0, i).split(' ');
    buffer = buffer.slice(i + 1);
    const target = Number(value);
    if (!Number.isInteger(target) || Math.abs(target) <= 1) continue;
    if (op === 'add') targets.add(target);
    else if (op === 'del') targets.delete(target);
  }
});
process.stdin.on('end', reap);
process.stdin.on('close', reap);
process.stdin.on('error', reap);
`;

class Registry {
  private readonly live = new Set<ManagedProcessImpl>();
  private readonly hooks = new Set<ShutdownHook>();
  private reaper: ChildProcess | undefined;
  private reaperFailed = false;
  private signalHandlersInstalled = false;
  private exitHandlerInstalled = false;
  private shuttingDown = false;
  private firstSignalAt = 0;

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    const exitCode = 128 + (osConstants.signals[signal] ?? 15);
    if (this.shuttingDown) {
      // The first signal delivered twice (to the group and to the process) is no request to force.
      if (performance.now() - this.firstSignalAt < DUPLICATE_SIGNAL_MS) return;
      process.stderr.write(`quantgrid: ${signal} again, killing ${this.live.size} managed process(es) now\n`);
      this.killAll('SIGKILL');
      process.exit(exitCode);
    }
    this.shuttingDown = true;
    this.firstSignalAt = performance.now();
    process.stderr.write(`quantgrid: ${signal} received, stopping managed processes (again to force)\n`);
    void (async () => {
      for (const hook of [...this.hooks]) {
        try {
          await Promise.race([Promise.resolve(hook(signal)), delay(HOOK_TIMEOUT_MS)]);
        } catch (error) {
          process.stderr.write(`quantgrid: shutdown hook failed: ${(error as Error).message}\n`);
        }
      }
      await Promise.all([...this.live].map((p) => p.stop(SIGNAL_STOP_MS)));
      process.exit(exitCode);
    })();
  };

  private readonly onExit = (): void => {
    this.killAll('SIGKILL');
  };

  remember(p: ManagedProcessImpl): void {
    this.live.add(p);
    this.tellReaper('add', p);
    this.sync();
  }

  forget(p: ManagedProcessImpl): void {
    if (!this.live.delete(p)) return;
    this.tellReaper('del', p);
    this.sync();
  }

  addHook(hook: ShutdownHook): () => void {
    this.hooks.add(hook);
    this.sync();
    return () => {
      this.hooks.delete(hook);
      this.sync();
    };
  }

  liveProcesses(): ManagedProcess[] {
    return [...this.live];
  }

  killAll(signal: NodeJS.Signals): void {
    for (const p of this.live) p.kill(signal);
  }

  private tellReaper(op: 'add' | 'del', p: ManagedProcessImpl): void {
    if (op === 'add') this.ensureReaper();
    const stdin = this.reaper?.stdin;
    if (!stdin || stdin.destroyed) return;
    stdin.write(`${op} ${p.processGroup ? -p.pid : p.pid}\n`);
  }

  private ensureReaper(): void {
    if (this.reaper || this.reaperFailed) return;
    try {
      const env = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      delete env.NODE_OPTIONS;
      const reaper = spawn(process.execPath, ['-e', REAPER_SOURCE], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
        env,
      });
      reaper.on('error', () => {
        this.reaperFailed = true;
        this.reaper = undefined;
      });
      reaper.stdin!.on('error', () => undefined);
      // Neither the reaper nor its pipe may keep this process alive.
      reaper.unref();
      (reaper.stdin as unknown as { unref?: () => void }).unref?.();
      this.reaper = reaper;
    } catch {
      this.reaperFailed = true;
    }
  }

  private sync(): void {
    if (!this.exitHandlerInstalled && this.live.size > 0) {
      process.on('exit', this.onExit);
      this.exitHandlerInstalled = true;
    }
    const want = this.live.size > 0 || this.hooks.size > 0;
    if (want && !this.signalHandlersInstalled) {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, this.onSignal);
      this.signalHandlersInstalled = true;
    } else if (!want && this.signalHandlersInstalled && !this.shuttingDown) {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, this.onSignal);
      this.signalHandlersInstalled = false;
    }
  }
}

const registry = new Registry();

/**
 * Registers an async clean-up to run when this process gets SIGINT/SIGTERM/SIGHUP, before the
 * registry stops the managed processes still running and exits (128 + signal number). Hooks run
 * one after another, each for at most 60 s. A second signal (later than DUPLICATE_SIGNAL_MS after the
 * first) skips them and SIGKILLs everything.
 * Returns a function that removes the hook.
 */
export function addShutdownHook(hook: ShutdownHook): () => void {
  return registry.addHook(hook);
}

/** The managed processes of this process that are still running. */
export function liveManagedProcesses(): ManagedProcess[] {
  return registry.liveProcesses();
}

/** Sends signal (default SIGKILL) to every managed process still running, and their groups. */
export function killAllManaged(signal: NodeJS.Signals = 'SIGKILL'): void {
  registry.killAll(signal);
}

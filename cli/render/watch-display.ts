import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { JobEvent__Output } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import type { JobProgress__Output } from '../../shared/generated/quantgrid/v1/JobProgress.js';
import { terminalStatusOf } from '../../shared/job-status.js';
import { clockTime, describeEvent, describeProgress, formatNodes, isProgressOnly } from './event-lines.js';
import { formatEta, statusName } from './format.js';

/** What a watch shows while the job runs; the final outcome is printed by the caller. */
export interface WatchDisplay {
  /** Every event of the stream, in order; `snapshot` marks the first event after (re-)attaching. */
  event(event: JobEvent__Output, snapshot: boolean): void;
  /** News about the connection (stream lost, re-attaching). */
  notice(text: string): void;
  /** Ends the live output (the progress bar) before the outcome is printed. */
  stop(): void;
}

/** Lets a progress line through at most once per interval, and only when something moved. */
export class ProgressThrottle {
  private lastShownAt = -Infinity;
  private lastKey = '';

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records that this progress was shown (snapshots are always shown). */
  mark(progress: JobProgress__Output | null): void {
    this.lastShownAt = this.now();
    this.lastKey = ProgressThrottle.key(progress);
  }

  /** True (and marks it) when this progress should be shown now. */
  due(progress: JobProgress__Output | null): boolean {
    const key = ProgressThrottle.key(progress);
    if (key === this.lastKey || this.now() - this.lastShownAt < this.intervalMs) return false;
    this.mark(progress);
    return true;
  }

  private static key(progress: JobProgress__Output | null): string {
    if (!progress) return '';
    return `${progress.partitionsDone}/${progress.partitionsTotal}/${progress.partitionsRunning}/${progress.retries}`;
  }
}

/** Default spacing of progress lines when not on a terminal. */
export const PROGRESS_LINE_INTERVAL_MS = 3000;

/** Plain lines, one per meaningful event, for logs and pipes. */
export class LineWatchDisplay implements WatchDisplay {
  private readonly throttle: ProgressThrottle;

  constructor(
    private readonly writeLine: (line: string) => void,
    intervalMs = PROGRESS_LINE_INTERVAL_MS,
    now: () => number = Date.now,
  ) {
    this.throttle = new ProgressThrottle(intervalMs, now);
  }

  event(event: JobEvent__Output, snapshot: boolean): void {
    const time = clockTime(event.timeMs);
    if (snapshot && isProgressOnly(event)) {
      this.throttle.mark(event.progress);
      this.writeLine(`${time} job ${event.jobId}: ${statusName(event.status)}, ${describeProgress(event.progress)}`);
    } else if (isProgressOnly(event)) {
      if (this.throttle.due(event.progress)) this.writeLine(`${time} ${describeProgress(event.progress)}`);
    } else {
      this.writeLine(`${time} ${describeEvent(event)}`);
    }
  }

  notice(text: string): void {
    this.writeLine(`${clockTime(0)} ${text}`);
  }

  stop(): void {}
}

/**
 * Machine-readable watching (--json): each meaningful event as one line of JSON on stdout (the JobEvent
 * as decoded, without result_json: the final Job line carries the result); notices go to stderr.
 */
export class JsonWatchDisplay implements WatchDisplay {
  private readonly throttle: ProgressThrottle;

  constructor(
    private readonly writeLine: (line: string) => void,
    private readonly writeNotice: (line: string) => void,
    intervalMs = PROGRESS_LINE_INTERVAL_MS,
    now: () => number = Date.now,
  ) {
    this.throttle = new ProgressThrottle(intervalMs, now);
  }

  event(event: JobEvent__Output, snapshot: boolean): void {
    if (isProgressOnly(event)) {
      if (snapshot) this.throttle.mark(event.progress);
      else if (!this.throttle.due(event.progress)) return;
    }
    // The result, and the ended job an ending event carries, are printed once the watch ends (reportFinishedJob).
    const { resultJson: _omitted, job: _job, ...rest } = event;
    this.writeLine(JSON.stringify(rest));
  }

  notice(text: string): void {
    this.writeNotice(text);
  }

  stop(): void {}
}

/** A live progress bar on a terminal, with meaningful events logged above it. */
export class TtyWatchDisplay implements WatchDisplay {
  private readonly multibar: MultiBar;
  private bar: SingleBar | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    jobId: string,
  ) {
    this.multibar = new MultiBar(
      {
        stream,
        format: `${jobId} {bar} {value}/{total} partitions {percentage}% | {running} | retries {retries} | eta {etaText}`,
        hideCursor: true,
        clearOnComplete: false,
        gracefulExit: false,
        barsize: 24,
        fps: 8,
      },
      Presets.shades_classic,
    );
  }

  private log(line: string): void {
    if (this.bar) this.multibar.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  event(event: JobEvent__Output, snapshot: boolean): void {
    const time = clockTime(event.timeMs);
    if (snapshot && isProgressOnly(event)) {
      this.log(`${time} job ${event.jobId}: ${statusName(event.status)}`);
    } else if (!isProgressOnly(event) && !terminalStatusOf(event)) {
      this.log(`${time} ${describeEvent(event)}`);
    }
    this.showProgress(event.progress);
  }

  private showProgress(progress: JobProgress__Output | null): void {
    if (!progress || progress.partitionsTotal <= 0) return;
    const payload = {
      running: progress.partitionsRunning > 0 ? `${progress.partitionsRunning} running on ${formatNodes(progress.runningNodes)}` : 'none running',
      retries: progress.retries,
      etaText: progress.partitionsDone < progress.partitionsTotal ? formatEta(progress.etaSeconds) : '0s',
    };
    if (!this.bar) {
      this.bar = this.multibar.create(progress.partitionsTotal, progress.partitionsDone, payload);
      return;
    }
    if (this.bar.getTotal() !== progress.partitionsTotal) this.bar.setTotal(progress.partitionsTotal);
    this.bar.update(progress.partitionsDone, payload);
  }

  notice(text: string): void {
    this.log(`${clockTime(0)} ${text}`);
  }

  stop(): void {
    if (!this.bar) return;
    this.multibar.update(); // flushes lines logged since the last redraw
    this.multibar.stop();
    this.bar = undefined;
  }
}

import type { JobLogLine__Output } from '../../shared/generated/quantgrid/v1/JobLogLine.js';
import { formatTimestamp } from './format.js';

/**
 * One line of a job's log as `quantgrid logs` prints it:
 *   2026-12-01 23:30:01 WARN  partition 3 agent-a#1  attempt 1 failed on agent-a; retrying …
 * then the detail (a worker's stack trace), each of its lines indented.
 */
export function renderLogLine(line: JobLogLine__Output): string {
  const where = [line.partition >= 0 ? `partition ${line.partition}` : 'job', line.nodeId ? `${line.nodeId}${line.attempt > 0 ? `#${line.attempt}` : ''}` : ''].filter(Boolean).join(' ');
  const head = `${formatTimestamp(line.timeMs)} ${line.level.toUpperCase().padEnd(5)} ${where}  ${line.source === 'partition' ? '[task] ' : ''}${line.message}`;
  if (!line.detail) return head;
  return `${head}\n${line.detail.split('\n').map((text) => `    ${text}`).join('\n')}`;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderLogLine } from '../../../cli/render/log-lines.js';
import type { JobLogLine__Output } from '../../../shared/generated/quantgrid/v1/JobLogLine.js';

const at = new Date(2026, 11, 1, 23, 30, 1).getTime();
const line = (fields: Partial<JobLogLine__Output>): JobLogLine__Output => ({ id: '1-0', timeMs: at, level: 'info', source: 'coordinator', message: 'm', partition: -1, nodeId: '', attempt: 0, detail: '', ...fields });

test('a job line, a partition line with node and attempt, a task\'s own line, a stack trace indented', () => {
  assert.equal(renderLogLine(line({ message: 'planned: 4 partitions for 2 slots' })), '2026-12-01 23:30:01 INFO  job  planned: 4 partitions for 2 slots');
  assert.equal(
    renderLogLine(line({ level: 'warn', partition: 3, nodeId: 'agent-b', attempt: 2, message: 'attempt 2 failed on agent-b; retrying on another node: x' })),
    '2026-12-01 23:30:01 WARN  partition 3 agent-b#2  attempt 2 failed on agent-b; retrying on another node: x',
  );
  assert.equal(renderLogLine(line({ level: 'warn', source: 'partition', partition: 0, nodeId: 'n', attempt: 1, message: 'few bars' })), '2026-12-01 23:30:01 WARN  partition 0 n#1  [task] few bars');
  assert.equal(
    renderLogLine(line({ level: 'error', partition: 1, nodeId: 'n', attempt: 1, message: 'partition 1 failed', detail: 'Error: boom\n    at run (x.js:1:1)' })),
    '2026-12-01 23:30:01 ERROR partition 1 n#1  partition 1 failed\n    Error: boom\n        at run (x.js:1:1)',
  );
});

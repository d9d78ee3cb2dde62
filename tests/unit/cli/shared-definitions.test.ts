import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerJobsCommand } from '../../../cli/commands/jobs.js';
import { DEFAULT_COORDINATOR } from '../../../cli/global-options.js';
import { buildAddScheduleRequest, parseScheduleName, parseTimeZone, SCHEDULE_DEFAULTS } from '../../../cli/schedule-flags.js';
import { UsageError } from '../../../cli/cli-error.js';
import { createJobHandlers, type JobRpcDeps } from '../../../coordinator/api/job-rpc.js';
import { COORDINATOR_OPTIONS, toCoordinatorConfig } from '../../../coordinator/config/coordinator-config.js';
import { checkGraceSeconds, checkMissedPolicy, checkScheduleName, checkTimeZone } from '../../../coordinator/schedules/schedule-model.js';
import { CLUSTER_OPTIONS } from '../../../scripts/local-cluster/cluster-command-config.js';
import { MAX_SLOTS } from '../../../node-agent/agent-config.js';
import { LIST_JOBS_DEFAULT, LIST_JOBS_MAX } from '../../../shared/api-limits.js';
import { DEFAULT_COORDINATOR_PORT } from '../../../shared/config/coordinator-port.js';
import { MAX_GRACE_SECONDS } from '../../../shared/schedules/schedule-rules.js';

/**
 * Defaults and limits both sides read from one shared definition: what the CLI offers and checks
 * is what the coordinator applies and accepts.
 */

function optionOf(options: readonly { long?: string; defaultValue?: unknown }[], long: string) {
  const option = options.find((o) => o.long === long);
  assert.ok(option, long);
  return option;
}

describe('ListJobs limit (shared/api-limits.ts)', () => {
  /** The handler over a store of `stored` jobs; returns how many jobs a request lists. */
  async function listed(limit: number, stored = 2000): Promise<number> {
    const store = {
      list: async (count: number) => Array.from({ length: Math.min(count, stored) }, (_, i) => ({ id: `job-${i}` })),
      describe: async (job: { id: string }) => ({ id: job.id, status: 'JOB_STATUS_COMPLETED' }),
    };
    const noLog = { debug() {}, info() {}, warn() {}, error() {} };
    const deps = { store, runner: { liveSnapshot: () => undefined }, log: noLog } as unknown as JobRpcDeps;
    const handlers = createJobHandlers(deps);
    return new Promise((resolve, reject) => {
      handlers.ListJobs({ request: { status: 'JOB_STATUS_UNSPECIFIED', limit } } as never, (error, response) =>
        error ? reject(error) : resolve(response!.jobs!.length),
      );
    });
  }

  it("the CLI's --limit default is the server's default, and its largest value the server's cap", async () => {
    const program = new Command();
    registerJobsCommand(program);
    const limit = optionOf(program.commands[0].options, '--limit');
    assert.equal(limit.defaultValue, String(LIST_JOBS_DEFAULT));
    assert.equal(await listed(0), LIST_JOBS_DEFAULT);
    assert.equal(await listed(LIST_JOBS_MAX), LIST_JOBS_MAX);
    assert.equal(await listed(LIST_JOBS_MAX + 1), LIST_JOBS_MAX);
  });
});

describe('schedule rules (shared/schedules/schedule-rules.ts)', () => {
  it("the CLI's defaults are what the coordinator applies to a field left empty", () => {
    assert.equal(checkTimeZone(''), parseTimeZone(SCHEDULE_DEFAULTS.tz));
    assert.equal(checkMissedPolicy(''), SCHEDULE_DEFAULTS.missed);
    assert.equal(checkGraceSeconds(0), Number(SCHEDULE_DEFAULTS.graceSeconds));
  });

  it('both sides accept the same names and grace periods', () => {
    const accepts = (check: () => unknown): boolean => {
      try {
        check();
        return true;
      } catch {
        return false;
      }
    };
    for (const name of ['nightly', 'a', 'A.b_c-9', 'x'.repeat(64), 'x'.repeat(65), '-lead', 'has:colon', 'has space', '']) {
      assert.equal(accepts(() => parseScheduleName(name)), accepts(() => checkScheduleName(name)), name);
    }
    const request = (grace: number) => () => buildAddScheduleRequest('n', { cron: '0 2 * * *', grace: String(grace) }, ['noop']);
    assert.equal(request(MAX_GRACE_SECONDS)().graceSeconds, checkGraceSeconds(MAX_GRACE_SECONDS));
    assert.throws(request(MAX_GRACE_SECONDS + 1), UsageError);
    assert.throws(() => checkGraceSeconds(MAX_GRACE_SECONDS + 1));
  });
});

describe('the coordinator port (shared/config/coordinator-port.ts)', () => {
  it('the coordinator listens where the CLI looks, and the local cluster prefers that port', () => {
    const program = new Command();
    for (const option of COORDINATOR_OPTIONS) program.addOption(option);
    program.parse([], { from: 'user' });
    assert.equal(toCoordinatorConfig(program.opts()).listen.port, DEFAULT_COORDINATOR_PORT);
    assert.equal(DEFAULT_COORDINATOR, `127.0.0.1:${DEFAULT_COORDINATOR_PORT}`);
    const port = CLUSTER_OPTIONS.find((o) => o.long === '--port');
    assert.match(port?.defaultValueDescription ?? '', new RegExp(`^${DEFAULT_COORDINATOR_PORT} when free`));
  });

  it("npm run cluster gives each agent at most the agent's own --slots maximum", () => {
    const slots = CLUSTER_OPTIONS.find((o) => o.long === '--slots');
    assert.ok(slots?.parseArg);
    assert.equal(slots.parseArg(String(MAX_SLOTS), undefined), MAX_SLOTS);
    assert.throws(() => slots.parseArg!(String(MAX_SLOTS + 1), undefined));
  });
});

import type { Redis } from 'ioredis';
import type { JobStatusName } from '../jobs/job-model.js';
import type { MissedPolicy, ScheduleDefinition, ScheduleRunRecord, StoredSchedule } from './schedule-model.js';

/**
 * Schedule definitions in Redis, under the queue prefix, so that every coordinator sees the same ones:
 *   {prefix}:schedules          set of schedule names
 *   {prefix}:schedule:{name}    hash: the definition (name cron tz missed grace paused createdAt template)
 *                               and the latest run (last.jobId last.at last.status last.skipped last.reason last.manual)
 * Updates that depend on what is stored run as Lua scripts, so coordinators never interleave them.
 */

const ADD = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
return 1`;

const REMOVE = `
redis.call('DEL', KEYS[2])
return redis.call('SREM', KEYS[1], ARGV[1])`;

const SET_IF_EXISTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

// A run that starts records itself unless a later occurrence already did (overlapping runs).
const RECORD_START = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'last.at') or '0')
if tonumber(ARGV[2]) < last then return 0 end
redis.call('HSET', KEYS[1], 'last.jobId', ARGV[1], 'last.at', ARGV[2], 'last.status', ARGV[3], 'last.skipped', ARGV[4], 'last.reason', ARGV[5], 'last.manual', ARGV[6])
return 1`;

// A run that ends records its outcome only if it is still the latest run.
const RECORD_FINISH = `
if redis.call('HGET', KEYS[1], 'last.jobId') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'last.status', ARGV[2], 'last.reason', ARGV[3])
return 1`;

function definitionFields(definition: ScheduleDefinition): string[] {
  return [
    'name', definition.name,
    'cron', definition.cron,
    'tz', definition.tz,
    'missed', definition.missed,
    'grace', String(definition.graceSeconds),
    'paused', definition.paused ? '1' : '0',
    'createdAt', String(definition.createdAt),
    'template', JSON.stringify(definition.template),
    'owner', definition.owner,
  ];
}

export function parseStoredSchedule(hash: Record<string, string>): StoredSchedule | undefined {
  if (!hash.name || !hash.template) return undefined;
  const definition: ScheduleDefinition = {
    name: hash.name,
    cron: hash.cron,
    tz: hash.tz,
    missed: hash.missed as MissedPolicy,
    graceSeconds: Number(hash.grace),
    paused: hash.paused === '1',
    createdAt: Number(hash.createdAt),
    template: JSON.parse(hash.template) as ScheduleDefinition['template'],
    owner: hash.owner ?? '',
  };
  const lastRun: ScheduleRunRecord | undefined =
    hash['last.at'] === undefined
      ? undefined
      : {
          jobId: hash['last.jobId'] ?? '',
          scheduledAt: Number(hash['last.at']),
          status: (hash['last.status'] ?? '') as JobStatusName | '',
          skipped: hash['last.skipped'] === '1',
          reason: hash['last.reason'] ?? '',
          manual: hash['last.manual'] === '1',
        };
  return { definition, lastRun };
}

export class ScheduleStore {
  private readonly indexKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.indexKey = `${prefix}:schedules`;
  }

  private key(name: string): string {
    return `${this.prefix}:schedule:${name}`;
  }

  /** Stores a new schedule; false when the name is taken. */
  async add(definition: ScheduleDefinition): Promise<boolean> {
    return (await this.redis.eval(ADD, 2, this.indexKey, this.key(definition.name), definition.name, ...definitionFields(definition))) === 1;
  }

  async get(name: string): Promise<StoredSchedule | undefined> {
    return parseStoredSchedule(await this.redis.hgetall(this.key(name)));
  }

  async list(): Promise<StoredSchedule[]> {
    const names = (await this.redis.smembers(this.indexKey)).sort();
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.hgetall(this.key(name));
    const replies = (await pipeline.exec()) ?? [];
    const stored: StoredSchedule[] = [];
    for (const [error, hash] of replies) {
      if (error) throw error;
      const schedule = parseStoredSchedule(hash as Record<string, string>);
      if (schedule) stored.push(schedule);
    }
    return stored;
  }

  /** False when there was no such schedule. */
  async remove(name: string): Promise<boolean> {
    return (await this.redis.eval(REMOVE, 2, this.indexKey, this.key(name), name)) === 1;
  }

  /** False when there is no such schedule. */
  async setPaused(name: string, paused: boolean): Promise<boolean> {
    return (await this.redis.eval(SET_IF_EXISTS, 1, this.key(name), 'paused', paused ? '1' : '0')) === 1;
  }

  async recordStart(name: string, run: ScheduleRunRecord): Promise<void> {
    await this.redis.eval(
      RECORD_START,
      1,
      this.key(name),
      run.jobId,
      String(run.scheduledAt),
      run.status,
      run.skipped ? '1' : '0',
      run.reason,
      run.manual ? '1' : '0',
    );
  }

  async recordFinish(name: string, jobId: string, status: JobStatusName, reason: string): Promise<void> {
    await this.redis.eval(RECORD_FINISH, 1, this.key(name), jobId, status, reason);
  }
}

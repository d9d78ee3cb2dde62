import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { ScheduleRequest__Output } from '../../shared/generated/quantgrid/v1/ScheduleRequest.js';
import type { Logger } from '../../shared/logging.js';
import type { AuditAction, AuditLog } from '../audit/audit-log.js';
import { principalOf } from '../auth/principal.js';
import { actOnSchedule } from './schedule-actions.js';
import type { ScheduleService } from '../schedules/schedule-service.js';
import { SCHEDULE_STORE } from './dependency-failure.js';
import { requiredId } from './request-fields.js';
import { unary, type RpcContext } from './rpc-handlers.js';

export type ScheduleRpcName = 'AddSchedule' | 'ListSchedules' | 'RemoveSchedule' | 'PauseSchedule' | 'ResumeSchedule' | 'RunScheduleNow';

/** The schedule RPCs of the Coordinator service (the service throws NotFound, AlreadyExists, ValidationError). */
export function createScheduleHandlers(schedules: ScheduleService, audit: AuditLog, log: Logger): Pick<CoordinatorHandlers, ScheduleRpcName> {
  const context = (rpc: ScheduleRpcName): RpcContext => ({ rpc, log, dependency: SCHEDULE_STORE });
  /** An operation on a named schedule, by its owner or an admin, recorded in the audit trail. */
  const onSchedule = <T>(rpc: ScheduleRpcName, action: AuditAction, operation: (name: string) => Promise<T>) =>
    unary<ScheduleRequest__Output, T>(context(rpc), async (request, call) =>
      actOnSchedule(schedules, audit, principalOf(call), requiredId('name', request.name), action, operation),
    );
  return {
    AddSchedule: unary(context('AddSchedule'), async (request, call) => {
      const principal = principalOf(call);
      const schedule = await schedules.add(request, principal.user);
      await audit.append({ user: principal.user, action: 'schedule.add', target: schedule.name ?? request.name, detail: `${request.cron} ${request.tz || 'UTC'}` });
      return schedule;
    }),
    ListSchedules: unary(context('ListSchedules'), async () => ({ schedules: await schedules.list() })),
    RemoveSchedule: onSchedule('RemoveSchedule', 'schedule.remove', (name) => schedules.remove(name)),
    PauseSchedule: onSchedule('PauseSchedule', 'schedule.pause', (name) => schedules.pause(name)),
    ResumeSchedule: onSchedule('ResumeSchedule', 'schedule.resume', (name) => schedules.resume(name)),
    RunScheduleNow: onSchedule('RunScheduleNow', 'schedule.run-now', (name) => schedules.runNow(name)),
  };
}

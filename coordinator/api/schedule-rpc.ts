import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { Logger } from '../../shared/logging.js';
import type { ScheduleService } from '../schedules/schedule-service.js';
import { SCHEDULE_STORE } from './dependency-failure.js';
import { unary, type RpcContext } from './rpc-handlers.js';

export type ScheduleRpcName = 'AddSchedule' | 'ListSchedules' | 'RemoveSchedule' | 'PauseSchedule' | 'ResumeSchedule' | 'RunScheduleNow';

/** The schedule RPCs of the Coordinator service (the service throws NotFound, AlreadyExists, ValidationError). */
export function createScheduleHandlers(schedules: ScheduleService, log: Logger): Pick<CoordinatorHandlers, ScheduleRpcName> {
  const context = (rpc: ScheduleRpcName): RpcContext => ({ rpc, log, dependency: SCHEDULE_STORE });
  return {
    AddSchedule: unary(context('AddSchedule'), (request) => schedules.add(request)),
    ListSchedules: unary(context('ListSchedules'), async () => ({ schedules: await schedules.list() })),
    RemoveSchedule: unary(context('RemoveSchedule'), (request) => schedules.remove(request.name)),
    PauseSchedule: unary(context('PauseSchedule'), (request) => schedules.pause(request.name)),
    ResumeSchedule: unary(context('ResumeSchedule'), (request) => schedules.resume(request.name)),
    RunScheduleNow: unary(context('RunScheduleNow'), (request) => schedules.runNow(request.name)),
  };
}

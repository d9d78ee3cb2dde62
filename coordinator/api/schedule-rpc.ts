import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { Logger } from '../../shared/logging.js';
import type { ScheduleService } from '../schedules/schedule-service.js';
import { SCHEDULE_STORE } from './dependency-failure.js';
import { requiredId } from './request-fields.js';
import { unary, type RpcContext } from './rpc-handlers.js';

export type ScheduleRpcName = 'AddSchedule' | 'ListSchedules' | 'RemoveSchedule' | 'PauseSchedule' | 'ResumeSchedule' | 'RunScheduleNow';

/** The schedule RPCs of the Coordinator service (the service throws NotFound, AlreadyExists, ValidationError). */
export function createScheduleHandlers(schedules: ScheduleService, log: Logger): Pick<CoordinatorHandlers, ScheduleRpcName> {
  const context = (rpc: ScheduleRpcName): RpcContext => ({ rpc, log, dependency: SCHEDULE_STORE });
  return {
    AddSchedule: unary(context('AddSchedule'), (request) => schedules.add(request)),
    ListSchedules: unary(context('ListSchedules'), async () => ({ schedules: await schedules.list() })),
    RemoveSchedule: unary(context('RemoveSchedule'), async (request) => schedules.remove(requiredId('name', request.name))),
    PauseSchedule: unary(context('PauseSchedule'), async (request) => schedules.pause(requiredId('name', request.name))),
    ResumeSchedule: unary(context('ResumeSchedule'), async (request) => schedules.resume(requiredId('name', request.name))),
    RunScheduleNow: unary(context('RunScheduleNow'), async (request) => schedules.runNow(requiredId('name', request.name))),
  };
}

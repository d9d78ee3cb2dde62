import * as grpc from '@grpc/grpc-js';
import { errorMessage, ValidationError } from '../../shared/errors.js';
import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { Logger } from '../../shared/logging.js';
import { ScheduleExists, ScheduleNotFound, type ScheduleService } from '../schedules/schedule-service.js';

export type ScheduleRpcName = 'AddSchedule' | 'ListSchedules' | 'RemoveSchedule' | 'PauseSchedule' | 'ResumeSchedule' | 'RunScheduleNow';

/** The RPCs CoordinatorHandlers names (without the index signature grpc-js adds). */
type NamedRpc = keyof { [K in keyof CoordinatorHandlers as string extends K ? never : K]: unknown };

/** What coordinator-service.ts implements: every RPC but these. */
export type CoordinatorHandlersWithoutSchedules = Pick<CoordinatorHandlers, Exclude<NamedRpc, ScheduleRpcName>>;

function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  const [code, details] =
    error instanceof ValidationError ? [grpc.status.INVALID_ARGUMENT, error.message]
    : error instanceof ScheduleNotFound ? [grpc.status.NOT_FOUND, error.message]
    : error instanceof ScheduleExists ? [grpc.status.ALREADY_EXISTS, error.message]
    : [grpc.status.UNAVAILABLE, `schedule store (Redis) unavailable: ${errorMessage(error)}`];
  return { code, details, message: details };
}

/** Runs an operation and answers with its value, or with the gRPC status its error maps to. */
function answer<T>(log: Logger, rpc: ScheduleRpcName, operation: () => Promise<T>, callback: grpc.sendUnaryData<T>): void {
  operation()
    .then((value) => callback(null, value))
    .catch((error) => {
      const mapped = toServiceError(error);
      if (mapped.code === grpc.status.UNAVAILABLE) log.warn({ rpc, err: errorMessage(error) }, 'schedule call failed');
      callback(mapped);
    });
}

/** The schedule RPCs of the Coordinator service. */
export function createScheduleHandlers(schedules: ScheduleService, log: Logger): Pick<CoordinatorHandlers, ScheduleRpcName> {
  return {
    AddSchedule: (call, callback) => answer(log, 'AddSchedule', () => schedules.add(call.request), callback),
    ListSchedules: (_call, callback) => answer(log, 'ListSchedules', async () => ({ schedules: await schedules.list() }), callback),
    RemoveSchedule: (call, callback) => answer(log, 'RemoveSchedule', () => schedules.remove(call.request.name), callback),
    PauseSchedule: (call, callback) => answer(log, 'PauseSchedule', () => schedules.pause(call.request.name), callback),
    ResumeSchedule: (call, callback) => answer(log, 'ResumeSchedule', () => schedules.resume(call.request.name), callback),
    RunScheduleNow: (call, callback) => answer(log, 'RunScheduleNow', () => schedules.runNow(call.request.name), callback),
  };
}

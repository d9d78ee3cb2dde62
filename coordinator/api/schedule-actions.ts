import { quoteInput } from '../../shared/quote-input.js';
import type { AuditAction, AuditLog } from '../audit/audit-log.js';
import { checkOwnerOrAdmin, type Principal } from '../auth/principal.js';
import type { ScheduleService } from '../schedules/schedule-service.js';

/**
 * An operation on a named schedule, whichever surface asks (the gRPC API, the dashboard): by its
 * owner or an admin (PermissionDenied otherwise), recorded in the audit trail.
 */
export async function actOnSchedule<T>(
  schedules: ScheduleService,
  audit: AuditLog,
  principal: Principal,
  name: string,
  action: AuditAction,
  operation: (name: string) => Promise<T>,
): Promise<T> {
  checkOwnerOrAdmin(principal, await schedules.ownerOf(name), `schedule ${quoteInput(name)}`);
  const result = await operation(name);
  await audit.append({ user: principal.user, action, target: name, detail: '' });
  return result;
}

/**
 * Who may do what on the public API. Each role includes the ones before it:
 *   viewer    reads jobs, nodes, datasets, schedules;
 *   submitter also submits and cancels its own jobs and imports datasets;
 *   admin     everything: others' jobs and schedules, tokens, the audit trail.
 */
export const ROLES = ['viewer', 'submitter', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when a holder of `held` may do what needs `needed`. */
export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** The stores an error names when they cannot be reached (all three live in the one Redis today). */
export const JOB_STORE = 'job store (Redis)';
export const DATASET_STORE = 'dataset store (Redis)';
export const SCHEDULE_STORE = 'schedule store (Redis)';
export const TOKEN_STORE = 'token store (Redis)';
export const STRATEGY_STORE = 'strategy store (Redis)';

import type { RunContext } from './task-kind.js';

/** The context of a partition run in this process, outside an agent: nobody listens to its progress, nothing cancels it. */
export const QUIET_RUN_CONTEXT: RunContext = { reportProgress: () => undefined, isCancelled: () => false };

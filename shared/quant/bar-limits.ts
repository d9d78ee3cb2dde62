/**
 * Most bars one series may have unless the coordinator is told otherwise (its --max-bars default,
 * DEFAULT_SPEC_LIMITS.maxBars in shared/tasks/task-kind.ts), and so also the longest indicator
 * period a strategy parameter accepts (shared/quant/strategies/): a longer one could never fire.
 * Here, below both shared/quant and shared/tasks, so each imports it without a circle.
 */
export const DEFAULT_MAX_BARS = 5_000_000;

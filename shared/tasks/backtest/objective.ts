import { quoteInput } from '../../quote-input.js';
import { ValidationError } from '../../errors.js';
import type { ExtendedMetrics } from '../../quant/metrics.js';
import { asRecord, numberField, stringField } from '../../quant/dataset.js';

/**
 * What a backtest ranks by (its objective, higher is better) and which rows may be ranked at all
 * (its constraints). Names on the wire are snake_case; rows carry the camelCase metric keys.
 */

/** Metric names (wire) → the row's key. */
export const METRIC_KEYS = {
  sharpe: 'sharpe',
  total_return: 'totalReturn',
  cagr: 'cagr',
  volatility: 'volatility',
  max_drawdown: 'maxDrawdown',
  trades: 'trades',
  win_rate: 'winRate',
  exposure: 'exposure',
  sortino: 'sortino',
  calmar: 'calmar',
  max_drawdown_duration: 'maxDrawdownDuration',
  profit_factor: 'profitFactor',
  avg_trade_return: 'avgTradeReturn',
} as const satisfies Record<string, keyof ExtendedMetrics>;

export type MetricName = keyof typeof METRIC_KEYS;
export type MetricKey = (typeof METRIC_KEYS)[MetricName];
export const METRIC_NAMES = Object.keys(METRIC_KEYS) as MetricName[];

/** The objectives a ranking may sort by; higher is better for every one. */
export const OBJECTIVES = ['sharpe', 'sortino', 'calmar', 'total_return', 'cagr', 'profit_factor'] as const;
export type Objective = (typeof OBJECTIVES)[number];
export const DEFAULT_OBJECTIVE: Objective = 'sharpe';

export const CONSTRAINT_OPS = ['<', '<=', '>', '>='] as const;
export type ConstraintOp = (typeof CONSTRAINT_OPS)[number];

export interface Constraint {
  metric: MetricName;
  op: ConstraintOp;
  value: number;
}

export const MAX_CONSTRAINTS = 16;

export function objectiveKey(objective: Objective): MetricKey {
  return METRIC_KEYS[objective];
}

export function isObjective(name: string): name is Objective {
  return (OBJECTIVES as readonly string[]).includes(name);
}

/** True when the metrics meet every constraint; a null metric meets no constraint. */
export function meetsConstraints(metrics: ExtendedMetrics, constraints: readonly Constraint[]): boolean {
  for (const { metric, op, value } of constraints) {
    const x = metrics[METRIC_KEYS[metric]];
    if (x === null) return false;
    switch (op) {
      case '<':
        if (!(x < value)) return false;
        break;
      case '<=':
        if (!(x <= value)) return false;
        break;
      case '>':
        if (!(x > value)) return false;
        break;
      case '>=':
        if (!(x >= value)) return false;
        break;
    }
  }
  return true;
}

export function validateObjective(raw: Record<string, unknown>, field: string): Objective {
  const objective = stringField(raw, 'objective', field) || DEFAULT_OBJECTIVE;
  if (!isObjective(objective)) throw new ValidationError(field, `unknown objective ${quoteInput(objective)} (one of ${OBJECTIVES.join(', ')})`);
  return objective;
}

export function validateConstraints(raw: unknown, field: string): Constraint[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ValidationError(field, 'must be a list');
  if (raw.length > MAX_CONSTRAINTS) throw new ValidationError(field, `at most ${MAX_CONSTRAINTS} constraints, got ${raw.length}`);
  return raw.map((item, i) => {
    const at = `${field}[${i}]`;
    const record = asRecord(item, at);
    const metric = stringField(record, 'metric', `${at}.metric`);
    if (!(metric in METRIC_KEYS)) throw new ValidationError(`${at}.metric`, `unknown metric ${quoteInput(metric)} (one of ${METRIC_NAMES.join(', ')})`);
    const op = stringField(record, 'op', `${at}.op`);
    if (!(CONSTRAINT_OPS as readonly string[]).includes(op)) throw new ValidationError(`${at}.op`, `must be one of ${CONSTRAINT_OPS.join(' ')}, got ${quoteInput(op)}`);
    const value = numberField(record, 'value', `${at}.value`);
    if (!Number.isFinite(value)) throw new ValidationError(`${at}.value`, `must be a finite number, got ${value}`);
    return { metric: metric as MetricName, op: op as ConstraintOp, value };
  });
}

/** "max_drawdown < 0.25" */
export function formatConstraint(constraint: Constraint): string {
  return `${constraint.metric} ${constraint.op} ${constraint.value}`;
}

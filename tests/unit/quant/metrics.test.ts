import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EquityAccumulator, riskFreePerPeriod } from '../../../shared/quant/metrics.js';

function close(a: number | null, b: number | null, where: string, relative = 1e-9): void {
  if (a === null || b === null) return assert.equal(a, b, where);
  assert.ok(Math.abs(a - b) <= relative * Math.max(1, Math.abs(a), Math.abs(b)), `${where}: ${a} vs ${b}`);
}

/**
 * How far two correct double computations of a ratio over a standard deviation may disagree: the
 * variance of nearly equal returns is ill-conditioned (condition number ≈ 1 + mean² / variance), so
 * both this reference and the accumulator lose digits in proportion; 64 ulps × that, and never below 1e-9.
 */
function ratioTolerance(mean: number, deviation: number): number {
  return Math.max(1e-9, 64 * Number.EPSILON * (1 + (mean * mean) / (deviation * deviation)));
}

describe('extended metrics', () => {
  it('match straightforward formulas on random curves and trades', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -0.2, max: 0.2, noNaN: true }), { minLength: 3, maxLength: 80 }),
        fc.array(fc.tuple(fc.double({ min: 0.5, max: 2, noNaN: true }), fc.double({ min: 0.5, max: 2, noNaN: true })), { maxLength: 10 }),
        fc.constantFrom(0, 0.02, 0.1),
        fc.constantFrom(252, 8760),
        (steps, trades, annual, P) => {
          const tau = riskFreePerPeriod(annual, P);
          const equity = [1];
          for (const x of steps) equity.push(equity[equity.length - 1] * (1 + x));
          const acc = new EquityAccumulator().reset(1, tau);
          equity.forEach((e) => acc.mark(e, true));
          for (const [before, after] of trades) acc.recordExit(before, after);
          const m = acc.extendedMetrics(P);

          const r = equity.slice(1).map((e, i) => e / equity[i] - 1);
          const mean = r.reduce((a, b) => a + b, 0) / r.length;
          const std = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / (r.length - 1));
          const dd = Math.sqrt(r.reduce((a, x) => a + Math.min(x - tau, 0) ** 2, 0) / (r.length - 1));
          let peak = 1;
          let at = 0;
          let mdd = 0;
          let dur = 0;
          equity.forEach((e, t) => {
            if (e >= peak) [peak, at] = [e, t];
            mdd = Math.max(mdd, 1 - e / peak);
            dur = Math.max(dur, t - at);
          });
          const cagr = Math.pow(equity[equity.length - 1], P / r.length) - 1;
          const pnl = trades.map(([b, a]) => a - b);
          const gain = pnl.filter((x) => x > 0).reduce((a, b) => a + b, 0);
          const loss = -pnl.filter((x) => x < 0).reduce((a, b) => a + b, 0);
          close(m.sharpe, std > 0 ? ((mean - tau) / std) * Math.sqrt(P) : null, 'sharpe', std > 0 ? ratioTolerance(mean, std) : 1e-9);
          if (dd > 1e-12) close(m.sortino, ((mean - tau) / dd) * Math.sqrt(P), 'sortino', ratioTolerance(mean - tau, dd));
          assert.equal(m.maxDrawdownDuration, dur);
          close(m.maxDrawdown, mdd, 'maxDrawdown');
          if (Number.isFinite(cagr) && mdd > 0) close(m.calmar, cagr / mdd, 'calmar');
          if (mdd === 0) assert.equal(m.calmar, null);
          close(m.profitFactor, trades.length && loss > 0 ? gain / loss : null, 'profitFactor');
          close(m.avgTradeReturn, trades.length ? trades.reduce((a, [b, x]) => a + x / b - 1, 0) / trades.length : null, 'avgTradeReturn');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('null when undefined, and the 252-day year', () => {
    const acc = new EquityAccumulator().reset(1);
    for (let i = 0; i < 5; i++) acc.mark(1, false);
    const m = acc.extendedMetrics(365);
    assert.deepEqual([m.sortino, m.calmar, m.profitFactor, m.avgTradeReturn, m.maxDrawdownDuration], [null, null, null, null, 0]);
    assert.equal(riskFreePerPeriod(0, 252), 0);
    close(Math.pow(1 + riskFreePerPeriod(0.05, 252), 252), 1.05, 'compounding');
  });
});

import { bollingerLower, bollingerMiddle, bollingerUpper, defineStrategy, enterExit, ge, gt, le, lt } from 'quantgrid/strategy';

/** bollinger-reversion as a user writes it (declarative): tests/unit/sandbox/declarative-rules.test.ts runs it in the sandbox. */
export default defineStrategy({
  name: 'user-bollinger',
  params: {
    period: { min: 2, max: 100_000, period: true, default: 20 },
    k: { type: 'real', min: 0.1, max: 10, default: 2 },
  },
  indicators: (p) => ({ middle: bollingerMiddle(p.period, p.k), upper: bollingerUpper(p.period, p.k), lower: bollingerLower(p.period, p.k) }),
  warmup: (p) => p.period - 1,
  signal: () => enterExit({ exitLong: ge('close', 'middle'), exitShort: le('close', 'middle'), enterLong: lt('close', 'lower'), enterShort: gt('close', 'upper') }),
});

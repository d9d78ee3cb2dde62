import type { StrategyInfo__Output } from '../../shared/generated/quantgrid/v1/StrategyInfo.js';
import type { StrategyManifest } from '../../shared/strategy-sdk/manifest.js';
import { formatBytes, formatTimestamp } from './format.js';
import { renderKeyValueTable, renderTable } from './table.js';

export function manifestOfInfo(info: StrategyInfo__Output): StrategyManifest | undefined {
  try {
    return JSON.parse(info.manifestJson) as StrategyManifest;
  } catch {
    return undefined;
  }
}

export function renderStrategiesTable(strategies: readonly StrategyInfo__Output[]): string {
  return renderTable(
    ['strategy', 'id', 'latest', 'params', 'owner', 'size', 'pushed'],
    strategies.map((s) => [
      s.name,
      s.id.slice(0, 12),
      s.latest ? 'yes' : '',
      (manifestOfInfo(s)?.params ?? []).map((p) => p.name).join(', '),
      s.owner || '-',
      formatBytes(Number(s.bytes)),
      formatTimestamp(s.pushedAtMs),
    ]),
    ['left', 'left', 'left', 'left', 'left', 'right', 'left'],
  );
}

function rangeText(r: { start: number; stop: number; step: number }): string {
  return r.start === r.stop ? `${r.start}` : `${r.start}:${r.stop}:${r.step}`;
}

/** One version: what it is, then its parameters as `--param NAME=start:stop:step` takes them. */
export function renderStrategyDetails(info: StrategyInfo__Output): string {
  const manifest = manifestOfInfo(info);
  const head = renderKeyValueTable([
    ['strategy', `${info.name}@${info.id}`],
    ['description', info.description || '-'],
    ['latest', info.latest ? `yes (--strategy ${info.name} runs it)` : `no (--strategy ${info.name}@${info.id.slice(0, 12)} runs it)`],
    ['owner', info.owner || '-'],
    ['size', formatBytes(Number(info.bytes))],
    ['pushed', formatTimestamp(info.pushedAtMs)],
    ['constraint', manifest?.constraints.map((c) => `${c.left} < ${c.right}`).join(', ') || '-'],
  ]);
  const params = renderTable(
    ['param', 'type', 'min', 'max', 'default (start:stop:step)', 'description'],
    (manifest?.params ?? []).map((p) => [p.name, p.type + (p.period ? ', period' : ''), String(p.min), String(p.max), rangeText(p.defaultRange), p.description || '-']),
    ['left', 'left', 'right', 'right', 'left', 'left'],
  );
  return `${head}\n\nparameters (--param NAME=START:STOP:STEP; every strategy also takes short=0:1:1):\n${params}`;
}

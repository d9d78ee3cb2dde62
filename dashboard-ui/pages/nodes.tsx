/** Every node: state, slots, machine, load, RTT, the score and its parts, dataset-cache hits, the last hour's load; live. */
import type { JSX } from 'preact';
import { API, type NodeView, type NodesResponse } from '../../shared/dashboard/api-types.js';
import { useLive } from '../api/live.js';
import { useApi } from '../api/use-api.js';
import { ErrorNote, Loading } from '../components/common.js';
import { Sparkline } from '../components/line-chart.js';
import { formatBytes, formatNumber, formatPercent, formatTime } from '../format.js';

function ScoreParts(props: { node: NodeView }): JSX.Element {
  const { total, cpu, memory, network, loadFactor } = props.node.score;
  return (
    <span class="score" title="the weighted sum of the cpu, memory and network parts, times the load factor (docs/architecture.md)">
      <strong>{formatNumber(total, 3)}</strong>
      <span class="muted">
        {' '}
        cpu {formatNumber(cpu, 2)} · mem {formatNumber(memory, 2)} · net {formatNumber(network, 2)} · ×{formatNumber(loadFactor, 2)}
      </span>
    </span>
  );
}

function LoadHistory(props: { node: NodeView }): JSX.Element {
  const history = props.node.loadHistory;
  if (history.length < 2) return <span class="muted">–</span>;
  const first = history[0].atMs;
  return (
    <Sparkline
      values={history.map((s) => s.cpuLoad)}
      x={history.map((s) => s.atMs)}
      range={[0, 1]}
      width={100}
      title={`load ${formatTime(first)} – ${formatTime(history[history.length - 1].atMs)}, peak ${formatPercent(Math.max(...history.map((s) => s.cpuLoad)))}`}
    />
  );
}

function NodeRow(props: { node: NodeView }): JSX.Element {
  const node = props.node;
  const cache = node.datasetCacheHits + node.datasetCacheMisses;
  // A gone node has no live figures: only what it was (slots, cores, memory) and its load history.
  const gone = node.state === 'gone';
  return (
    <tr data-node={node.id} data-state={node.state}>
      <td>
        <span class="mono">{node.id}</span>
        <div class="muted small">{node.address}</div>
      </td>
      <td>
        <span class={`state state-${node.state}`} title={node.stateReason || undefined}>
          {node.state}
        </span>
        {node.stateReason ? <div class="muted small">{node.stateReason}</div> : null}
        {node.quarantinedUntilMs ? <div class="muted small">until {formatTime(node.quarantinedUntilMs)}</div> : null}
      </td>
      <td class="num">
        {node.busySlots} / {node.slots}
      </td>
      <td class="num">{node.cores}</td>
      <td class="num">{node.cpuSpeedGhz > 0 ? `${formatNumber(node.cpuSpeedGhz, 2)} GHz` : '–'}</td>
      <td class="num">
        {gone ? '–' : formatBytes(node.memoryAvailableBytes)} / {formatBytes(node.memoryTotalBytes)}
      </td>
      <td class="num">{gone ? '–' : formatPercent(node.cpuLoad)}</td>
      <td class="num">{gone || node.rttMs < 0 ? '–' : `${formatNumber(node.rttMs, 1)} ms`}</td>
      <td>{gone ? <span class="muted">–</span> : <ScoreParts node={node} />}</td>
      <td class="num" title={cache ? `${formatPercent(node.datasetCacheHits / cache)} hits` : undefined}>
        {node.datasetCacheHits} / {node.datasetCacheMisses}
      </td>
      <td>
        <LoadHistory node={node} />
      </td>
    </tr>
  );
}

export function NodesPage(): JSX.Element {
  const nodes = useApi<NodesResponse>(API.nodes);
  useLive('nodes', (data) => nodes.set(() => data));
  return (
    <section class="page-nodes">
      <h1>Nodes</h1>
      {nodes.data ? (
        <p class="muted">
          {nodes.data.nodes.length} node{nodes.data.nodes.length === 1 ? '' : 's'} · {nodes.data.nodes.filter((n) => n.state === 'ready').length} ready · slots busy {nodes.data.nodes.reduce((sum, n) => sum + n.busySlots, 0)} of {nodes.data.nodes.reduce((sum, n) => sum + n.slots, 0)}
        </p>
      ) : null}
      <ErrorNote error={nodes.error} />
      {!nodes.data ? (
        <Loading />
      ) : nodes.data.nodes.length === 0 ? (
        <p class="muted">No node has registered yet.</p>
      ) : (
        <div class="table-scroll">
          <table class="data nodes" data-table="nodes">
            <thead>
              <tr>
                <th>node</th>
                <th>state</th>
                <th class="num">slots busy</th>
                <th class="num">cores</th>
                <th class="num">CPU</th>
                <th class="num">memory free / total</th>
                <th class="num">load</th>
                <th class="num">RTT</th>
                <th>score</th>
                <th class="num" title="the agent's stored-dataset cache">cache hits / misses</th>
                <th>load, last hour</th>
              </tr>
            </thead>
            <tbody>
              {nodes.data.nodes.map((node) => (
                <NodeRow key={node.id} node={node} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

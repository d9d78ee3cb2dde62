/**
 * A job's partition timeline (like Dask's task stream): one lane per node and slot, one bar per
 * partition attempt from its start to its end (or now, while it runs), coloured by outcome. An attempt
 * that was retried or failed over is joined by a dashed line to the partition's next attempt, so a
 * partition that moved to another node is seen moving. A straggler's backup copy has a dark outline
 * (it runs beside the attempt it copies: no line to it); the copy that lost is 'superseded'.
 */
import type { JSX } from 'preact';
import type { TimelineAttempt, TimelineOutcome, TimelineResponse } from '../../shared/dashboard/api-types.js';
import { formatDuration } from '../format.js';
import { useWidth } from './use-width.js';

export const OUTCOME_COLORS: Readonly<Record<TimelineOutcome, string>> = {
  completed: '#2e8b57',
  running: '#3b7dd8',
  retried: '#e0a030',
  failover: '#d2691e',
  failed: '#c0392b',
  cancelled: '#8c8c8c',
  superseded: '#b8b8d8',
  dropped: '#d9a0a0',
};

const LANE_HEIGHT = 22;
const LABEL_WIDTH = 120;
const AXIS_HEIGHT = 22;

const laneOf = (a: { nodeId: string; slot: number }): string => `${a.nodeId}/${a.slot}`;

export function PartitionTimeline(props: { timeline: TimelineResponse; now?: number }): JSX.Element {
  const [box, width] = useWidth<HTMLDivElement>(960);
  return (
    <div ref={box} class="timeline-box">
      {props.timeline.attempts.length === 0 ? <p class="muted">No partition attempt has run here yet.</p> : <TimelineChart timeline={props.timeline} now={props.now ?? Date.now()} width={width - 18} />}
    </div>
  );
}

function TimelineChart(props: { timeline: TimelineResponse; now: number; width: number }): JSX.Element {
  const { now, width } = props;
  const { attempts } = props.timeline;
  const lanes = props.timeline.lanes.map(laneOf);
  for (const a of attempts) if (!lanes.includes(laneOf(a))) lanes.push(laneOf(a));
  const laneIndex = new Map(lanes.map((lane, i) => [lane, i]));
  const endOf = (a: TimelineAttempt): number => a.endMs || now;
  const start = Math.min(...attempts.map((a) => a.startMs));
  const end = Math.max(...attempts.map(endOf), start + 1);
  const plotWidth = width - LABEL_WIDTH - 8;
  const x = (ms: number): number => LABEL_WIDTH + ((ms - start) / (end - start)) * plotWidth;
  const y = (lane: string): number => AXIS_HEIGHT + (laneIndex.get(lane) ?? 0) * LANE_HEIGHT;
  const yOf = (a: TimelineAttempt): number => y(laneOf(a));
  const height = AXIS_HEIGHT + lanes.length * LANE_HEIGHT + 4;

  const byPartition = new Map<number, TimelineAttempt[]>();
  for (const attempt of attempts) {
    const list = byPartition.get(attempt.partition) ?? [];
    list.push(attempt);
    byPartition.set(attempt.partition, list);
  }
  const moves: Array<[TimelineAttempt, TimelineAttempt]> = [];
  for (const list of byPartition.values()) {
    list.sort((a, b) => a.attempt - b.attempt || a.startMs - b.startMs);
    const moved = list.filter((a) => !a.backup);
    for (let i = 1; i < moved.length; i += 1) moves.push([moved[i - 1], moved[i]]);
  }

  const ticks = Array.from({ length: 6 }, (_v, i) => start + ((end - start) * i) / 5);
  const outcomes = [...new Set(attempts.map((a) => a.outcome))];

  return (
    <figure class="timeline" data-chart="timeline">
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label="partition timeline">
        {ticks.map((tick, i) => (
          <g key={tick}>
            <line x1={x(tick)} x2={x(tick)} y1={AXIS_HEIGHT - 4} y2={height} class="grid" />
            <text x={x(tick)} y={12} text-anchor={i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'} class="tick">
              {formatDuration(tick - start)}
            </text>
          </g>
        ))}
        {lanes.map((lane) => (
          <g key={lane} class="lane" data-lane={lane}>
            <text x={LABEL_WIDTH - 6} y={y(lane) + LANE_HEIGHT / 2 + 4} text-anchor="end" class="lane-label">
              {lane}
            </text>
            <line x1={LABEL_WIDTH} x2={width - 8} y1={y(lane) + LANE_HEIGHT} y2={y(lane) + LANE_HEIGHT} class="lane-line" />
          </g>
        ))}
        {attempts.map((a) => {
          const left = x(a.startMs);
          const barWidth = Math.max(2, x(endOf(a)) - left);
          return (
            <rect
              key={`${a.partition}.${a.attempt}.${laneOf(a)}`}
              class={a.backup ? 'attempt backup' : 'attempt'}
              data-outcome={a.outcome}
              data-backup={a.backup ? 'true' : undefined}
              data-partition={a.partition}
              data-node={a.nodeId}
              x={left}
              y={yOf(a) + 3}
              width={barWidth}
              height={LANE_HEIGHT - 6}
              rx={2}
              fill={OUTCOME_COLORS[a.outcome] ?? '#999'}
            >
              <title>{`partition ${a.partition}, ${a.backup ? 'backup ' : ''}attempt ${a.attempt} on ${laneOf(a)}: ${a.outcome}, ${formatDuration(endOf(a) - a.startMs)}${a.message ? ` (${a.message})` : ''}`}</title>
            </rect>
          );
        })}
        {moves.map(([from, to]) => (
          <line
            key={`move-${from.partition}-${from.attempt}-${to.attempt}`}
            class="move"
            x1={x(from.endMs || from.startMs)}
            y1={yOf(from) + LANE_HEIGHT / 2}
            x2={x(to.startMs)}
            y2={yOf(to) + LANE_HEIGHT / 2}
          />
        ))}
      </svg>
      <figcaption class="legend">
        {outcomes.map((outcome) => (
          <span key={outcome}>
            <span class="swatch" style={{ background: OUTCOME_COLORS[outcome] ?? '#999' }} /> {outcome} ({attempts.filter((a) => a.outcome === outcome).length})
          </span>
        ))}
        {attempts.some((a) => a.backup) ? <span>outlined: {attempts.filter((a) => a.backup).length} backup cop{attempts.filter((a) => a.backup).length === 1 ? 'y' : 'ies'} of stragglers</span> : null}
        {props.timeline.partitionsReused ? <span>{props.timeline.partitionsReused} partition(s) from the result cache</span> : null}
        {props.timeline.partitionsRecovered ? <span>{props.timeline.partitionsRecovered} recovered after a takeover</span> : null}
      </figcaption>
    </figure>
  );
}

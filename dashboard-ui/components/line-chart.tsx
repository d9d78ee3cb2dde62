/**
 * A uPlot chart of one or more series over a shared x axis (time in ms, or an index), sized to its
 * container and redrawn when the data changes.
 */
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: ArrayLike<number | null>;
  color: string;
  /** Which y axis: 'y' (left, the default) or 'y2' (right). */
  scale?: 'y' | 'y2';
  fill?: string;
}

export interface LineChartProps {
  /** x values: ms since the epoch when time is true, else plain numbers. */
  x: ArrayLike<number>;
  series: ChartSeries[];
  height?: number;
  time?: boolean;
  /** Axis titles. */
  yLabel?: string;
  y2Label?: string;
  /** Data attribute for tests and styling (e.g. "equity"). */
  name?: string;
}

/** Dates for spans of days or more, hours and minutes (UTC) for shorter ones. */
function timeLabels(splits: number[]): string[] {
  const span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0;
  return splits.map((v) => (span >= 2 * 86_400_000 ? new Date(v).toISOString().slice(0, 10) : new Date(v).toISOString().slice(11, 16)));
}

function seriesOptions(series: ChartSeries): uPlot.Series {
  return { label: series.label, stroke: series.color, width: 1.5, scale: series.scale ?? 'y', fill: series.fill, points: { show: false } };
}

export function LineChart(props: LineChartProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const height = props.height ?? 240;

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const hasY2 = props.series.some((s) => s.scale === 'y2');
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height,
      // x values are epoch milliseconds (uPlot's default unit is seconds)
      ms: 1,
      scales: { x: { time: props.time ?? false }, y: { auto: true }, ...(hasY2 ? { y2: { auto: true } } : {}) },
      series: [{ label: props.time ? 'time' : 'x', value: props.time ? (_u, v) => (v == null ? '–' : new Date(v).toISOString().slice(0, 16).replace('T', ' ')) : undefined }, ...props.series.map(seriesOptions)],
      axes: [
        { space: 80, values: props.time ? (_u, splits) => timeLabels(splits) : undefined },
        { label: props.yLabel, size: 60 },
        ...(hasY2 ? [{ side: 1 as const, scale: 'y2', label: props.y2Label, grid: { show: false }, size: 60 }] : []),
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    const data = [Array.from(props.x), ...props.series.map((s) => Array.from(s.values))] as uPlot.AlignedData;
    plot.current = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, element.clientWidth), height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [props.x, props.series, height, props.time, props.yLabel, props.y2Label]);

  return <div class="chart" data-chart={props.name} ref={box} />;
}

export interface SparklineProps {
  values: ArrayLike<number>;
  /** x values (ms); default the index. */
  x?: ArrayLike<number>;
  width?: number;
  height?: number;
  /** Fixed y range, e.g. [0, 1] for a load. */
  range?: [number, number];
  color?: string;
  title?: string;
}

/** A small uPlot line without axes or legend (a node's load over the last hour). */
export function Sparkline(props: SparklineProps): JSX.Element {
  const box = useRef<HTMLSpanElement>(null);
  const n = props.values.length;
  // Redrawn only when the data changed (a live update re-sends the same history every few seconds).
  const signature = `${n}:${props.values[n - 1]}:${props.x?.[n - 1]}:${props.values[0]}`;
  useEffect(() => {
    const element = box.current;
    if (!element || props.values.length === 0) return;
    const xs = props.x ? Array.from(props.x) : Array.from(props.values, (_v, i) => i);
    const range = props.range;
    const chart = new uPlot(
      {
        width: props.width ?? 120,
        height: props.height ?? 28,
        pxAlign: false,
        cursor: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        legend: { show: false },
        scales: { x: { time: false }, y: range ? { range: () => range } : { auto: true } },
        axes: [{ show: false }, { show: false }],
        series: [{}, { stroke: props.color ?? '#2f6fb0', width: 1.25, fill: 'rgba(47,111,176,0.12)', points: { show: false } }],
      },
      [xs, Array.from(props.values)],
      element,
    );
    return () => chart.destroy();
  }, [signature, props.width, props.height, props.range?.[0], props.range?.[1], props.color]);
  return <span class="sparkline" ref={box} title={props.title} />;
}

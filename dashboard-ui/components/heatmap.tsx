/**
 * The heatmap of a two-parameter grid: one cell per (x, y) parameter pair, coloured by a metric (red low,
 * green high), drawn on a canvas; hovering a cell shows its parameters and value.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatNumber } from '../format.js';
import { divergingColor } from './colors.js';

export interface HeatmapProps {
  xLabel: string;
  yLabel: string;
  xValues: readonly number[];
  yValues: readonly number[];
  /** values[yi][xi]; null where the grid has no valid row (e.g. a constraint excluded the pair). */
  values: ReadonlyArray<ReadonlyArray<number | null>>;
  metric: string;
}

const MARGIN = { left: 56, bottom: 40, top: 8, right: 8 };

export function Heatmap(props: HeatmapProps): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<string>('');
  const cols = props.xValues.length;
  const rows = props.yValues.length;
  const finite = props.values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const min = finite.length ? Math.min(...finite) : 0;
  const max = finite.length ? Math.max(...finite) : 1;
  // Cells as large as fit about 720 × 420 px, between 4 and 36 px.
  const cell = Math.max(4, Math.min(36, Math.floor(720 / Math.max(cols, 1)), Math.floor(420 / Math.max(rows, 1))));
  const width = MARGIN.left + cols * cell + MARGIN.right;
  const height = MARGIN.top + rows * cell + MARGIN.bottom;

  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context) return;
    const ratio = window.devicePixelRatio || 1;
    element.width = width * ratio;
    element.height = height * ratio;
    context.scale(ratio, ratio);
    context.clearRect(0, 0, width, height);
    for (let yi = 0; yi < rows; yi += 1) {
      for (let xi = 0; xi < cols; xi += 1) {
        const value = props.values[yi]?.[xi];
        const top = MARGIN.top + (rows - 1 - yi) * cell;
        context.fillStyle = value === null || value === undefined || !Number.isFinite(value) ? '#e6e6e6' : divergingColor(max > min ? (value - min) / (max - min) : 0.5);
        context.fillRect(MARGIN.left + xi * cell, top, cell - 1, cell - 1);
      }
    }
    context.fillStyle = '#333';
    context.font = '11px system-ui, sans-serif';
    context.textAlign = 'center';
    const xStep = Math.ceil(cols / Math.max(1, Math.floor((cols * cell) / 40)));
    for (let xi = 0; xi < cols; xi += xStep) context.fillText(formatNumber(props.xValues[xi], 4), MARGIN.left + xi * cell + cell / 2, MARGIN.top + rows * cell + 14);
    context.fillText(props.xLabel, MARGIN.left + (cols * cell) / 2, MARGIN.top + rows * cell + 32);
    context.textAlign = 'right';
    const yStep = Math.ceil(rows / Math.max(1, Math.floor((rows * cell) / 18)));
    for (let yi = 0; yi < rows; yi += yStep) context.fillText(formatNumber(props.yValues[yi], 4), MARGIN.left - 6, MARGIN.top + (rows - 1 - yi) * cell + cell / 2 + 4);
    context.save();
    context.translate(12, MARGIN.top + (rows * cell) / 2);
    context.rotate(-Math.PI / 2);
    context.textAlign = 'center';
    context.fillText(props.yLabel, 0, 0);
    context.restore();
  }, [props.values, props.xValues, props.yValues, width, height, cell]);

  const onMove = (event: MouseEvent): void => {
    const rect = (event.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    const xi = Math.floor((event.clientX - rect.left - MARGIN.left) / cell);
    const yi = rows - 1 - Math.floor((event.clientY - rect.top - MARGIN.top) / cell);
    if (xi < 0 || xi >= cols || yi < 0 || yi >= rows) return setHover('');
    const value = props.values[yi]?.[xi];
    setHover(`${props.xLabel} ${formatNumber(props.xValues[xi], 6)}, ${props.yLabel} ${formatNumber(props.yValues[yi], 6)}: ${props.metric} ${value === null || value === undefined ? 'no result' : formatNumber(value, 4)}`);
  };

  return (
    <figure class="heatmap" data-chart="heatmap">
      <canvas ref={canvas} style={{ width: `${width}px`, height: `${height}px` }} onMouseMove={onMove} onMouseLeave={() => setHover('')} aria-label={`heatmap of ${props.metric} over ${props.xLabel} and ${props.yLabel}`} />
      <figcaption>
        <span class="scale">
          {props.metric}: {formatNumber(min, 4)} <span class="gradient" style={{ background: `linear-gradient(to right, ${divergingColor(0)}, ${divergingColor(0.5)}, ${divergingColor(1)})` }} /> {formatNumber(max, 4)}
        </span>
        <span class="hover">{hover}</span>
      </figcaption>
    </figure>
  );
}

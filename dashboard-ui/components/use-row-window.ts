/**
 * Which rows of a long table of equal-height rows are in (or near) the browser's viewport, so that
 * only those are in the document: a thousand-row page lays out a few dozen rows, not a thousand.
 * The page itself scrolls (scroll bar, wheel, keys, Home/End, a focused link scrolled into view);
 * the rows above and below the window are one spacer each, of their exact height, so the scroll
 * bar and positions are those of the whole table. The row height is measured on a rendered row.
 */
import type { RefObject } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

/** Rows kept beyond each edge of the viewport (a keyboard user tabbing down always finds the next row). */
const OVERSCAN_ROWS = 12;
/** Until a row was measured (the CSS keeps a jobs row at about this height). */
const ESTIMATED_ROW_PX = 33;
const FIRST_WINDOW_ROWS = 40;

export interface RowWindow {
  /** Put on the table's tbody: its top is row 0's. */
  body: RefObject<HTMLTableSectionElement | null>;
  /** Rows start … end − 1 are rendered. */
  start: number;
  end: number;
  rowPx: number;
}

/** The window over `count` rows (count 0: nothing is watched, for a table not windowed). */
export function useRowWindow(count: number): RowWindow {
  const body = useRef<HTMLTableSectionElement>(null);
  const [rowPx, setRowPx] = useState(ESTIMATED_ROW_PX);
  const [range, setRange] = useState({ start: 0, end: FIRST_WINDOW_ROWS });

  useLayoutEffect(() => {
    if (count === 0) return;
    // Scroll events come before the frame is painted, and Preact renders in a microtask: the rows
    // scrolled to are drawn in the same frame.
    const update = (): void => {
      const element = body.current;
      if (!element) return;
      const measured = element.querySelector('tr[data-row]')?.getBoundingClientRect().height;
      const height = measured && measured > 0 ? measured : rowPx;
      if (Math.abs(height - rowPx) > 0.01) setRowPx(height);
      const top = element.getBoundingClientRect().top;
      const start = Math.max(0, Math.floor(-top / height) - OVERSCAN_ROWS);
      const end = Math.min(count, Math.ceil((window.innerHeight - top) / height) + OVERSCAN_ROWS);
      setRange((current) => (current.start === start && current.end === end ? current : { start, end: Math.max(start, end) }));
    };
    update();
    window.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      window.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, [count, rowPx]);

  const end = Math.min(range.end, count);
  return { body, start: Math.min(range.start, end), end, rowPx };
}

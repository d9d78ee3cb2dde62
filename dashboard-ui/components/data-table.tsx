/** A table whose columns sort on click (ascending, then descending), for rankings and per-symbol tables. */
import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';

export interface Column<Row> {
  key: string;
  label: string;
  /** The value sorted on (numbers sort numerically, strings by locale). */
  value: (row: Row) => number | string | null | undefined;
  /** What the cell shows; default the value as text. */
  render?: (row: Row) => ComponentChildren;
  numeric?: boolean;
}

export interface DataTableProps<Row> {
  columns: Column<Row>[];
  rows: readonly Row[];
  initialSort?: { key: string; descending?: boolean };
  /** Data attribute naming the table for tests (e.g. "ranking"). */
  name?: string;
  rowKey?: (row: Row, index: number) => string | number;
  empty?: string;
}

function compare(a: number | string | null | undefined, b: number | string | null | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined || (typeof a === 'number' && Number.isNaN(a))) return 1;
  if (b === null || b === undefined || (typeof b === 'number' && Number.isNaN(b))) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

export function DataTable<Row>(props: DataTableProps<Row>): JSX.Element {
  const [sort, setSort] = useState(props.initialSort ?? { key: '', descending: false });
  const column = props.columns.find((c) => c.key === sort.key);
  const rows = column
    ? [...props.rows].sort((a, b) => {
        const order = compare(column.value(a), column.value(b));
        const missing = column.value(a) == null || column.value(b) == null;
        return sort.descending && !missing ? -order : order;
      })
    : props.rows;
  const onSort = (key: string): void => setSort((current) => ({ key, descending: current.key === key ? !current.descending : true }));
  if (props.rows.length === 0) return <p class="muted">{props.empty ?? 'Nothing to show.'}</p>;
  return (
    <div class="table-scroll">
      <table class="data" data-table={props.name}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.key} class={c.numeric ? 'num' : undefined} aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
                <button type="button" class="sort" onClick={() => onSort(c.key)}>
                  {c.label}
                  {sort.key === c.key ? (sort.descending ? ' ▾' : ' ▴') : ''}
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            <tr key={props.rowKey ? props.rowKey(row, index) : index}>
              {props.columns.map((c) => (
                <td key={c.key} class={c.numeric ? 'num' : undefined}>
                  {c.render ? c.render(row) : String(c.value(row) ?? '–')}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

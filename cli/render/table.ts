import Table from 'cli-table3';

export type Align = 'left' | 'right';

/**
 * A boxed table as a string, without colours (so output piped to files and tests stays plain).
 * align gives each column's alignment (default left).
 */
export function renderTable(head: readonly string[], rows: ReadonlyArray<readonly string[]>, align: readonly Align[] = []): string {
  const table = new Table({
    head: [...head],
    colAligns: head.map((_, i) => align[i] ?? 'left'),
    style: { head: [], border: [], compact: true },
  });
  for (const row of rows) table.push([...row]);
  return table.toString();
}

/** A two-column table of labels and values, for one object (a job's details). */
export function renderKeyValueTable(rows: ReadonlyArray<readonly [string, string]>): string {
  const table = new Table({ style: { head: [], border: [], compact: true } });
  for (const [key, value] of rows) table.push([key, value]);
  return table.toString();
}

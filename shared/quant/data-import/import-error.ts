/**
 * A file that cannot be imported; `row` is the 1-based line of the file at fault (0 = the file as a
 * whole), `field` the import request's field the fault is reported on (the content, or the timeframe
 * declared for it).
 */
export class DataImportError extends Error {
  constructor(
    readonly row: number,
    readonly reason: string,
    readonly field: 'content' | 'timeframe' = 'content',
  ) {
    super(row > 0 ? `row ${row}: ${reason}` : reason);
    this.name = 'DataImportError';
  }
}

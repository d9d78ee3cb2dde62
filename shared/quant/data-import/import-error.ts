/** A file that cannot be imported; `row` is the 1-based line of the file at fault (0 = the file as a whole). */
export class DataImportError extends Error {
  constructor(
    readonly row: number,
    readonly reason: string,
  ) {
    super(row > 0 ? `row ${row}: ${reason}` : reason);
    this.name = 'DataImportError';
  }
}

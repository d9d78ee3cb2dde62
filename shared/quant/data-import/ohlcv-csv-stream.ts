import { finished } from 'node:stream/promises';
import { parse, type Parser } from 'csv-parse';
import { CSV_PARSE_OPTIONS, CsvBarReader, csvSyntaxError, type CsvFormat } from './csv-bar-reader.js';
import type { OhlcvColumnBlocks } from './ohlcv-column-blocks.js';
import type { ImportRules } from './validate-ohlcv.js';

/**
 * A CSV of OHLCV bars read chunk by chunk (the streamed import): the same rules, rows and messages as
 * parseOhlcvCsv of the whole text (both read through CsvBarReader), but what it holds is the bars
 * (48 bytes each, OhlcvColumnBlocks) and the one unfinished line, never the text. write() rejects with
 * the DataImportError of the first bad row; after that the stream is done.
 */
export class OhlcvCsvStream {
  private readonly parser: Parser;
  private readonly reader: CsvBarReader;

  constructor(format: CsvFormat = 'auto', rules: ImportRules = {}) {
    this.reader = new CsvBarReader(format, rules);
    this.parser = parse({ ...CSV_PARSE_OPTIONS, on_record: this.reader.onRecord });
    this.parser.resume();
    this.parser.on('error', () => undefined); // reported by write() and end()
  }

  /** Parses the next piece of the file; rejects with the DataImportError of the first bad row. */
  async write(chunk: Uint8Array): Promise<void> {
    this.throwIfFailed();
    try {
      await new Promise<void>((resolve, reject) => {
        this.parser.write(chunk, (error) => (error ? reject(error) : resolve()));
      });
    } catch (error) {
      this.throwIfFailed();
      throw csvSyntaxError(error);
    }
    this.throwIfFailed();
  }

  /** The file is complete: its bars, or the DataImportError of the first bad row (or of the file as a whole). */
  async end(): Promise<OhlcvColumnBlocks> {
    this.throwIfFailed();
    this.parser.end();
    try {
      await finished(this.parser);
    } catch (error) {
      this.throwIfFailed();
      throw csvSyntaxError(error);
    }
    return this.reader.finish();
  }

  /** Stops parsing (the import was abandoned). */
  destroy(): void {
    this.parser.destroy();
  }

  private throwIfFailed(): void {
    if (this.reader.failure) {
      this.parser.destroy();
      throw this.reader.failure;
    }
  }
}

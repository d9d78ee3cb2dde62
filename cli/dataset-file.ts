import { createReadStream, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { IMPORT_SEND_BYTES } from '../shared/grpc/message-limits.js';
import { isParquet } from '../shared/quant/data-import/parse-ohlcv-parquet.js';
import { CliError, UsageError } from './cli-error.js';

export const DATASET_FILE_FORMATS = ['auto', 'header', 'binance', 'parquet'];

/** A file of bars ready to stream (data import, data append): its size, the format to send, its read stream. */
export interface DatasetFile {
  size: number;
  format: string;
  content: ReadStream;
}

/**
 * Opens a file of OHLCV bars to stream it, never reading it whole: any size, little memory. A file
 * said to be Parquet must start with PAR1 (sent as auto, which the coordinator tells by those bytes).
 */
export async function openDatasetFile(file: string, formatFlag: string): Promise<DatasetFile> {
  if (!DATASET_FILE_FORMATS.includes(formatFlag)) throw new UsageError(`--format: "${formatFlag}" is not one of ${DATASET_FILE_FORMATS.join(', ')}`);
  let size: number;
  let start: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      size = (await handle.stat()).size;
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
      start = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let format = formatFlag;
  if (format === 'parquet') {
    if (!isParquet(start)) throw new CliError(`content: ${file} is not a Parquet file (it does not start with the magic bytes PAR1)`);
    format = 'auto';
  }
  return { size, format, content: createReadStream(file, { highWaterMark: IMPORT_SEND_BYTES }) };
}

/** Streams the file with `send`; a read error becomes one line naming the file. */
export async function sendDatasetFile<T>(file: string, opened: DatasetFile, send: (content: ReadStream) => Promise<T>): Promise<T> {
  return send(opened.content)
    .catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (typeof code === 'string') throw new CliError(`cannot read ${file}: ${code}`);
      throw error;
    })
    .finally(() => opened.content.destroy());
}

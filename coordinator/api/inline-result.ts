import { INLINE_RESULT_MAX_BYTES } from '../../shared/grpc/message-limits.js';

/** How a result travels in a Job or JobEvent: inline when small, else only its size (GetJobResult streams it). */
export interface InlineResult {
  resultJson: string;
  resultBytes: number;
  resultTruncated: boolean;
}

/** The result fields of a Job or JobEvent for a result (JSON; '' = none): inline up to INLINE_RESULT_MAX_BYTES. */
export function inlineResult(resultJson: string, maxBytes = INLINE_RESULT_MAX_BYTES): InlineResult {
  const resultBytes = Buffer.byteLength(resultJson, 'utf8');
  if (resultBytes <= maxBytes) return { resultJson, resultBytes, resultTruncated: false };
  return { resultJson: '', resultBytes, resultTruncated: true };
}

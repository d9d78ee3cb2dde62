/** How much of an input value a message quotes (escaped characters count as written). */
export const QUOTED_INPUT_MAX = 100;

/**
 * An input value (an id, a name) as a message quotes it: in double quotes, escaped as in JSON
 * (control characters can not garble a log line or a terminal), and cut after about `max`
 * characters with an ellipsis and the original length. Echoing unbounded input would let a 10 KB
 * id make a 10 KB error, over what gRPC clients accept in a status.
 */
export function quoteInput(value: string, max = QUOTED_INPUT_MAX): string {
  let quoted = '';
  for (const char of value) {
    const escaped = JSON.stringify(char).slice(1, -1);
    if (quoted.length + escaped.length > max) return `"${quoted}…" (${value.length} characters)`;
    quoted += escaped;
  }
  return `"${quoted}"`;
}

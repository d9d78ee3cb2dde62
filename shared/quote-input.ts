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

/** A key an input map may use that a field path shows as is: an identifier of at most 64 characters. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * The field path of an entry of an input map (e.g. "backtest.params.fast"), for messages that name
 * it: a key that is not a short identifier is quoted and bounded by quoteInput
 * (`backtest.params["…" (5000 characters)]`), so the key cannot make the message long or garble it.
 * Use it for every field path built from a key the input chose.
 */
export function inputFieldPath(parent: string, key: string): string {
  return PLAIN_KEY.test(key) ? `${parent}.${key}` : `${parent}[${quoteInput(key)}]`;
}

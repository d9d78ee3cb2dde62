import { cliKindByName } from '../kinds/index.js';

/**
 * Job results (Job.result_json, parsed) as text: each kind renders its own typed result
 * (cli/kinds/<kind>.ts); a result of a kind this CLI does not know shows as indented JSON.
 */

/** The parsed result_json; null when empty. Text that is not JSON is returned as a string. */
export function parseResultJson(resultJson: string): unknown {
  if (!resultJson) return null;
  try {
    return JSON.parse(resultJson) as unknown;
  } catch {
    return resultJson;
  }
}

/** A job's result as text; `kind` is the job's (Job.kind). */
export function renderResult(result: unknown, kind: string): string {
  if (result === null || result === undefined) return '(no result)';
  if (typeof result === 'string') return result;
  const cli = cliKindByName(kind);
  return cli ? cli.renderResult(result) : JSON.stringify(result, null, 2);
}

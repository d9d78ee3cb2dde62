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

/** A result as text. `kind` is the job's (Job.kind); without it, a result that names its kind is rendered as that kind. */
export function renderResult(result: unknown, kind?: string): string {
  if (result === null || result === undefined) return '(no result)';
  if (typeof result === 'string') return result;
  const named = typeof result === 'object' && typeof (result as { kind?: unknown }).kind === 'string' ? (result as { kind: string }).kind : undefined;
  const cli = cliKindByName(kind || named || '');
  return cli ? cli.renderResult(result) : JSON.stringify(result, null, 2);
}

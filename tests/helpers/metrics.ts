/** Reading a Prometheus /metrics endpoint in tests: one scrape, and one sample's value out of it. */
import assert from 'node:assert/strict';

/** The text exposition of url (asserting HTTP 200), with `Authorization: Bearer token` when given. */
export async function scrape(url: string, token?: string): Promise<string> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5_000) });
  assert.equal(response.status, 200, `${url}: HTTP ${response.status}`);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  return response.text();
}

/**
 * The value of the sample `name{labels}` (labels matched exactly, in any order; {} = no labels), or
 * undefined when the text has no such sample. Parsed here from the text format, not by prom-client.
 */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]] as const).sort(([a], [b]) => a.localeCompare(b));
    if (found.length === wanted.length && found.every(([key, value], i) => key === wanted[i][0] && value === wanted[i][1])) return Number(match[3]);
  }
  return undefined;
}

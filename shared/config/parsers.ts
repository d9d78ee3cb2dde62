import { InvalidArgumentError } from 'commander';

/** Parses durations like "500ms", "3s", "2m", "1h" (a bare number is seconds) into milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) throw new InvalidArgumentError(`"${text}" is not a duration (e.g. 500ms, 3s, 2m)`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return value * factor;
}

export function parsePositiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`"${text}" is not a positive integer`);
  return value;
}

export function parseNonNegativeInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new InvalidArgumentError(`"${text}" is not a non-negative integer`);
  return value;
}

export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** "host:port" with a port from 0 to 65535 (0 = any free port). */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || !match[1] || port > 65535) throw new InvalidArgumentError(`"${text}" is not HOST:PORT`);
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** An http(s) URL (Consul) or redis(s) URL. */
export function parseUrl(protocols: string[]): (text: string) => URL {
  return (text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidArgumentError(`"${text}" is not a URL`);
    }
    if (!protocols.includes(url.protocol.replace(/:$/, ''))) {
      throw new InvalidArgumentError(`"${text}" must start with ${protocols.map((p) => `${p}://`).join(' or ')}`);
    }
    return url;
  };
}

import { InvalidArgumentError } from 'commander';

const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses durations like "500ms", "3s", "2m", "1m30s" into milliseconds. A unit is required: a bare
 * number is ambiguous between milliseconds and seconds.
 * Throws commander's InvalidArgumentError, so it serves directly as an option parser.
 */
export function parseDurationMs(text: string): number {
  const trimmed = text.trim();
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(trimmed)) !== null) {
    total += Number(match[1]) * DURATION_UNIT_MS[match[2]];
    consumed = pattern.lastIndex;
  }
  if (trimmed === '' || consumed !== trimmed.length || !Number.isFinite(total)) {
    throw new InvalidArgumentError(`"${text}" is not a duration (use e.g. 500ms, 3s, 1m, 1m30s, 2h, 7d)`);
  }
  return Math.round(total);
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

/** An integer from min to max (digits only: no sign, no fraction, no exponent). */
export function parseIntegerFrom(min: number, max: number): (text: string) => number {
  return (text) => {
    const trimmed = text.trim();
    const value = /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`"${text}" must be an integer from ${min} to ${max}`);
    }
    return value;
  };
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** A byte count: an integer, or a number with a unit (KB MB GB TB: powers of 1000; KiB MiB GiB TiB: of 1024). */
export function parseByteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unitName = match?.[2].toLowerCase() ?? '';
  const unit = match && Object.hasOwn(BYTE_UNITS, unitName) ? BYTE_UNITS[unitName] : undefined;
  const value = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : NaN;
  if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`"${text}" is not a byte count (e.g. 10737418240, 500MiB, 20GB)`);
  return value;
}

/** A duration (see parseDurationMs) of at least minMs; tooShort says why when it is shorter. */
export function parseDurationAtLeast(minMs: number, tooShort: string): (text: string) => number {
  return (text) => {
    const ms = parseDurationMs(text);
    if (ms < minMs) throw new InvalidArgumentError(tooShort);
    return ms;
  };
}

/** Text with no surrounding white space that is not empty. */
export function parseNonEmpty(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw new InvalidArgumentError('must not be empty');
  return trimmed;
}

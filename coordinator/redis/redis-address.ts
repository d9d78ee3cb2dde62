import { InvalidArgumentError } from 'commander';
import { parseUrl } from '../../shared/config/parsers.js';

/** The port a Redis Sentinel listens on unless the address says otherwise. */
export const DEFAULT_SENTINEL_PORT = 26379;

export interface SentinelEndpoint {
  host: string;
  port: number;
}

/**
 * Where the coordinator finds Redis (--redis): one server at a URL, or the master a group of Redis
 * Sentinels names (it follows the master through failovers).
 */
export type RedisAddress =
  | { kind: 'server'; url: URL; tls: boolean }
  | {
      kind: 'sentinel';
      sentinels: SentinelEndpoint[];
      /** The master's name in the sentinels' configuration (`sentinel monitor NAME …`). */
      masterName: string;
      db: number;
      /** The master's (and replicas') credentials from the address; --redis-password-file overrides the password. */
      username?: string;
      password?: string;
      /** sentinels://: TLS to the sentinels and to the Redis servers they name. */
      tls: boolean;
    };

const SENTINEL_ADDRESS = /^(sentinels?):\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^/?#]*))?\/?(?:\?([^#]*))?$/;

function decoded(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new InvalidArgumentError(`${what} "${text}" is not valid percent-encoding`);
  }
}

/** "host", "host:port", "[v6]" or "[v6]:port" → a sentinel endpoint (port 26379 unless given). */
function parseSentinelEndpoint(text: string): SentinelEndpoint {
  const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  const port = match?.[2] === undefined ? DEFAULT_SENTINEL_PORT : Number(match[2]);
  if (!match || port < 1 || port > 65535) throw new InvalidArgumentError(`sentinel "${text}" is not HOST or HOST:PORT (port 1 to 65535)`);
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

function parseSentinelAddress(text: string, match: RegExpExecArray): RedisAddress {
  const [, scheme, credentials, hosts, name, query] = match;
  const form = `${scheme}://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]…]/MASTER[?db=N]`;
  if (!hosts) throw new InvalidArgumentError(`"${text}" names no sentinel (${form})`);
  const sentinels = hosts.split(',').map((host) => parseSentinelEndpoint(host.trim()));
  const masterName = decoded(name ?? '', 'the master name');
  if (!masterName) throw new InvalidArgumentError(`"${text}" names no master (${form})`);
  let db = 0;
  for (const [key, value] of new URLSearchParams(query ?? '')) {
    if (key !== 'db') throw new InvalidArgumentError(`unknown parameter "${key}" in "${text}" (only db=N)`);
    if (!/^\d{1,5}$/.test(value)) throw new InvalidArgumentError(`db "${value}" is not a database number`);
    db = Number(value);
  }
  let username: string | undefined;
  let password: string | undefined;
  if (credentials !== undefined) {
    const colon = credentials.indexOf(':');
    const user = decoded(colon < 0 ? credentials : credentials.slice(0, colon), 'the user name');
    username = user || undefined;
    password = colon < 0 ? undefined : decoded(credentials.slice(colon + 1), 'the password') || undefined;
  }
  return { kind: 'sentinel', sentinels, masterName, db, username, password, tls: scheme === 'sentinels' };
}

/**
 * --redis: redis://HOST:PORT or rediss://HOST:PORT (one server), or
 * sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]…]/MASTER[?db=N] (sentinels:// for TLS):
 * the master the sentinels name. Throws commander's InvalidArgumentError with the reason.
 */
export function parseRedisAddress(text: string): RedisAddress {
  const trimmed = text.trim();
  const sentinel = SENTINEL_ADDRESS.exec(trimmed);
  if (sentinel) return parseSentinelAddress(trimmed, sentinel);
  if (/^sentinels?:/i.test(trimmed)) throw new InvalidArgumentError(`"${text}" is not like sentinel://HOST:PORT,HOST:PORT/MASTER`);
  // Sentinel schemes are listed for the message only: a sentinel address never gets here.
  const url = parseUrl(['redis', 'rediss', 'sentinel', 'sentinels'])(trimmed);
  return { kind: 'server', url, tls: url.protocol === 'rediss:' };
}

/** The address for logs and messages: hosts, ports and the master's name, never a password. */
export function redisDisplayName(address: RedisAddress): string {
  if (address.kind === 'server') return `${address.url.protocol}//${address.url.host}`;
  const hosts = address.sentinels.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
  return `${address.tls ? 'sentinels' : 'sentinel'}://${hosts}/${encodeURIComponent(address.masterName)}`;
}

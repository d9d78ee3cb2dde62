/** The --consul option of the coordinator and the node agent: the Consul agent's HTTP address. */
import { InvalidArgumentError, Option } from 'commander';
import { defaultFromText } from './command-line.js';

export const DEFAULT_CONSUL_URL = 'http://127.0.0.1:8500';

export interface ConsulEndpoint {
  /** As given, normalised (no trailing slash). */
  url: string;
  host: string;
  port: number;
  secure: boolean;
}

/** An http(s) URL with a host and no path. */
export function parseConsulUrl(text: string): ConsulEndpoint {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new InvalidArgumentError(`"${text}" is not a URL (e.g. ${DEFAULT_CONSUL_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`"${text}" must be an http:// or https:// URL`);
  if (!url.hostname) throw new InvalidArgumentError(`"${text}" has no host`);
  if (url.pathname !== '/' && url.pathname !== '') throw new InvalidArgumentError(`"${text}" must not have a path`);
  const secure = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { url: `${url.protocol}//${url.host}`, host, port, secure };
}

/** --consul <url> (QUANTGRID_CONSUL), parsed into a ConsulEndpoint; description says what the process uses it for. */
export function consulOption(description: string): Option {
  return defaultFromText(new Option('--consul <url>', description).env('QUANTGRID_CONSUL').argParser(parseConsulUrl), DEFAULT_CONSUL_URL);
}

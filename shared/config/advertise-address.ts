/**
 * The address other machines reach a server at, given the host it binds to. Agents register it in
 * Consul; the coordinator hands it to agents as the place to fetch datasets from.
 */
import os from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import { describedDefault } from './command-line.js';

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

export function isWildcard(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return bare === '0.0.0.0' || bare === '::' || bare === '';
}

/** The first non-internal IPv4 address of this machine, or undefined. */
export function firstExternalIPv4(interfaces = os.networkInterfaces()): string | undefined {
  for (const addresses of Object.values(interfaces)) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

/** What defaultAdvertiseAddress picks, as --help says it. */
export const DEFAULT_ADVERTISE_ADDRESS_TEXT = '127.0.0.1 on a loopback host, the bound address, else the first non-internal IPv4';

/**
 * Default advertise address: 127.0.0.1 when bound to loopback; the bound address itself when it is a
 * specific one; for a wildcard bind the first non-internal IPv4 (127.0.0.1 when the machine has none).
 */
export function defaultAdvertiseAddress(host: string, interfaces = os.networkInterfaces()): string {
  if (isLoopback(host)) return '127.0.0.1';
  if (!isWildcard(host)) return host.replace(/^\[(.*)\]$/, '$1');
  return firstExternalIPv4(interfaces) ?? '127.0.0.1';
}

/** An address given to others to reach a server at: a host name or IP (brackets around IPv6 dropped), never a wildcard. */
export function parseAdvertiseAddress(text: string): string {
  const address = text.trim().replace(/^\[(.*)\]$/, '$1');
  if (address === '' || /[\s/]/.test(address) || isWildcard(address)) {
    throw new InvalidArgumentError(`"${text}" is not an address others can reach`);
  }
  return address;
}

/** --advertise-address <address> with its environment variable; null unless given (then defaultAdvertiseAddress applies). */
export function advertiseAddressOption(envVar: string, description: string): Option {
  return describedDefault(new Option('--advertise-address <address>', description).env(envVar).argParser(parseAdvertiseAddress), DEFAULT_ADVERTISE_ADDRESS_TEXT);
}

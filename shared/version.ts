import { readFileSync } from 'node:fs';

/** quantgrid's version, from package.json; agents and coordinators of another major.minor do not work together. */
export const QUANTGRID_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Versions are compatible when major and minor agree. */
export function isCompatibleVersion(a: string, b: string): boolean {
  const [aMajor, aMinor] = a.split('.');
  const [bMajor, bMinor] = b.split('.');
  return aMajor === bMajor && aMinor === bMinor;
}

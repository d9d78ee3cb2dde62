import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { QUANTGRID_VERSION } from '../shared/version.js';

/** Set to 1, the CLI compiles its packages' bundles every time (no code cache read or written). */
export const NO_CODE_CACHE_ENV = 'QUANTGRID_NO_CODE_CACHE';

/** The per-user folder of the code cache: $XDG_CACHE_HOME/quantgrid/code-cache (~/.cache/… by default). */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'quantgrid', 'code-cache');
}

/** What requireWithCodeCache did: compiled from the cache (hit), compiled and will write it (miss), or no cache. */
export type CodeCacheOutcome = 'hit' | 'miss' | 'off';

/**
 * Runs a CommonJS bundle (a package bundled at build time, scripts/build-cli.ts) and returns its
 * exports, compiled with V8's code cache of an earlier run when there is one: Node 20 compiles every
 * function of a package anew at each start, most of what loading gRPC and commander costs the CLI
 * (docs/benchmarks.md, "CLI startup"). The cache file is named for quantgrid's version, Node's, and
 * the bundle's size and modification time, so a rebuilt bundle never meets an old cache (V8 itself
 * only checks the source's length); V8 refuses a cache of another V8. On a miss the cache is written
 * when the process exits (the functions this run compiled included), readable by the user only;
 * any failure to read or write it only costs the compile.
 */
export function requireWithCodeCache(file: string | URL, env: NodeJS.ProcessEnv = process.env): { exports: unknown; cache: CodeCacheOutcome } {
  const filename = file instanceof URL ? fileURLToPath(file) : file;
  const source = readFileSync(filename, 'utf8');
  const useCache = env[NO_CODE_CACHE_ENV] !== '1';
  const dir = codeCacheDir(env);
  // One cache per bundle file: two checkouts of the same version do not evict each other's.
  const stem = `${path.basename(filename)}-${pathHash(path.dirname(filename))}-`;
  let cacheFile: string | undefined;
  let cachedData: Buffer | undefined;
  if (useCache) {
    try {
      const stat = statSync(filename);
      cacheFile = path.join(dir, `${stem}${QUANTGRID_VERSION}-${process.version}-${stat.size}-${Math.trunc(stat.mtimeMs)}.v8`);
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  // The wrapper Node gives a CommonJS module; the bundle's require() resolves from its own folder.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename, cachedData });
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(filename), module, filename, path.dirname(filename));
  if (!useCache || !cacheFile) return { exports: module.exports, cache: 'off' };
  if (cachedData && !script.cachedDataRejected) return { exports: module.exports, cache: 'hit' };
  const target = cacheFile;
  process.once('exit', () => writeCache(dir, stem, target, script));
  return { exports: module.exports, cache: 'miss' };
}

/** A short hash of a path (FNV-1a, 32 bits, hex): names the folder a bundle is in. */
function pathHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function writeCache(dir: string, stem: string, target: string, script: vm.Script): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Caches of earlier builds of the same bundle go.
    for (const name of readdirSync(dir)) if (name.startsWith(stem) && path.join(dir, name) !== target) unlinkSync(path.join(dir, name));
    const partial = `${target}.${process.pid}.tmp`;
    writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
    renameSync(partial, target);
  } catch {
    // No cache this time: the next run compiles again.
  }
}

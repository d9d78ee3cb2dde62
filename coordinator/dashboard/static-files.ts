/**
 * The dashboard's pages: the UI bundle built into dist/dashboard-ui/ (index.html and its assets),
 * served from memory once read (a coordinator serves the build it first read: restart it after a rebuild). Paths that are not files are the single-page app's routes
 * (/jobs/ID …): they get index.html. Nothing is fetched from elsewhere (no CDN): it works offline.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/dashboard-ui/, beside this file's dist/coordinator/. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../dashboard-ui/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** What the pages may load and do: their own files only. */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export class StaticFiles {
  /** Files read (misses are not kept: a build after the start is served). */
  private readonly cache = new Map<string, Buffer>();

  constructor(readonly root: string = DEFAULT_ASSETS_DIR) {}

  private async read(relative: string): Promise<Buffer | undefined> {
    const cached = this.cache.get(relative);
    if (cached) return cached;
    let bytes: Buffer;
    try {
      bytes = await readFile(path.join(this.root, relative));
    } catch {
      return undefined;
    }
    if (this.cache.size < 1000) this.cache.set(relative, bytes);
    return bytes;
  }

  /** Answers a GET or HEAD of a page or asset. */
  async serve(urlPath: string, head: boolean, response: ServerResponse): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      decoded = '/';
    }
    // Normalised within the root: "..", "//" and backslashes cannot leave it.
    const relative = path.posix.normalize(`/${decoded.replace(/\\/g, '/')}`).slice(1);
    const asset = relative === '' || relative.includes('\0') ? undefined : await this.read(relative);
    const file = asset ? relative : 'index.html';
    const bytes = asset ?? (path.posix.extname(relative) === '' || relative === '' ? await this.read('index.html') : undefined);
    if (!bytes) {
      const built = await this.read('index.html');
      response
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end(built ? `not found: ${urlPath}\n` : `the dashboard's pages are not built here (${this.root}): run bash scripts/build.sh; the API is at /api/\n`);
      return;
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[path.posix.extname(file)] ?? 'application/octet-stream',
      'content-length': bytes.length,
      'cache-control': 'no-cache',
      'content-security-policy': CONTENT_SECURITY_POLICY,
    });
    response.end(head ? undefined : bytes);
  }
}

/**
 * Bundles the dashboard's browser code (dashboard-ui/, Preact + uPlot) into dist/dashboard-ui/: index.html,
 * app.js, app.css and their source maps, which the coordinator's HTTP server serves at /. Everything the
 * page needs is in those files (no CDN: it works offline). Run by scripts/build.sh after tsc.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = join(ROOT, 'dashboard-ui');
/** Where the bundle goes, relative to the repository: dist/dashboard-ui/. */
export const DASHBOARD_UI_OUT = join(ROOT, 'dist', 'dashboard-ui');

/** Bundles into outdir; the bundle's metafile (its inputs and outputs). */
export async function buildDashboardUi(outdir = DASHBOARD_UI_OUT): Promise<Metafile> {
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: { app: join(SOURCE, 'main.tsx') },
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: true,
    outdir,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(SOURCE, 'tsconfig.json'),
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
  });
  if (result.errors.length > 0) throw new Error(`dashboard-ui: ${result.errors.length} bundling error(s)`);
  await copyFile(join(SOURCE, 'index.html'), join(outdir, 'index.html'));
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildDashboardUi().catch((error: unknown) => {
    console.error(`quantgrid build: dashboard-ui: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

import { build, type Plugin } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { errorMessage, ValidationError } from '../errors.js';
import { MAX_STRATEGY_BUNDLE_BYTES } from './strategy-limits.js';

/** The SDK a strategy imports as quantgrid/strategy: bundled with it (it runs in the sandbox). */
const SDK_ENTRY = fileURLToPath(new URL('../strategy-sdk/index.js', import.meta.url));
export const SDK_SPECIFIER = 'quantgrid/strategy';

/** Only the file's own local imports and the SDK are bundled; anything else is refused by name. */
const onlyLocalImports: Plugin = {
  name: 'quantgrid-local-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.path === SDK_SPECIFIER) return { path: SDK_ENTRY };
      if (args.path.startsWith('.') || args.path.startsWith('/')) return undefined;
      if (args.importer.startsWith(fileURLToPath(new URL('../strategy-sdk/', import.meta.url)))) return undefined;
      return { errors: [{ text: `only local files and ${SDK_SPECIFIER} can be imported, not "${args.path}" (a strategy runs in a sandbox without Node's modules)` }] };
    });
  },
};

/**
 * Bundles a strategy file (.ts or .js, ES module, `export default defineStrategy({ … })`) and its
 * local imports into one script for the sandbox: an IIFE that assigns the module's exports to
 * __strategyModule (the name sandboxed-strategy.ts reads). Throws ValidationError('file', …).
 */
export async function bundleStrategy(file: string): Promise<string> {
  let code: string;
  try {
    const result = await build({
      entryPoints: [file],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: '__strategyModule',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2022',
      logLevel: 'silent',
      legalComments: 'none',
      plugins: [onlyLocalImports],
    });
    code = result.outputFiles[0].text;
  } catch (error) {
    const errors = (error as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> }).errors;
    const first = errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new ValidationError('file', first ? `${where}${first.text}` : errorMessage(error));
  }
  if (Buffer.byteLength(code) > MAX_STRATEGY_BUNDLE_BYTES) throw new ValidationError('file', `the bundle is over ${MAX_STRATEGY_BUNDLE_BYTES / 1024} KiB`);
  return code;
}

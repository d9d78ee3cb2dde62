/**
 * Bundles the CLI (tsc's dist/cli/main.js and what it imports, packages included) into dist/bin/:
 * quantgrid.js, the command users run (package.json "bin"), and the chunks it imports, one per
 * command and per group of modules commands share — so that a command still loads only what it runs
 * (cli/command-list.ts), but as a few files Node reads and compiles at once instead of a few hundred
 * it resolves one by one (docs/benchmarks.md, "CLI startup"). quantgrid.js itself is CommonJS (what
 * `--version` and `--help` run, without starting Node's ES-module loader: about half of what they ran
 * over a bare Node); it imports the program, program.mjs, and the chunks, ES modules. The largest packages are bundled
 * apart, as CommonJS files in dist/bin/vendor/ that the chunks load through cli/code-cache.ts, with
 * V8's code cache of an earlier run. It also renders every command's `--help` text into
 * dist/cli/help-texts.json (cli/help-render.ts), which the CLI prints without loading commander.
 * Run by scripts/build.sh after tsc.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(ROOT, 'dist');
/** Where the bundle goes: dist/bin/ (quantgrid.js and its chunks, side by side). */
export const CLI_BUNDLE_OUT = join(DIST, 'bin');

/**
 * Packages left out of the bundle, loaded from node_modules when (if ever) their code runs: esbuild
 * and TypeScript (strategy push: native binaries, a compiler of their own), and proto-loader, which
 * gRPC requires only for its channelz and ORCA services, which the CLI does not use.
 */
const EXTERNAL = ['esbuild', 'typescript', '@grpc/proto-loader'];

/**
 * The packages loaded with V8's code cache (cli/code-cache.ts), each bundled into one CommonJS file
 * dist/bin/vendor/<file>: commander (every command and --help), gRPC and protobuf.js (every command
 * that calls the coordinator). Their compile is most of what the CLI spends before it works.
 */
const CACHED_PACKAGES: Record<string, string> = {
  commander: 'commander.cjs',
  '@grpc/grpc-js': 'grpc-js.cjs',
  'protobufjs/light.js': 'protobufjs-light.cjs',
};

const requireHere = createRequire(import.meta.url);

/** Bundles each of CACHED_PACKAGES into outdir/vendor/. */
async function buildCachedPackages(outdir: string): Promise<void> {
  for (const [specifier, file] of Object.entries(CACHED_PACKAGES)) {
    const result = await build({
      stdin: { contents: `module.exports = require(${JSON.stringify(specifier)});`, resolveDir: ROOT, loader: 'js' },
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      outfile: join(outdir, 'vendor', file),
      external: EXTERNAL,
      legalComments: 'linked',
      logLevel: 'warning',
    });
    if (result.errors.length > 0) throw new Error(`cli: ${specifier}: ${result.errors.length} bundling error(s)`);
  }
}

/**
 * Imports of CACHED_PACKAGES in the chunks become their vendor file, run by requireWithCodeCache,
 * with the package's own export names (read here, from the package as installed).
 */
function cachedPackages(): Plugin {
  const filter = new RegExp(`^(${Object.keys(CACHED_PACKAGES).map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
  return {
    name: 'cached-packages',
    setup(bundler) {
      bundler.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'cached-package' }));
      bundler.onLoad({ filter: /.*/, namespace: 'cached-package' }, (args) => {
        const names = Object.keys(requireHere(args.path) as object).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
        const loader = join(DIST, 'cli', 'code-cache.js');
        return {
          contents: [
            `import { requireWithCodeCache } from ${JSON.stringify(loader)};`,
            `const loaded = requireWithCodeCache(new URL(${JSON.stringify(`./vendor/${CACHED_PACKAGES[args.path]}`)}, import.meta.url)).exports;`,
            'export default loaded;',
            names.length > 0 ? `export const { ${names.join(', ')} } = loaded;` : '',
          ].join('\n'),
          loader: 'js',
          resolveDir: ROOT,
        };
      });
    },
  };
}

/**
 * Each compiled module's `import.meta.url` as it was before bundling (that of its file in dist/,
 * reached from the bundle's own URL), so that the files a module finds next to itself (package.json,
 * the proto descriptor, the strategy SDK) are still found.
 */
function keepModuleUrls(outdir: string, bundleUrl: string): Plugin {
  return {
    name: 'keep-module-urls',
    setup(bundler) {
      bundler.onLoad({ filter: /\.js$/ }, async (args) => {
        if (!args.path.startsWith(DIST + sep)) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
        const own = relative(outdir, args.path).split(sep).join('/');
        return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(own)}, ${bundleUrl}).href`), loader: 'js' };
      });
    },
  };
}

/** The URL of the bundle file a module is in: an ES module's own, a CommonJS file's from its __filename. */
const ESM_BUNDLE_URL = 'import.meta.url';
const CJS_BUNDLE_URL = 'require("node:url").pathToFileURL(__filename)';

/** The program (cli/program.ts) as main.ts imports it, and the file it is bundled into (an ES module next to quantgrid.js). */
const PROGRAM_MODULE = './program.js';
const PROGRAM_BUNDLE = './program.mjs';

/** main.ts's import of the program, in the CommonJS entry: the ES-module bundle of it, loaded when run. */
function programAsBundled(): Plugin {
  const main = join(DIST, 'cli', 'main.js');
  return {
    name: 'program-as-bundled',
    setup(bundler) {
      bundler.onResolve({ filter: /^\.\/program\.js$/ }, (args) => (args.importer === main && args.path === PROGRAM_MODULE ? { path: PROGRAM_BUNDLE, external: true } : undefined));
    },
  };
}

/** Bundles into outdir; the bundle's metafile (its inputs and outputs). */
export async function buildCli(outdir = CLI_BUNDLE_OUT): Promise<Metafile> {
  // No chunk of an earlier build stays behind.
  await rm(outdir, { recursive: true, force: true });
  await buildCachedPackages(outdir);
  // The program and its chunks: ES modules (.mjs), split per command.
  const result = await build({
    entryPoints: { [PROGRAM_BUNDLE.replace(/^\.\/|\.mjs$/g, '')]: join(DIST, 'cli', 'program.js') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    external: EXTERNAL,
    // The packages written as CommonJS call require() for Node's modules: give the bundle one.
    banner: { js: "import { createRequire as createQuantgridRequire } from 'node:module';\nconst require = createQuantgridRequire(import.meta.url);" },
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
    plugins: [cachedPackages(), keepModuleUrls(outdir, ESM_BUNDLE_URL)],
  });
  if (result.errors.length > 0) throw new Error(`cli: ${result.errors.length} bundling error(s)`);
  // The entry: CommonJS (the folder's package.json says so), the few modules of --version and --help inlined.
  const entry = await build({
    entryPoints: { quantgrid: join(DIST, 'cli', 'main.js') },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outdir,
    external: EXTERNAL,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
    plugins: [programAsBundled(), keepModuleUrls(outdir, CJS_BUNDLE_URL)],
  });
  if (entry.errors.length > 0) throw new Error(`cli: entry: ${entry.errors.length} bundling error(s)`);
  await writeFile(join(outdir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
  // Every command's --help, rendered from tsc's output of the same definitions (cli/help-texts.ts).
  await (await import('../cli/help-render.js')).writeHelpTexts();
  return { inputs: { ...result.metafile.inputs, ...entry.metafile.inputs }, outputs: { ...result.metafile.outputs, ...entry.metafile.outputs } };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildCli().catch((error: unknown) => {
    console.error(`quantgrid build: cli: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

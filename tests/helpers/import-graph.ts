import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A static import or re-export (`import … from '…'`, `import '…'`, `export … from '…'`) at the start of a line. */
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

/**
 * What loading a compiled module loads before any of its code runs: the local modules reached by
 * static imports from `entry` (a .js file), and the packages they import, each with the chain of
 * modules that leads to it (dynamic import() is not followed: it loads only when its code runs).
 */
export function staticImports(entry: string): { modules: Set<string>; packages: Map<string, string[]> } {
  const start = resolve(entry);
  const importer = new Map<string, string | undefined>([[start, undefined]]);
  const packages = new Map<string, string[]>();
  const chain = (file: string): string[] => {
    const files: string[] = [];
    for (let at: string | undefined = file; at; at = importer.get(at)) files.push(at);
    return files;
  };
  const pending = [start];
  while (pending.length > 0) {
    const file = pending.pop()!;
    for (const match of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const specifier = match[1];
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (!importer.has(target) && existsSync(target)) {
          importer.set(target, file);
          pending.push(target);
        }
      } else if (!specifier.startsWith('node:') && !packages.has(specifier)) {
        packages.set(specifier, chain(file));
      }
    }
  }
  return { modules: new Set(importer.keys()), packages };
}

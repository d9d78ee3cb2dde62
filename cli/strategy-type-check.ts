import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The SDK's TypeScript source, shipped with the package: what `quantgrid/strategy` is type-checked against. */
const SDK_SOURCE = fileURLToPath(new URL('../../shared/strategy-sdk/index.ts', import.meta.url));

/**
 * Type-checks a TypeScript strategy file (and its local imports) against the SDK's types, strict, as
 * `strategy push` does before bundling: the errors as "file:line: message" lines, none when it is
 * fine. Returns undefined when TypeScript is not installed here (the push then goes on unchecked:
 * the sandbox and the push check still guard what runs).
 */
export async function typeCheckStrategy(file: string): Promise<string[] | undefined> {
  let ts: typeof import('typescript');
  try {
    ts = (await import('typescript')).default;
  } catch {
    return undefined;
  }
  if (!existsSync(SDK_SOURCE)) return undefined;
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts'],
    types: [],
    skipLibCheck: true,
    paths: { 'quantgrid/strategy': [SDK_SOURCE] },
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (!d.file || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName}:${line + 1}: ${text}`;
  });
}

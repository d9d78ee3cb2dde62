/** The flags that print quantgrid's version (commander's `.version()` in program.ts takes them as written). */
export const VERSION_FLAGS = '-V, --version';

const FLAGS = new Set(VERSION_FLAGS.split(/[ ,]+/));

/**
 * True when the arguments are only a version flag: main.ts then prints the version itself, without
 * loading commander and the program (what commander prints for them is the same line, a test checks it).
 */
export function asksOnlyVersion(args: readonly string[]): boolean {
  return args.length === 1 && FLAGS.has(args[0]);
}

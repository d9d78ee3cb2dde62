import { readFileSync } from 'node:fs';

/**
 * The `--help` texts of every command, rendered at build time from the commander definitions
 * (cli/help-render.ts, run by scripts/build-cli.ts) into this JSON file next to the compiled CLI:
 * main.ts prints them without loading commander or the program. Keyed by the command's words
 * ('' for the program itself, 'jobs', 'data import', aliases too).
 */
export const HELP_TEXTS_FILE = new URL('./help-texts.json', import.meta.url);

/** The width the texts are wrapped at: commander's own when stdout is not a terminal. */
export const HELP_TEXTS_WIDTH = 80;

const HELP_FLAGS = new Set(['-h', '--help']);

/**
 * The key of the help text the arguments ask for: command words, then a lone help flag last;
 * undefined for anything else (a flag before it, a value, `help <command>`), which commander answers.
 */
export function helpTextKey(args: readonly string[]): string | undefined {
  if (args.length === 0 || !HELP_FLAGS.has(args[args.length - 1])) return undefined;
  const words = args.slice(0, -1);
  if (words.some((word) => !/^[a-z][a-z0-9-]*$/.test(word))) return undefined;
  return words.join(' ');
}

/** The width commander would wrap help at on this stdout (its own rule: the terminal's columns, else 80). */
export function helpWidthOf(stdout: { isTTY?: boolean; columns?: number }): number {
  return (stdout.isTTY ? stdout.columns : undefined) ?? HELP_TEXTS_WIDTH;
}

/**
 * The prebuilt help text the arguments ask for, or undefined when commander has to answer: no such
 * command, a terminal of another width than the texts', or no texts file (a build without it).
 */
export function prebuiltHelp(args: readonly string[], stdout: { isTTY?: boolean; columns?: number }, file: URL = HELP_TEXTS_FILE): string | undefined {
  const key = helpTextKey(args);
  if (key === undefined || helpWidthOf(stdout) !== HELP_TEXTS_WIDTH) return undefined;
  let texts: Record<string, string>;
  try {
    texts = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    return undefined;
  }
  return Object.hasOwn(texts, key) ? texts[key] : undefined;
}

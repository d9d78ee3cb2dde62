/**
 * Renders the `--help` text of every command with commander, as the CLI prints it on a stdout that is
 * not a terminal: what scripts/build-cli.ts writes to cli/help-texts.ts' file, and what a unit test
 * compares that file with. Loads every command's definition (build and test time only).
 */
import { writeFileSync } from 'node:fs';
import { CommanderError, type Command } from 'commander';
import { COMMANDS } from './command-list.js';
import { HELP_TEXTS_FILE, HELP_TEXTS_WIDTH } from './help-texts.js';
import { createProgram } from './program.js';

/** Every command's words under a top-level command, its aliases included (e.g. 'submit analysis'). */
function commandPaths(command: Command, prefix: readonly string[]): string[][] {
  const paths: string[][] = [];
  for (const sub of command.commands) {
    if (sub.name() === 'help') continue;
    for (const name of [sub.name(), ...sub.aliases()]) {
      const path = [...prefix, name];
      paths.push(path, ...commandPaths(sub, path));
    }
  }
  return paths;
}

/** What `quantgrid <words> --help` prints, rendered in this process. */
export async function renderHelp(words: readonly string[]): Promise<string> {
  let text = '';
  const args = [...words, '--help'];
  const program = await createProgram(args, { writeOut: (chunk) => (text += chunk), helpWidth: HELP_TEXTS_WIDTH });
  try {
    await program.parseAsync(['node', 'quantgrid', ...args]);
  } catch (error) {
    if (error instanceof CommanderError && error.code === 'commander.helpDisplayed') return text;
    throw error;
  }
  throw new Error(`quantgrid ${args.join(' ')} printed no help`);
}

/** The help text of the program and of every command, keyed as cli/help-texts.ts looks them up. */
export async function renderHelpTexts(): Promise<Record<string, string>> {
  const paths: string[][] = [[]];
  for (const entry of COMMANDS) {
    const program = await createProgram([entry.name]);
    const top = program.commands.find((command) => command.name() === entry.name);
    if (!top) throw new Error(`no command ${entry.name}`);
    paths.push([entry.name], ...commandPaths(top, [entry.name]));
  }
  const texts: Record<string, string> = {};
  for (const words of paths) texts[words.join(' ')] = await renderHelp(words);
  return texts;
}

/** Writes the texts where main.ts reads them. */
export async function writeHelpTexts(file: URL = HELP_TEXTS_FILE): Promise<number> {
  const texts = await renderHelpTexts();
  writeFileSync(file, `${JSON.stringify(texts, null, 1)}\n`);
  return Object.keys(texts).length;
}

/** What the local-cluster scripts print for a person: lines on stdout (bold and dim on a colour terminal), warnings on stderr. */
export interface TerminalOutput {
  say(line?: string): void;
  /** "<name>: <line>" on stderr. */
  warn(line: string): void;
  bold(text: string): string;
  dim(text: string): string;
}

/** Colours only on a terminal and without NO_COLOR; name prefixes the warnings. */
export function terminalOutput(name: string): TerminalOutput {
  const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
  return {
    say: (line = '') => process.stdout.write(`${line}\n`),
    warn: (line) => process.stderr.write(`${name}: ${line}\n`),
    bold: (text) => (useColor ? `\x1b[1m${text}\x1b[0m` : text),
    dim: (text) => (useColor ? `\x1b[2m${text}\x1b[0m` : text),
  };
}

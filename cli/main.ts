#!/usr/bin/env node
import { QUANTGRID_VERSION } from '../shared/version.js';
import { EXIT } from './exit-codes.js';
import { prebuiltHelp } from './help-texts.js';
import { asksOnlyVersion } from './version-flag.js';

// Output piped into a reader that stopped early (| head): stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
  throw error;
});

// `quantgrid --version` and `--help` (of any command) need neither commander nor the program
// (program.ts), which the rest loads: the help texts were rendered from it at build time.
// No top-level await: the bundle users run is this file as CommonJS (scripts/build-cli.ts).
const args = process.argv.slice(2);
const answer = asksOnlyVersion(args) ? `${QUANTGRID_VERSION}\n` : prebuiltHelp(args, process.stdout);
if (answer !== undefined) {
  process.stdout.write(answer);
  exitSoon();
} else {
  void import('./program.js').then(({ runProgram }) => runProgram(process.argv)).then(exitSoon);
}

/** Called when the command is done: everything is closed by now; should a library still hold the event loop, do not hang on it. */
function exitSoon(): void {
  setTimeout(() => process.exit(), 2000).unref();
}

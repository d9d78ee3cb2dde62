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
const args = process.argv.slice(2);
const answer = asksOnlyVersion(args) ? `${QUANTGRID_VERSION}\n` : prebuiltHelp(args, process.stdout);
if (answer !== undefined) process.stdout.write(answer);
else await (await import('./program.js')).runProgram(process.argv);

// Everything is closed by now; should a library still hold the event loop, do not hang on it.
setTimeout(() => process.exit(), 2000).unref();

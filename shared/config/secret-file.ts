/**
 * A secret read from a one-line file (a token, a password): secrets are never taken from argv or the
 * environment, only from files, and never show up in logs. The value is only handed out by reveal();
 * logging, JSON.stringify, util.inspect and string conversion all show the file, never the secret.
 */
import { readFileSync, statSync } from 'node:fs';
import { inspect } from 'node:util';
import { InvalidArgumentError } from 'commander';

const REDACTED = '[redacted]';

export class SecretFile {
  readonly #secret: string;

  constructor(
    /** Where the secret was read from. */
    readonly file: string,
    secret: string,
    /** Set when group or others may read the file: the text of a warning to log (without the option's name). */
    readonly exposure: string | undefined = undefined,
  ) {
    this.#secret = secret;
  }

  /** The secret itself: pass it straight to where it is needed, never to a logger. */
  reveal(): string {
    return this.#secret;
  }

  toJSON(): { file: string; secret: string } {
    return { file: this.file, secret: REDACTED };
  }

  toString(): string {
    return `${REDACTED} (from ${this.file})`;
  }

  [inspect.custom](): string {
    return `SecretFile(${this.file}, ${REDACTED})`;
  }
}

/**
 * Reads file as one line: the trailing newline (and surrounding white space) is dropped; an empty
 * file, or one with more than one line, is refused. Throws commander's InvalidArgumentError (so it
 * serves directly as an option parser, and the message is prefixed with the option's name), never
 * quoting the file's content.
 */
export function readSecretFile(file: string): SecretFile {
  const name = file.trim();
  if (name === '') throw new InvalidArgumentError('needs a file name');
  let text: string;
  let mode: number;
  try {
    mode = statSync(name).mode;
    text = readFileSync(name, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? (error as Error).message);
    throw new InvalidArgumentError(`cannot read ${name}: ${why}`);
  }
  const secret = text.trim();
  if (secret === '') throw new InvalidArgumentError(`${name} is empty`);
  if (/[\r\n]/.test(secret)) throw new InvalidArgumentError(`${name} has more than one line (it must hold just the secret)`);
  const exposure =
    (mode & 0o044) !== 0
      ? `${name} is readable by ${(mode & 0o004) !== 0 ? 'others' : 'its group'} (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it`
      : undefined;
  return new SecretFile(name, secret, exposure);
}

/** Logs the exposure warning of a secret file given by flag, if it has one (call once the logger exists). */
export function warnIfSecretFileExposed(log: { warn(fields: object, message: string): void }, flag: string, secret: SecretFile | undefined): void {
  if (secret?.exposure) log.warn({ option: flag, file: secret.file }, `${flag}: ${secret.exposure}`);
}

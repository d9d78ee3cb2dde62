import { readFile, stat } from 'node:fs/promises';

export interface SecretFromFile {
  /** The file's text without its trailing line break. */
  value: string;
  /** Set when others than the owner may read the file (it is still used). */
  warning?: string;
}

/**
 * Reads a secret (a password, a token, the cluster secret) from a file: every secret quantgrid takes
 * has a file form, so none needs to appear on a command line, in the environment or in a log.
 * `what` names the secret in errors. Undefined when the file does not exist and `optional` is set.
 */
export async function readSecretFile(file: string, what: string, optional = false): Promise<SecretFromFile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the ${what} file ${file}: ${(error as Error).message}`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new Error(`the ${what} file ${file} is empty`);
  const mode = (await stat(file)).mode & 0o777;
  return mode & 0o077 ? { value, warning: `the ${what} file ${file} is readable by others (mode ${mode.toString(8)}); chmod 600 it` } : { value };
}

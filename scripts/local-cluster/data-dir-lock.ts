/**
 * One cluster at a time per data dir: two Redis servers appending to the same file would corrupt it.
 * The lock is a file holding the owner's pid; one whose process is gone is stale and taken over.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const LOCK_FILE = 'cluster.pid';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes dir's lock for this process (dir must exist); resolves with the function that releases it. */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return async () => {
        if ((await readFile(file, 'utf8').catch(() => '')).trim() === String(process.pid)) await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 1 && owner !== process.pid && isRunning(owner)) {
        throw new Error(`${dir} is in use by another cluster (pid ${owner}): stop that one first, or give another --data-dir`);
      }
      await rm(file, { force: true });
    }
  }
  throw new Error(`could not lock ${dir} (${file} keeps coming back)`);
}

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The quantgrid CLI as users run it: the bundle (scripts/build-cli.ts). */
export const CLI = fileURLToPath(new URL('../../bin/quantgrid.js', import.meta.url));

/**
 * Runs `quantgrid --coordinator <address> …args` as a user would, with the cluster's admin token in
 * QUANTGRID_TOKEN; the exit status, stdout and stderr as they came.
 */
export function runCli(coordinator: { address: string; adminToken: string }, args: readonly string[], timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, '--coordinator', coordinator.address, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, QUANTGRID_TOKEN: coordinator.adminToken },
  });
}

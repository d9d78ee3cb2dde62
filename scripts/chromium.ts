/**
 * Debian's chromium (installed by scripts/setup.sh) driven by playwright-core, for the dashboard's
 * browser tests (tests/browser/) and its render benchmark. QUANTGRID_CHROMIUM names another binary.
 */
import { access, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.QUANTGRID_CHROMIUM || '/usr/bin/chromium';

/** Where screenshots of the pages go (git-ignored): test-artifacts/screenshots/ in the repository. */
export const SCREENSHOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts', 'screenshots');

/** A headless chromium; fails with the way to install it when the binary is missing. */
export async function launchChromium(): Promise<Browser> {
  try {
    await access(CHROMIUM);
  } catch {
    throw new Error(`chromium not found at ${CHROMIUM}: run 'bash scripts/setup.sh' (installs Debian's chromium) or set QUANTGRID_CHROMIUM`);
  }
  // --disable-dev-shm-usage: containers often have a tiny /dev/shm; chromium then uses /tmp.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--disable-dev-shm-usage', '--disable-gpu'] });
}

/** A full-page PNG of page as SCREENSHOT_DIR/<name>.png (or under dir); returns its path. */
export async function saveScreenshot(page: Page, name: string, dir = SCREENSHOT_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Signs page in to the dashboard at baseUrl through its login form, as a person does; resolves once a page shows. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name=token]', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('header.top .who[data-role]');
}

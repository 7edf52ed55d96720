// browser.mjs: the browser side of the dashboard's tests: Debian's Chromium, headless, driven
// by playwright-core. Every page opened through openPage() records console errors and failed
// page scripts; assertNoConsoleErrors() fails the test on any. SPATE_URL is the dashboard
// (the JobManager's REST endpoint); SPATE_SCREENSHOTS the directory for screenshots.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const BASE = process.env.SPATE_URL || 'http://127.0.0.1:8081';
/* Every wait of a test ends by this deadline (ms); nothing in a test sleeps. */
export const DEADLINE = Number(process.env.SPATE_UI_TIMEOUT_MS || 60000);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  const args = ['--disable-gpu', '--disable-dev-shm-usage'];
  // Chromium's sandbox refuses to run as root; --no-sandbox is its documented way out.
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/* Opens BASE/#/<route> in a new page of `browser`; page.errors collects console errors. */
export async function openPage(browser, route, { base = BASE } = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(DEADLINE);
  page.errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.errors.push(`page error: ${e.message}`));
  await page.goto(`${base}/#/${route}`);
  return page;
}

/* expected: substrings of errors a test provoked on purpose (a 404 it asked for). */
export function assertNoConsoleErrors(page, expected = []) {
  const real = page.errors.filter((e) => !expected.some((x) => e.includes(x)));
  assert.deepEqual(real, [], 'the page logged errors');
}

export async function screenshot(page, name) {
  const dir = process.env.SPATE_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

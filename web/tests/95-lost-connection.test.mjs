// 95-lost-connection.test.mjs: the JobManager goes away under an open dashboard: the overview of
// SPATE_EMPTY_URL is open, the test kills every pid of SPATE_EMPTY_PID_FILE (that JobManager),
// and the page shows the connection-lost banner over the last data it had, never a blank page. Runs last: it kills a daemon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, openPage, assertNoConsoleErrors, screenshot } from './lib/browser.mjs';

const EMPTY_URL = process.env.SPATE_EMPTY_URL;
const PID_FILE = process.env.SPATE_EMPTY_PID_FILE;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a lost connection shows the banner, not a blank page', async () => {
  assert.ok(EMPTY_URL && PID_FILE, 'SPATE_EMPTY_URL and SPATE_EMPTY_PID_FILE are set');
  const page = await openPage(browser, 'overview', { base: EMPTY_URL });
  const main = page.locator('main');
  await main.filter({ hasText: /TaskManager/ }).waitFor();
  const before = (await main.innerText()).trim();
  assert.equal(await page.locator('[data-testid="connection-lost"]').count(), 0, 'no banner yet');

  const pids = readFileSync(PID_FILE, 'utf8').split('\n').map(Number).filter((p) => p > 0);
  assert.ok(pids.length > 0, `${PID_FILE} lists a pid`);
  for (const pid of pids) process.kill(pid, 'SIGKILL');

  const banner = page.locator('[data-testid="connection-lost"]');
  await banner.waitFor();
  assert.match(await banner.innerText(), /Lost the connection/);
  // the page keeps what it showed: the navigation and the overview's last content
  assert.ok(await page.locator('nav [data-nav="overview"]').isVisible(), 'the navigation stays');
  const after = (await main.innerText()).trim();
  assert.ok(after.length > before.length / 2, 'the overview keeps its content');
  assert.ok(after.includes('TaskManager'), 'the overview still shows the last data');
  // the failed requests after the kill are what the test provoked
  assertNoConsoleErrors(page, ['Failed to load resource', 'ERR_CONNECTION_REFUSED', 'ERR_EMPTY_RESPONSE']);
  await screenshot(page, '95-lost-connection');
});

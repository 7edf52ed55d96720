// 45-job-manager.test.mjs: #/job-manager/<tab> against a running cluster: the configuration
// shows rest.port with the value GET /jobmanager/config gives; the logs show the line the
// JobManager wrote when its REST endpoint came up (read from its log in SPATE_LOG_DIR); the
// metrics tab draws charts and lists the metrics with their values; log list, stdout, threads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, screenshot, assertNoConsoleErrors } from './lib/browser.mjs';
import { restJson, findLogLine } from './lib/rest.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser && browser.close());

const JM_LOG = /^spate-.*-standalonesession-.*\.log$/;

test('the configuration shows rest.port and its value', async () => {
  const config = await restJson('/jobmanager/config');
  const port = config.find((e) => e.key === 'rest.port');
  assert.ok(port, 'GET /jobmanager/config has rest.port');
  const page = await openPage(browser, 'job-manager/config');
  const value = page.locator('[data-config-value="rest.port"]');
  await value.waitFor();
  assert.equal(await value.innerText(), port.value);
  assert.equal(await page.locator('[data-config-key]').count(), config.length);
  await page.getByTestId('config-filter').fill('rest.');
  assert.ok((await page.locator('[data-config-key]').count()) < config.length, 'the filter narrows');
  await page.getByTestId('config-filter').fill('');
  assertNoConsoleErrors(page);
  await screenshot(page, '45-job-manager-config');
});

test('the logs show the JobManager\'s REST endpoint line', async () => {
  const found = findLogLine(JM_LOG, 'endpoint listening at');
  assert.ok(found, `the JobManager log in ${process.env.SPATE_LOG_DIR} has its REST endpoint line`);
  assert.match(found.line, /REST endpoint listening at/i);
  const page = await openPage(browser, 'job-manager/logs');
  await page.getByTestId('log-text').filter({ hasText: found.line }).waitFor();
  assertNoConsoleErrors(page);
  await screenshot(page, '45-job-manager-logs');
});

test('the metrics tab draws charts and lists the metrics', async () => {
  const names = (await restJson('/jobmanager/metrics')).map((m) => m.id);
  assert.ok(names.includes('numRegisteredTaskManagers'));
  const page = await openPage(browser, 'job-manager/metrics');
  for (const title of ['Memory (MB)', 'CPU load (%)', 'Cluster'])
    await page.locator(`[data-testid="metric-chart"][data-title="${title}"] canvas`).waitFor();
  await page.locator('[data-metric="numRegisteredTaskManagers"]').filter({ hasText: /^\d/ }).waitFor();
  assert.equal(await page.locator('[data-testid="metric-table"] [data-metric]').count(), names.length);
  const tms = (await restJson('/taskmanagers')).taskmanagers.length;
  await page.locator('[data-metric="numRegisteredTaskManagers"]').filter({ hasText: new RegExp(`^${tms}$`) }).waitFor();
  assertNoConsoleErrors(page);
  await screenshot(page, '45-job-manager-metrics');
});

test('the log list opens the JobManager\'s log; stdout and thread dump render', async () => {
  const found = findLogLine(JM_LOG, 'endpoint listening at');
  const page = await openPage(browser, 'job-manager/log-list');
  const link = page.locator(`[data-testid="log-list"] [data-log-file="${found.file}"]`);
  await link.waitFor();
  await link.click();
  await page.waitForURL(`**/#/job-manager/log-list/${found.file}`);
  await page.getByTestId('log-text').filter({ hasText: found.line }).waitFor();
  await page.locator('[data-tab="stdout"]').click();
  await page.locator('[data-testid="log-text"], .empty').first().waitFor();
  await page.locator('[data-tab="thread-dump"]').click();
  const dump = page.getByTestId('thread-dump');
  await dump.waitFor();
  assert.ok(Number(await dump.getAttribute('data-count')) > 0, 'the thread dump lists threads');
  assertNoConsoleErrors(page);
  await screenshot(page, '45-job-manager-thread-dump');
});

// 40-task-managers.test.mjs: #/task-manager and one TaskManager's tabs against a running
// cluster: the list has every TaskManager of GET /taskmanagers; the logs tab shows the line the
// TaskManager wrote when it registered (read from its log file in SPATE_LOG_DIR); the log list
// lists that file and opens it; the thread dump shows threads; the metric charts draw; an
// unknown id shows the REST API's 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, screenshot, assertNoConsoleErrors } from './lib/browser.mjs';
import { restJson, findLogLine } from './lib/rest.mjs';

let browser;
let tms;
before(async () => {
  browser = await launch();
  tms = (await restJson('/taskmanagers')).taskmanagers;
  assert.ok(tms.length >= 1, 'the cluster has a TaskManager');
});
after(async () => browser && browser.close());

/* The registration line TaskManager `tm` wrote to its log ("<rpc address>/taskexecutor-N:
 * registered at the ResourceManager ..."), found in SPATE_LOG_DIR. */
function registrationLine(tm) {
  const endpoint = tm.path.replace(/^[a-z]+:\/\//, '');
  const found = findLogLine(/^spate-.*-taskexecutor-.*\.log$/, `${endpoint}: registered at the ResourceManager`);
  assert.ok(found, `a TaskManager log in ${process.env.SPATE_LOG_DIR} has ${endpoint}'s registration`);
  return found;
}

test('the list shows every TaskManager of GET /taskmanagers', async () => {
  const page = await openPage(browser, 'task-manager');
  const list = page.getByTestId('taskmanagers');
  await list.waitFor();
  assert.equal(Number(await list.getAttribute('data-count')), tms.length);
  assert.equal(await page.locator('[data-tm-link]').count(), tms.length);
  for (const tm of tms) {
    const row = page.locator(`tr:has([data-tm-link="${tm.id}"])`);
    const t = await row.innerText();
    assert.ok(t.includes(tm.path), `row of ${tm.id} shows its path`);
    assert.ok(t.includes(String(tm.dataPort)), `row of ${tm.id} shows its data port`);
  }
  await page.locator(`[data-tm-link="${tms[0].id}"]`).click();
  await page.waitForURL(`**/#/task-manager/${tms[0].id}/metrics`);
  await page.getByTestId('tm-metrics').waitFor();
  assertNoConsoleErrors(page);
  await screenshot(page, '40-task-managers');
});

test('the metrics tab shows the TaskManager and draws its charts', async () => {
  const tm = tms[0];
  const page = await openPage(browser, `task-manager/${tm.id}/metrics`);
  await page.getByTestId('tm-metrics').waitFor();
  assert.equal(await page.getByTestId('tm-slots-total').innerText(), String(tm.slotsNumber));
  assert.equal(await page.getByTestId('tm-cpu-cores').innerText(), String(tm.hardware.cpuCores));
  for (const title of ['Memory (MB)', 'CPU load (%)', 'Network memory (MB)'])
    await page.locator(`[data-testid="metric-chart"][data-title="${title}"] canvas`).waitFor();
  // The table of every metric fills in with values from /taskmanagers/<id>/metrics.
  await page.locator('[data-metric="Status.JVM.Threads.Count"]').filter({ hasText: /^[1-9]/ }).waitFor();
  assertNoConsoleErrors(page);
  await screenshot(page, '40-task-manager-metrics');
});

test('the logs tab shows the TaskManager\'s registration line', async () => {
  const tm = tms[0];
  const { line } = registrationLine(tm);
  const page = await openPage(browser, `task-manager/${tm.id}/logs`);
  const log = page.getByTestId('log-text');
  await log.waitFor();
  assert.ok((await log.innerText()).includes(line), `the log shows: ${line}`);
  assertNoConsoleErrors(page);
  await screenshot(page, '40-task-manager-logs');
});

test('the log list lists the .log file and opens it', async () => {
  const tm = tms[0];
  const { file, line } = registrationLine(tm);
  const page = await openPage(browser, `task-manager/${tm.id}/log-list`);
  const link = page.locator(`[data-testid="log-list"] [data-log-file="${file}"]`);
  await link.waitFor();
  await screenshot(page, '40-task-manager-log-list');
  await link.click();
  await page.waitForURL(`**/#/task-manager/${tm.id}/log-list/${file}`);
  await page.getByTestId('log-text').filter({ hasText: line }).waitFor();
  assert.equal(await page.getByTestId('log-file-name').innerText(), file);
  assertNoConsoleErrors(page);
  await screenshot(page, '40-task-manager-log-file');
});

test('the stdout and thread dump tabs show the TaskManager\'s output and threads', async () => {
  const tm = tms[0];
  const page = await openPage(browser, `task-manager/${tm.id}/stdout`);
  await page.locator('[data-testid="log-text"], .empty').first().waitFor();
  await page.locator('[data-tab="thread-dump"]').click();
  const dump = page.getByTestId('thread-dump');
  await dump.waitFor();
  const { threadInfos } = await restJson(`/taskmanagers/${tm.id}/thread-dump`);
  assert.ok(threadInfos.length > 0, 'GET thread-dump lists threads');
  assert.ok(Number(await dump.getAttribute('data-count')) > 0, 'the page lists threads');
  assert.match(await dump.innerText(), /Id=\d+/);
  assertNoConsoleErrors(page);
  await screenshot(page, '40-task-manager-thread-dump');
});

test('an unknown TaskManager id shows the REST API\'s 404', async () => {
  const id = '0123456789abcdef0123456789abcdef';
  assert.ok(!tms.some((t) => t.id === id));
  const page = await openPage(browser, `task-manager/${id}/metrics`);
  const err = page.locator('.error-box[data-error-status="404"]');
  await err.waitFor();
  assert.match(await err.innerText(), new RegExp(`TaskManager ${id} not found`));
  assertNoConsoleErrors(page, ['404']);
  await screenshot(page, '40-task-manager-unknown');
});

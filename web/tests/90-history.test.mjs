// 90-history.test.mjs: the history server's dashboard (SPATE_HISTORY_URL), read-only over the
// archive of the first JobManager: it lists the job test_web_ui.sh cancelled and archived
// (SPATE_ARCHIVED_JOB, "archived-job"), opens it with its name and graph, and offers no Cancel
// button and no Task Managers or Submit navigation (/config features.web-history).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, assertNoConsoleErrors, screenshot } from './lib/browser.mjs';

const HISTORY = process.env.SPATE_HISTORY_URL;
const JOB = process.env.SPATE_ARCHIVED_JOB;

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the history server lists the archived job and shows it read-only', async () => {
  assert.ok(HISTORY && JOB, 'SPATE_HISTORY_URL and SPATE_ARCHIVED_JOB are set');
  const config = await (await fetch(new URL('/config', HISTORY))).json();
  assert.equal(config.features['web-history'], true, '/config features.web-history');
  const archived = await (await fetch(new URL(`/jobs/${JOB}`, HISTORY))).json();

  const page = await openPage(browser, 'job/completed', { base: HISTORY });
  // the history server polls the archive directory; the list shows the job once it is read
  const link = page.locator(`main a[href*="${JOB}"]`).first();
  await link.waitFor();
  await page.locator('main').filter({ hasText: archived.name }).waitFor();
  await screenshot(page, '90-history-completed-jobs');
  await link.click();

  await page.locator('[data-testid="job-name"]', { hasText: archived.name }).waitFor();
  assert.match(page.url(), new RegExp(`#/job/completed/${JOB}`), 'the job opens as completed');
  assert.match(await page.locator('main').innerText(), /CANCELED|CANCELLED/i, 'its state is shown');
  // the graph: one node per vertex of the archived job
  const nodes = page.locator('[data-testid="job-graph"] [data-testid="graph-node"]');
  await nodes.first().waitFor();
  assert.equal(await nodes.count(), archived.vertices.length, 'one graph node per vertex');
  for (const v of archived.vertices)
    await page.locator('[data-testid="job-graph"]', { hasText: v.name }).waitFor();

  // read-only: nothing to cancel or submit, no live cluster pages
  assert.equal(await page.locator('[data-testid="job-cancel"]').count(), 0, 'no Cancel button');
  assert.equal(await page.getByRole('button', { name: /cancel/i }).count(), 0, 'no Cancel button');
  assert.equal(await page.locator('[data-nav="task-manager"]').count(), 0, 'no Task Managers');
  assert.equal(await page.locator('[data-nav="submit"]').count(), 0, 'no Submit New Job');
  assert.equal(await page.locator('[data-nav="job-manager"]').count(), 0, 'no Job Manager');
  assert.ok(await page.locator('[data-nav="job/completed"]').isVisible(), 'Completed Jobs shown');
  assertNoConsoleErrors(page);
  await screenshot(page, '90-history-job');
});

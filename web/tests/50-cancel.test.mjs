// 50-cancel.test.mjs: cancelling a job with the job page's button: Cancel, confirm, and the page
// shows CANCELED, as GET /jobs/<id> does. Environment: SPATE_URL, SPATE_CANCEL_JOB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, assertNoConsoleErrors, screenshot, BASE } from './lib/browser.mjs';

const JOB = process.env.SPATE_CANCEL_JOB;
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

test('Cancel, confirm: the job is CANCELED', async () => {
  assert.ok(JOB, 'SPATE_CANCEL_JOB is set');
  const page = await openPage(browser, `job/running/${JOB}/overview`);
  await page.locator('.job-meta [data-status=RUNNING]').waitFor();
  await page.locator('[data-testid=job-cancel]').click();
  // The first click only asks; nothing is cancelled until the confirmation.
  await page.locator('[data-testid=job-cancel-confirm-box]').waitFor();
  const before = await (await fetch(`${BASE}/jobs/${JOB}`)).json();
  assert.equal(before.state, 'RUNNING', 'the job still runs before the confirmation');
  await page.locator('[data-testid=job-cancel-confirm]').click();
  await page.locator('.job-meta [data-status=CANCELED]').waitFor();
  const r = await fetch(`${BASE}/jobs/${JOB}`);
  assert.equal(r.status, 200);
  assert.equal((await r.json()).state, 'CANCELED');
  // A finished job has no buttons left.
  assert.equal(await page.locator('[data-testid=job-cancel]').count(), 0);
  assertNoConsoleErrors(page);
  await screenshot(page, 'job-cancel');
});

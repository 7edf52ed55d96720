// 80-bad-input.test.mjs: bad input and odd states each show a clear message, never a blank page:
// a job id that does not exist, a route that names no page, REST errors (a malformed job id, a
// vertex id the job does not have; the message shown is the one the REST API answered) and the
// empty cluster of SPATE_EMPTY_URL (no TaskManagers, no jobs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, assertNoConsoleErrors, screenshot, BASE } from './lib/browser.mjs';

const BP_JOB = process.env.SPATE_BP_JOB;
const EMPTY_URL = process.env.SPATE_EMPTY_URL;
/* What Chromium logs for a response the test asked for on purpose. */
const FAILED_LOAD = 'Failed to load resource';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/* The REST API's answer to GET path: {status, errors} (Flink's {"errors": [...]} body). */
async function restError(path) {
  const res = await fetch(new URL(path, BASE));
  const body = await res.json().catch(() => ({}));
  return { status: res.status, errors: body.errors || [] };
}

/* Awaits an alert (role=alert) on the page whose text contains every one of `parts`. */
async function alertWith(page, ...parts) {
  const alert = page.getByRole('alert').filter({ hasText: parts[0] });
  await alert.first().waitFor();
  const text = await alert.first().innerText();
  for (const p of parts) assert.ok(text.includes(p), `the alert "${text}" contains "${p}"`);
  return text;
}

test('a job id that does not exist: not found', async () => {
  const id = '0123456789abcdef0123456789abcdef';
  const rest = await restError(`/jobs/${id}`);
  assert.equal(rest.status, 404, `GET /jobs/${id} answers 404`);
  const page = await openPage(browser, `job/running/${id}/overview`);
  await alertWith(page, 'Not found', id);
  assertNoConsoleErrors(page, [FAILED_LOAD]);
  await screenshot(page, '80-bad-input-no-such-job');
});

test('a malformed route: "No such page"', async () => {
  const page = await openPage(browser, 'no-such-page/at/all');
  await alertWith(page, 'No such page', '#/no-such-page/at/all');
  // the navigation stays, so the user has a way on
  assert.ok(await page.locator('nav [data-nav="overview"]').isVisible(), 'the navigation is shown');
  assertNoConsoleErrors(page);
  await screenshot(page, '80-bad-input-no-such-page');
});

test('a malformed job id: the REST API\'s error is shown', async () => {
  const rest = await restError('/jobs/not-a-job-id');
  assert.ok(rest.status >= 400 && rest.errors.length > 0, `GET /jobs/not-a-job-id answers an error`);
  const page = await openPage(browser, 'job/running/not-a-job-id/overview');
  await alertWith(page, rest.errors[0]);
  assertNoConsoleErrors(page, [FAILED_LOAD]);
  await screenshot(page, '80-bad-input-malformed-job-id');
});

test('a vertex the job does not have: the REST API\'s error is shown', async () => {
  assert.ok(BP_JOB, 'SPATE_BP_JOB is set');
  const vertex = 'fedcba9876543210fedcba9876543210';
  const rest = await restError(`/jobs/${BP_JOB}/vertices/${vertex}`);
  assert.ok(rest.status >= 400 && rest.errors.length > 0, 'GET of the vertex answers an error');
  const page = await openPage(browser, `job/running/${BP_JOB}/overview/${vertex}`);
  await alertWith(page, rest.errors[0]);
  // the job itself is still shown above the error
  await page.locator('[data-testid="job-name"]').waitFor();
  assertNoConsoleErrors(page, [FAILED_LOAD]);
  await screenshot(page, '80-bad-input-no-such-vertex');
});

test('the empty cluster: no TaskManagers, no jobs', async () => {
  assert.ok(EMPTY_URL, 'SPATE_EMPTY_URL is set');
  const page = await openPage(browser, 'overview', { base: EMPTY_URL });
  // the overview's own words (the overview page's), loosely: "No ... TaskManager(s)" and
  // "no ... jobs", each within a line of the visible text (innerText keeps the blocks' breaks;
  // textContent would run the cards' labels into the next words)
  await page.waitForFunction(
    (sources) =>
      sources.every((s) => new RegExp(s, 'mi').test(document.querySelector('main')?.innerText || '')),
    [String.raw`^\s*No\b[^.\n]*TaskManager`, String.raw`^\s*No\b[^.\n]*jobs`]
  );
  assert.equal(await page.getByRole('alert').count(), 0, 'an empty cluster is no error');
  assertNoConsoleErrors(page);
  await screenshot(page, '80-bad-input-empty-cluster');
});

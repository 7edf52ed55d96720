// 10-overview.test.mjs: #/overview and the job lists (#/job/running, #/job/completed) against a
// running cluster: the cards show what GET /overview says, the running jobs table names the
// checkpointed and the backpressured job and links to their pages; an empty cluster says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, screenshot, assertNoConsoleErrors } from './lib/browser.mjs';
import { restJson, eventually } from './lib/rest.mjs';

const CK = process.env.SPATE_CK_JOB;
const BP = process.env.SPATE_BP_JOB;
let browser;
before(async () => {
  assert.ok(CK && BP, 'SPATE_CK_JOB and SPATE_BP_JOB must name running jobs');
  browser = await launch();
});
after(async () => browser && browser.close());

const text = (page, sel) => page.locator(sel).first().innerText();

test('the overview cards show the counts of GET /overview', async () => {
  const page = await openPage(browser, 'overview');
  await page.getByTestId('slots-total').waitFor();
  const cards = ['slots-total', 'slots-available', 'taskmanagers', 'jobs-running',
    'jobs-finished', 'jobs-cancelled', 'jobs-failed'];
  // The cluster may change between the test's request and the page's: both are re-read until
  // they agree (they must, within the deadline, for a cluster that settles).
  let last = {};
  await eventually('the cards to show what GET /overview answers', async () => {
    const o = await restJson('/overview');
    last = {};
    for (const c of cards) last[c] = [await text(page, `[data-testid="${c}"]`), String(o[c])];
    return cards.every((c) => last[c][0] === last[c][1]);
  }, { page, describe: () => JSON.stringify(last) });
  const o = await restJson('/overview');
  assert.ok(o.taskmanagers >= 1 && o['slots-total'] >= 1, 'the cluster has TaskManagers');
  assert.equal(await page.getByTestId('no-taskmanagers').count(), 0);
  assertNoConsoleErrors(page);
  await screenshot(page, '10-overview');
});

test('the running jobs table names both jobs; clicking one opens its page', async () => {
  const page = await openPage(browser, 'overview');
  for (const id of [CK, BP]) {
    const { name } = await restJson(`/jobs/${id}`);
    const link = page.locator(`[data-testid="running-jobs"] [data-job-link="${id}"]`);
    await link.waitFor();
    assert.equal(await link.innerText(), name, `job ${id}'s name in the running list`);
  }
  const row = page.locator(`[data-testid="running-jobs"] tr:has([data-job-link="${CK}"])`);
  assert.match(await row.innerText(), /RUNNING/);
  const { name } = await restJson(`/jobs/${CK}`);
  await page.locator(`[data-job-link="${CK}"]`).click();
  await page.waitForURL(`**/#/job/running/${CK}/overview`);
  await page.getByTestId('job-name').filter({ hasText: name }).waitFor();
  assertNoConsoleErrors(page);
  await screenshot(page, '10-overview-job-clicked');
});

test('#/job/running lists the running jobs, #/job/completed renders', async () => {
  const page = await openPage(browser, 'job/running');
  for (const id of [CK, BP])
    await page.locator(`[data-testid="running-jobs"] [data-job-link="${id}"]`).waitFor();
  const running = (await restJson('/jobs/overview')).jobs.filter((j) =>
    !['FINISHED', 'CANCELED', 'FAILED'].includes(j.state));
  assert.ok(Number(await page.getByTestId('running-jobs').getAttribute('data-count')) >= 2);
  assert.ok(running.length >= 2);
  await screenshot(page, '10-job-running');

  await page.goto(page.url().replace(/#.*/, '#/job/completed'));
  await page.getByRole('heading', { name: 'Completed Jobs' }).waitFor();
  const list = page.getByTestId('completed-jobs');
  await list.waitFor();
  const completed = (await restJson('/jobs/overview')).jobs.filter((j) =>
    ['FINISHED', 'CANCELED', 'FAILED'].includes(j.state));
  if (completed.length === 0) assert.match(await list.innerText(), /No completed jobs/);
  for (const id of [CK, BP])
    assert.equal(await list.locator(`[data-job-link="${id}"]`).count(), 0,
      'a running job is not in the completed list');
  assertNoConsoleErrors(page);
  await screenshot(page, '10-job-completed');
});

test('an empty cluster says it has no TaskManagers and no jobs', { skip: !process.env.SPATE_EMPTY_URL && 'SPATE_EMPTY_URL not set' }, async () => {
  const base = process.env.SPATE_EMPTY_URL;
  const page = await openPage(browser, 'overview', { base });
  await page.getByTestId('no-taskmanagers').waitFor();
  assert.match(await page.getByTestId('no-taskmanagers').innerText(), /No TaskManagers are registered/);
  assert.equal(await text(page, '[data-testid="taskmanagers"]'), '0');
  assert.match(await page.getByTestId('running-jobs').innerText(), /No running jobs/);
  assert.match(await page.getByTestId('completed-jobs').innerText(), /No completed jobs/);
  assertNoConsoleErrors(page);
  await screenshot(page, '10-overview-empty');
});

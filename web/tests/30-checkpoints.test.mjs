// 30-checkpoints.test.mjs: the job page's checkpoints tab against a running checkpointed job
// (SPATE_CK_JOB: exactly_once_sums.so -p 2, a checkpoint every 100 ms): the completed count
// rises, the history expands to per-vertex and per-subtask rows, the summary has figures, the
// configuration shows the 100 ms interval, the anatomy names a slowest subtask of one of the
// job's vertices; a job without checkpointing (SPATE_BP_JOB) says so; a checkpoint id that no
// longer exists says so.
//
// At a 100 ms interval a checkpoint leaves the JobManager's history (10 entries) within about a
// second, so asking for one checkpoint's details can legitimately answer 404: the page shows
// that as "no longer exists". Such 404s (and the dev server's favicon) are the only console
// errors these tests accept, and only after checking each 404 response was one of those.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, screenshot, assertNoConsoleErrors, BASE, DEADLINE } from './lib/browser.mjs';

const JOB = process.env.SPATE_CK_JOB;
const NOCK_JOB = process.env.SPATE_BP_JOB;
let browser;
let job; /* GET /jobs/<SPATE_CK_JOB> */

async function rest(path) {
  const res = await fetch(`${BASE}${path}`);
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() };
}

const route = (tab, ...sub) => ['job', 'running', JOB, 'checkpoints', tab, ...sub].join('/');

/* Opens a route, recording every HTTP error response's URL beside the console errors. */
async function open(r) {
  const page = await openPage(browser, r);
  page.httpErrors = [];
  page.on('response', (res) => res.status() >= 400 && page.httpErrors.push(`${res.status()} ${res.url()}`));
  return page;
}

/* Console errors are allowed only for 404s of checkpoint details (gone from the history) and
 * the favicon; any other failed response fails the test. */
function assertOnlyExpectedErrors(page) {
  const bad = page.httpErrors.filter(
    (e) => !(e.startsWith('404 ') && (/\/checkpoints\/details\/\d+/.test(e) || e.endsWith('/favicon.ico')))
  );
  assert.deepEqual(bad, [], 'unexpected HTTP errors');
  assertNoConsoleErrors(page, ['status of 404 (Not Found)']);
}

before(async () => {
  assert.ok(JOB, 'SPATE_CK_JOB is set');
  browser = await launch();
  const r = await rest(`/jobs/${JOB}`);
  assert.equal(r.status, 200, `GET /jobs/${JOB}`);
  job = r.body;
});

after(async () => {
  if (browser) await browser.close();
});

test('overview: the completed count rises', async () => {
  const page = await open(route('overview'));
  const count = page.getByTestId('ckpt-count-completed');
  await count.waitFor();
  const first = Number(await count.getAttribute('data-value'));
  assert.ok(first >= 1, `completed checkpoints shown: ${first}`);
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid="ckpt-count-completed"]').dataset.value) > n,
    first, { timeout: DEADLINE });
  const later = Number(await count.getAttribute('data-value'));
  assert.ok(later > first, `the completed count rose from ${first} to ${later}`);
  const latest = page.getByTestId('ckpt-latest-completed');
  assert.match(await latest.getAttribute('data-checkpoint-id'), /^\d+$/);
  assert.match(await latest.innerText(), /End to end duration/);
  assertOnlyExpectedErrors(page);
  await screenshot(page, 'checkpoints-overview');
});

test('history: a checkpoint expands to its vertices and a vertex to its subtasks', async () => {
  const page = await open(route('history'));
  await page.getByTestId('ckpt-history-row').first().waitFor();
  /* A row whose details the page already holds; rows turn over with every refresh, so one
   * that went away between finding it and clicking it is looked for again (until DEADLINE). */
  const end = Date.now() + DEADLINE;
  let id = null;
  while (!id) {
    assert.ok(Date.now() < end, 'awaited a history row with its details loaded, and clicked it');
    const loaded = page.locator('[data-testid="ckpt-history-row"][data-details="loaded"]').first();
    await loaded.waitFor({ timeout: Math.max(1, end - Date.now()) });
    const candidate = await loaded.getAttribute('data-checkpoint-id', { timeout: 1000 }).catch(() => null);
    if (!candidate) continue;
    const row = page.locator(`[data-testid="ckpt-history-row"][data-checkpoint-id="${candidate}"]`);
    /* dispatched on the row itself: a click at the row's coordinates could land on another
     * row when a refresh shifts the table in between */
    if (await row.dispatchEvent('click', {}, { timeout: 2000 }).then(() => true, () => false)) id = candidate;
  }
  const details = page.locator(`[data-testid="ckpt-details"][data-checkpoint-id="${id}"]`);
  await details.waitFor();
  const vertexRows = details.getByTestId('ckpt-vertex-row');
  assert.equal(await vertexRows.count(), job.vertices.length, 'one row per vertex');
  const names = await details.getByTestId('ckpt-vertex-name').allInnerTexts();
  assert.deepEqual(names, job.vertices.map((v) => v.name));
  for (let i = 0; i < job.vertices.length; i++) {
    await vertexRows.nth(i).dispatchEvent('click');
    const sub = details.locator(`[data-testid="ckpt-subtasks"][data-vertex-id="${job.vertices[i].id}"]`);
    await sub.waitFor();
    assert.equal(await sub.getByTestId('ckpt-subtask-row').count(), job.vertices[i].parallelism,
      `one subtask row per subtask of ${job.vertices[i].name}`);
  }
  /* every vertex stays expanded while the history refreshes around it */
  assert.equal(await details.getByTestId('ckpt-subtasks').count(), job.vertices.length);
  const total = job.vertices.reduce((n, v) => n + v.parallelism, 0);
  const row = page.locator(`[data-testid="ckpt-history-row"][data-checkpoint-id="${id}"]`);
  assert.match(await row.innerText(), new RegExp(`Checkpoint\\s+aligned[\\s\\S]*${total}/${total}`));
  assert.match(await details.innerText(), /completed/);
  assertOnlyExpectedErrors(page);
  await screenshot(page, 'checkpoints-history');
});

test('summary: percentiles of the completed checkpoints', async () => {
  const page = await open(route('summary'));
  const row = page.locator('[data-testid="ckpt-summary-row"][data-metric="end_to_end_duration"]');
  await row.waitFor();
  // All figures from one rendering: the page polls, and between separate reads a slower
  // checkpoint can complete, raising p99.9 after max was read.
  const { min, avg, max, p50, p999 } = await row.evaluate((el) => Object.fromEntries(
    [...el.querySelectorAll('[data-stat]')].map((c) => [c.dataset.stat, Number(c.dataset.value)])));
  assert.ok(min >= 0 && min <= avg && avg <= max && p50 <= max && p999 <= max,
    `ordered figures: min ${min} avg ${avg} max ${max} p50 ${p50} p99.9 ${p999}`);
  const size = page.locator('[data-testid="ckpt-summary-row"][data-metric="checkpointed_size"]');
  assert.ok(Number(await size.locator('[data-stat="max"]').getAttribute('data-value')) > 0,
    'the job has state, so its checkpoints have a size');
  assert.doesNotMatch(await row.locator('[data-stat="max"]').innerText(), /^-$/);
  assert.equal(await page.getByTestId('ckpt-summary-row').count(), 5);
  assertOnlyExpectedErrors(page);
  await screenshot(page, 'checkpoints-summary');
});

test('configuration: the 100 ms interval', async () => {
  const page = await open(route('configuration'));
  const interval = page.getByTestId('ckpt-config-interval');
  await interval.waitFor();
  assert.equal(await interval.getAttribute('data-value'), '100');
  assert.match(await interval.innerText(), /Checkpoint interval\s+100ms/);
  assert.match(await page.getByTestId('ckpt-config-mode').innerText(), /Exactly Once/);
  assertOnlyExpectedErrors(page);
  await screenshot(page, 'checkpoints-configuration');
});

test('anatomy: the slowest subtask is named, and is one of the job vertices', async () => {
  const page = await open(route('anatomy'));
  const slowest = page.getByTestId('ckpt-slowest');
  await slowest.waitFor();
  /* the view follows the latest checkpoint and may re-render between two reads: name, index and
   * text are read together, from one rendering */
  const seen = await slowest.evaluate((e) => ({
    name: e.dataset.vertexName, index: Number(e.dataset.subtask), text: e.innerText,
  }));
  const { name, index } = seen;
  const vertex = job.vertices.find((v) => v.name === name);
  assert.ok(vertex, `the slowest subtask's vertex "${name}" is one of ${job.vertices.map((v) => v.name)}`);
  assert.ok(index >= 0 && index < vertex.parallelism, `subtask index ${index}`);
  assert.match(seen.text, new RegExp(`Slowest subtask\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} subtask #${index}`));
  assert.match(seen.text, /mostly (start delay|alignment|sync|async|acknowledgement)/);
  await page.getByTestId('ckpt-legend').waitFor();
  /* one block per vertex, in the job's order; expanded, one bar per subtask */
  const body = page.getByTestId('ckpt-anatomy-body');
  const blocks = body.getByTestId('ckpt-anatomy-vertex');
  assert.deepEqual(await blocks.evaluateAll((els) => els.map((e) => e.dataset.vertexName)),
    job.vertices.map((v) => v.name));
  /* pin the checkpoint shown so refreshes do not swap it while the test expands it */
  /* the followed checkpoint may change between reading it and the click, so the pinned id is
   * the one the click put into the route */
  await page.getByTestId('ckpt-anatomy-pin').click();
  await page.waitForFunction(() => /\/anatomy\/\d+$/.test(location.hash));
  const shown = await page.evaluate(() => location.hash.match(/\/anatomy\/(\d+)$/)[1]);
  await page.locator(`[data-testid="ckpt-anatomy-body"][data-checkpoint-id="${shown}"]`).waitFor();
  const pinned = page.getByTestId('ckpt-anatomy-body');
  await pinned.getByTestId('ckpt-slowest').waitFor();
  const pinnedBlocks = pinned.getByTestId('ckpt-anatomy-vertex');
  for (let i = 0; i < job.vertices.length; i++) {
    await pinnedBlocks.nth(i).getByTestId('ckpt-anatomy-toggle').click();
    assert.equal(await pinnedBlocks.nth(i).getByTestId('ckpt-anatomy-subtask').count(),
      job.vertices[i].parallelism, `a bar per subtask of ${job.vertices[i].name}`);
  }
  assert.equal(await pinned.locator('.ckpt-slowest-bar[data-testid="ckpt-anatomy-subtask"]').count(), 1,
    'the slowest subtask bar is highlighted');
  assertOnlyExpectedErrors(page);
  await screenshot(page, 'checkpoints-anatomy');
});

test('a checkpoint id that no longer exists', async () => {
  const page = await open(route('anatomy', '999999999'));
  await page.getByTestId('ckpt-gone').waitFor();
  assert.match(await page.getByTestId('ckpt-gone').innerText(), /Checkpoint 999999999 does not exist or is no longer in the JobManager's checkpoint history/);
  assertOnlyExpectedErrors(page);
  await screenshot(page, 'checkpoints-gone');
});

test('a job without checkpointing says so', async (t) => {
  if (!NOCK_JOB) return t.skip('SPATE_BP_JOB is not set');
  const cfg = await rest(`/jobs/${NOCK_JOB}/checkpoints/config`);
  const enabled = cfg.status === 200 && cfg.body.interval > 0 && cfg.body.interval < 2 ** 62;
  if (enabled) return t.skip(`SPATE_BP_JOB checkpoints every ${cfg.body.interval} ms`);
  const page = await open(['job', 'running', NOCK_JOB, 'checkpoints'].join('/'));
  const msg = page.getByTestId('ckpt-disabled');
  await msg.waitFor();
  assert.equal((await msg.innerText()).trim(), 'Checkpointing is not enabled for this job.');
  assert.equal(await page.getByTestId('ckpt-subtabs').count(), 0);
  assertOnlyExpectedErrors(page);
  await screenshot(page, 'checkpoints-disabled');
});

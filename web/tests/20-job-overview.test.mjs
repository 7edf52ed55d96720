// 20-job-overview.test.mjs: the job detail page against a live cluster: the checkpointed job's
// graph, vertex list, vertex panel, exceptions, timeline and configuration tabs; the
// backpressured job's root-cause banner and marked chain; a job id that does not exist.
// Environment: SPATE_URL, SPATE_CK_JOB, SPATE_BP_JOB, SPATE_BP_SLOW_VERTEX (see browser.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, assertNoConsoleErrors, screenshot, BASE } from './lib/browser.mjs';

const CK = process.env.SPATE_CK_JOB;
const BP = process.env.SPATE_BP_JOB;
const SLOW = process.env.SPATE_BP_SLOW_VERTEX;
let browser;

async function rest(path) {
  const r = await fetch(`${BASE}${path}`);
  assert.equal(r.status, 200, `GET ${path} answered ${r.status}`);
  return r.json();
}

before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

test('the checkpointed job: name, graph, vertex list, vertex panel', async () => {
  assert.ok(CK, 'SPATE_CK_JOB is set');
  const job = await rest(`/jobs/${CK}`);
  const page = await openPage(browser, `job/running/${CK}/overview`);
  await page.locator('[data-testid=job-name]', { hasText: job.name }).waitFor();
  assert.equal(await page.locator('[data-testid=job-name]').textContent(), job.name);

  const nodes = page.locator('[data-testid=job-graph] [data-testid=graph-node]');
  await nodes.first().waitFor();
  assert.equal(await nodes.count(), job.vertices.length, 'one graph node per vertex');
  const shown = await nodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-vertex-name')));
  assert.deepEqual(shown.sort(), job.vertices.map((v) => v.name).sort());
  const edges = page.locator('[data-testid=job-graph] [data-testid=graph-edge]');
  const inputs = job.plan.nodes.reduce((n, v) => n + (v.inputs || []).length, 0);
  assert.equal(await edges.count(), inputs, 'one graph edge per plan input');

  const rows = page.locator('[data-testid=vertex-list] [data-testid=vertex-row]');
  assert.equal(await rows.count(), job.vertices.length, 'one vertex-list row per vertex');
  for (const v of job.vertices)
    assert.match(await page.locator(`[data-testid=vertex-row][data-vertex-id="${v.id}"]`)
      .textContent(), new RegExp(v.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

  // A click on a graph node opens its panel, on the subtasks sub-tab.
  const v = job.vertices[job.vertices.length - 1];
  await page.locator(`[data-testid=graph-node][data-vertex-id="${v.id}"]`).click();
  const panel = page.locator(`[data-testid=vertex-panel][data-vertex-id="${v.id}"]`);
  await panel.waitFor();
  const subtasks = panel.locator('[data-testid=vertex-subtasks] tbody tr');
  await subtasks.first().waitFor();
  assert.equal(await subtasks.count(), v.parallelism, 'one row per subtask');
  assert.match(page.url(), new RegExp(`/overview/${v.id}/subtasks$`));
  // The backpressure sub-tab lists a level per subtask.
  await panel.locator('[data-tab=backpressure]').click();
  await panel.locator('[data-testid=vertex-backpressure] [data-bp-level]').first().waitFor();
  assertNoConsoleErrors(page);
  await screenshot(page, 'job-overview');
});

test('the backpressured job: the root cause is the slow vertex, the chain is marked', async () => {
  assert.ok(BP && SLOW, 'SPATE_BP_JOB and SPATE_BP_SLOW_VERTEX are set');
  const job = await rest(`/jobs/${BP}`);
  const slow = job.vertices.find((v) => v.name === SLOW);
  assert.ok(slow, `/jobs/${BP} lists a vertex named ${SLOW}`);
  const page = await openPage(browser, `job/running/${BP}/overview`);
  // Metrics reach the JobManager periodically: the banner names the vertex once they have.
  await page.locator('[data-testid=bp-root-cause]', { hasText: SLOW }).waitFor();
  assert.equal(await page.locator('[data-testid=bp-root-cause]').textContent(), SLOW);
  const root = page.locator(`[data-testid=graph-node][data-vertex-id="${slow.id}"]`);
  assert.equal(await root.getAttribute('data-bp-root'), 'true');
  assert.equal(await root.getAttribute('data-bp-chain'), 'true');
  // Every vertex upstream of the slow one (back to the sources) is on the chain, and so is the
  // edge into the slow vertex.
  const byId = new Map(job.plan.nodes.map((n) => [n.id, n]));
  const upstream = new Set();
  const todo = [slow.id];
  while (todo.length)
    for (const i of byId.get(todo.pop()).inputs || [])
      if (!upstream.has(i.id)) upstream.add(i.id), todo.push(i.id);
  assert.ok(upstream.size > 0, 'the slow vertex has inputs');
  for (const id of upstream)
    assert.equal(await page.locator(`[data-testid=graph-node][data-vertex-id="${id}"]`)
      .getAttribute('data-bp-chain'), 'true', `upstream vertex ${id} is on the chain`);
  const into = page.locator(`[data-testid=graph-edge][data-to="${slow.id}"]`);
  assert.equal(await into.first().getAttribute('data-bp-chain'), 'true');
  // Vertices downstream of the slow one are not on the chain.
  for (const n of job.plan.nodes)
    if (n.id !== slow.id && !upstream.has(n.id))
      assert.equal(await page.locator(`[data-testid=graph-node][data-vertex-id="${n.id}"]`)
        .getAttribute('data-bp-chain'), 'false', `downstream vertex ${n.id} is not on the chain`);
  assertNoConsoleErrors(page);
  await screenshot(page, 'job-backpressure');
});

test('exceptions, timeline and configuration tabs', async () => {
  const job = await rest(`/jobs/${CK}`);
  const cfg = await rest(`/jobs/${CK}/config`);
  const page = await openPage(browser, `job/running/${CK}/exceptions`);
  await page.locator('[data-testid=exceptions]').waitFor();
  const exc = await rest(`/jobs/${CK}/exceptions`);
  if (exc.exceptionHistory.entries.length === 0 && !exc['root-exception'])
    await page.locator('[data-testid=exceptions]', { hasText: 'No exceptions' }).waitFor();
  else await page.locator('[data-testid=exception-entry]').first().waitFor();
  await screenshot(page, 'job-exceptions');

  await page.locator('[data-tab=timeline]').click();
  const rows = page.locator('[data-testid=vertex-timeline] [data-testid=timeline-row]');
  await rows.first().waitFor();
  assert.equal(await rows.count(), job.vertices.length + 1, 'the job and one row per vertex');
  const v = job.vertices[0];
  await page.locator(`[data-testid=timeline-row][data-row-id="${v.id}"]`).click();
  const sub = page.locator('[data-testid=subtask-timeline] [data-testid=timeline-row]');
  await sub.first().waitFor();
  assert.equal(await sub.count(), v.parallelism, 'one timeline row per subtask');
  await screenshot(page, 'job-timeline');

  await page.locator('[data-tab=configuration]').click();
  await page.locator('[data-testid=execution-config]').waitFor();
  const ec = cfg['execution-config'];
  assert.match(await page.locator('[data-testid=execution-config]').textContent(),
    new RegExp(`execution-mode${ec['execution-mode']}`));
  // the job was submitted with -p 2, which is its parallelism.default as with Flink's -p
  assert.equal(ec['job-parallelism'], 2, 'GET /jobs/<id>/config: job-parallelism of spate run -p 2');
  assert.match(await page.locator('[data-testid=execution-config]').textContent(),
    /job-parallelism2(?!\d)/);
  const interval = ec['user-config']['execution.checkpointing.interval'];
  assert.ok(interval, 'the job config has a checkpoint interval');
  assert.match(await page.locator('[data-testid=user-config]').textContent(),
    new RegExp(`execution.checkpointing.interval${interval}`));
  assertNoConsoleErrors(page);
  await screenshot(page, 'job-configuration');
});

test('a job id that does not exist: "Not found"', async () => {
  const missing = '0123456789abcdef0123456789abcdef';
  const page = await openPage(browser, `job/running/${missing}/overview`);
  await page.locator('.error-box[data-error-status="404"]', { hasText: 'Not found' }).waitFor();
  assert.match(await page.locator('.error-box').textContent(), new RegExp(missing));
  assertNoConsoleErrors(page, ['404']);
  await screenshot(page, 'job-not-found');
});

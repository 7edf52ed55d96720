// 55-stop-savepoint.test.mjs: stopping a job with a savepoint from the job page: a target
// directory typed in, "Stop with savepoint", the savepoint's path shown once the operation
// completes (a directory holding _metadata on disk), and the job ends FINISHED as Flink's
// stop-with-savepoint does. Environment: SPATE_URL, SPATE_STOP_JOB, SPATE_SAVEPOINT_DIR.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, assertNoConsoleErrors, screenshot, BASE } from './lib/browser.mjs';

const JOB = process.env.SPATE_STOP_JOB;
const DIR = process.env.SPATE_SAVEPOINT_DIR;
let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

test('Stop with savepoint: the savepoint path is shown and exists, the job FINISHED', async () => {
  assert.ok(JOB && DIR, 'SPATE_STOP_JOB and SPATE_SAVEPOINT_DIR are set');
  const page = await openPage(browser, `job/running/${JOB}/overview`);
  await page.locator('.job-meta [data-status=RUNNING]').waitFor();
  await page.locator('[data-testid=job-stop-dir]').fill(DIR);
  await page.locator('[data-testid=job-stop]').click();
  // The outcome: the savepoint's path, why the stop failed, or the REST API's error; the test
  // says which, rather than waiting out its deadline for a path that will not come.
  const result = page.locator('[data-testid=job-action-result][data-kind=savepoint]');
  const done = result.filter({ hasNotText: 'Stopping with a savepoint' });
  const failed = page.locator('.job-actions-box [role=alert]');
  await done.or(failed).first().waitFor();
  assert.equal(await failed.count(), 0, `no error: ${await failed.allInnerTexts()}`);
  const text = await result.innerText();
  assert.match(text, /^Savepoint: /, 'the stop ended with a savepoint');
  const path = text.replace(/^.*Savepoint: /s, '').trim().replace(/^file:\/\//, '');
  assert.ok(path.startsWith(DIR), `the savepoint ${path} is under ${DIR}`);
  assert.ok(existsSync(join(path, '_metadata')), `${path}/_metadata exists`);
  await page.locator('.job-meta [data-status=FINISHED]').waitFor();
  const r = await fetch(`${BASE}/jobs/${JOB}`);
  assert.equal((await r.json()).state, 'FINISHED');
  assertNoConsoleErrors(page);
  await screenshot(page, 'job-stop-savepoint');
});

// 60-submit.test.mjs: the submit page (#/submit) against a JobManager with web.submit.enable:
// WordCount's shared object uploaded through the file input, listed, its plan shown (with the
// arguments and parallelism of the form applied), submitted and followed on its job page to
// FINISHED (confirmed by GET /jobs/<id> and by its output file), then deleted from the list; and
// a text file refused with the server's reason shown beside the upload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, openPage, assertNoConsoleErrors, screenshot, BASE, DEADLINE } from './lib/browser.mjs';

const EXAMPLES = process.env.SPATE_EXAMPLES;
let browser;

before(async () => {
  assert.ok(EXAMPLES, 'SPATE_EXAMPLES (the directory of the example .so files) is not set');
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
});

async function rest(path) {
  const res = await fetch(BASE + path);
  assert.equal(res.status, 200, `GET ${path} answered ${res.status}`);
  return res.json();
}

/* The file at path, or every file under it (a sink of parallelism > 1 writes a directory). */
function readTree(path) {
  if (!statSync(path).isDirectory()) return readFileSync(path, 'utf8');
  return readdirSync(path).map((name) => readTree(join(path, name))).join('');
}

test('upload WordCount, show its plan, submit it, see it finish, delete it', async () => {
  const page = await openPage(browser, 'submit');
  await page.locator('[data-testid=submit-file]').setInputFiles(join(EXAMPLES, 'wordcount.so'));
  const result = page.locator('[data-testid=submit-upload-result]');
  await result.waitFor();
  assert.match(await result.innerText(), /Uploaded wordcount\.so/);
  const jarId = await result.getAttribute('data-jar-id');
  assert.match(jarId, /_wordcount\.so$/, 'the upload result names the stored file');

  // listed, with its name and entry
  const row = page.locator(`[data-testid=submit-jar][data-jar-id="${jarId}"]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-jar-name'), 'wordcount.so');
  assert.match(await row.innerText(), /spate_main/);

  // the form: arguments (a file sink instead of stdout) and parallelism 1
  await row.click();
  const form = page.locator(`[data-testid=submit-form][data-jar-id="${jarId}"]`);
  await form.waitFor();
  const out = join(mkdtempSync(join(tmpdir(), 'spate-ui-submit-')), 'out');
  await form.locator('[data-testid=submit-args]').fill(`--output ${out}`);
  await form.locator('[data-testid=submit-parallelism]').fill('1');

  // the plan: WordCount's two chained nodes, the sink the arguments chose
  await form.locator('[data-testid=submit-show-plan]').click();
  const plan = form.locator('[data-testid=submit-plan]');
  await plan.waitFor();
  assert.equal(await plan.locator('[data-testid=submit-plan-name]').innerText(), 'WordCount');
  const descriptions = await plan.locator('[data-testid=submit-plan-description]').allInnerTexts();
  assert.deepEqual(descriptions, ['Source: in-memory-input -> tokenizer', 'counter -> Sink: file-sink']);
  const parallelisms = await plan.locator('[data-testid=submit-plan-parallelism]').allInnerTexts();
  assert.deepEqual(parallelisms, ['1', '1']);
  await screenshot(page, 'submit-plan');

  // submit: the job's page, the job's name, FINISHED
  await form.locator('[data-testid=submit-run]').click();
  await page.waitForURL(/#\/job\/running\/[0-9a-f]{32}\/overview$/);
  const jobId = page.url().match(/\/job\/running\/([0-9a-f]{32})\//)[1];
  const name = page.locator('[data-testid=job-name]');
  await name.waitFor();
  assert.equal(await name.innerText(), 'WordCount');
  await page.locator('.job-header [data-status=FINISHED]').waitFor({ timeout: DEADLINE });
  const job = await rest(`/jobs/${jobId}`);
  assert.equal(job.state, 'FINISHED', 'GET /jobs/<id> confirms the job finished');
  assert.equal(job.name, 'WordCount');
  assert.ok(job.vertices.every((v) => v.parallelism === 1), 'the job ran at parallelism 1');
  assert.match(readTree(out), /\(question,1\)/, 'the job wrote its counts where --output said');
  await screenshot(page, 'submit-job-finished');

  // back to the submit page: delete the upload, the list no longer has it
  await page.goto(`${BASE}/#/submit`);
  await row.waitFor();
  await row.click();
  await form.locator('[data-testid=submit-delete]').click();
  await row.waitFor({ state: 'detached' });
  const jars = await rest('/jars');
  assert.ok(!jars.files.some((f) => f.id === jarId), 'GET /jars no longer lists the upload');
  await page.locator('[data-testid=submit-jars], [data-testid=submit-no-jars]').first().waitFor();
  assertNoConsoleErrors(page);
  await screenshot(page, 'submit-deleted');
});

test('a file that is not a job object is refused with the reason', async () => {
  const page = await openPage(browser, 'submit');
  const file = join(mkdtempSync(join(tmpdir(), 'spate-ui-submit-')), 'notes.txt');
  writeFileSync(file, 'these are notes, not a job\n');
  await page.locator('[data-testid=submit-file]').setInputFiles(file);
  const error = page.locator('[data-testid=submit-upload-error]');
  await error.waitFor();
  const text = await error.innerText();
  assert.match(text, /uploading notes\.txt/);
  assert.match(text, /'notes\.txt' is not a job object/);
  assert.match(text, /400/);
  const jars = await rest('/jars');
  assert.ok(!jars.files.some((f) => f.name === 'notes.txt'), 'the refused file is not listed');
  // the browser logs the refused upload's 400 itself
  assertNoConsoleErrors(page, ['status of 400']);
  await screenshot(page, 'submit-upload-error');
});

test('a program that fails shows its error beside Show Plan and Submit', async () => {
  const page = await openPage(browser, 'submit');
  // exactly_once_sums refuses to build a job without --output
  await page.locator('[data-testid=submit-file]').setInputFiles(join(EXAMPLES, 'exactly_once_sums.so'));
  const result = page.locator('[data-testid=submit-upload-result]');
  await result.waitFor();
  const jarId = await result.getAttribute('data-jar-id');
  const row = page.locator(`[data-testid=submit-jar][data-jar-id="${jarId}"]`);
  await row.click();
  const form = page.locator(`[data-testid=submit-form][data-jar-id="${jarId}"]`);
  await form.waitFor();

  // a bad parallelism is refused before any request
  await form.locator('[data-testid=submit-parallelism]').fill('two');
  await form.locator('[data-testid=submit-show-plan]').click();
  assert.match(await form.locator('[data-testid=submit-form-error]').innerText(), /Parallelism 'two'/);
  await form.locator('[data-testid=submit-parallelism]').fill('');

  await form.locator('[data-testid=submit-show-plan]').click();
  const planError = form.locator('[data-testid=submit-plan-error]');
  await planError.waitFor();
  assert.match(await planError.innerText(), /--output <dir> is required/);
  assert.equal(await form.locator('[data-testid=submit-plan]').count(), 0, 'no plan is drawn');
  assert.equal(await form.locator('[data-testid=submit-form-error]').count(), 0);

  await form.locator('[data-testid=submit-run]').click();
  const runError = form.locator('[data-testid=submit-run-error]');
  await runError.waitFor();
  assert.match(await runError.innerText(), /Could not run the job .*--output <dir> is required/s);
  assert.match(page.url(), /#\/submit$/, 'a failed submit stays on the submit page');
  await screenshot(page, 'submit-program-error');

  await form.locator('[data-testid=submit-delete]').click();
  await row.waitFor({ state: 'detached' });
  // the browser logs the refused plan and run (400) itself
  assertNoConsoleErrors(page, ['status of 400']);
});

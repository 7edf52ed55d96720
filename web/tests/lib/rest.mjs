// rest.mjs: what the page tests ask the REST API themselves (to compare with what a page shows)
// and a deadline-bounded wait for a condition that is not a page element.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, DEADLINE } from './browser.mjs';

/* GET BASE+path as JSON; fails the test naming the path on an error status. */
export async function restJson(path, base = BASE) {
  const res = await fetch(base + path);
  assert.ok(res.ok, `GET ${path} answered ${res.status}`);
  return res.json();
}

/* Re-evaluates async `check` (true when done) until it holds; after DEADLINE ms fails naming
 * `what` and the last value `describe` gives. Every check is a real REST/page read, spaced by
 * the page's own polling (waitForTimeout would be a sleep: this awaits the next animation frame
 * of `page` instead, when given). */
export async function eventually(what, check, { page, describe } = {}) {
  const end = Date.now() + DEADLINE;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end)
      assert.fail(`timed out after ${DEADLINE} ms awaiting ${what}` +
        (describe ? ` (last: ${await describe()})` : ''));
    if (page) await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
    else await new Promise((r) => setTimeout(r, 100));
  }
}

/* The first line of the daemons' log files named like `pattern` (in SPATE_LOG_DIR) containing
 * `needle`, or null. */
export function findLogLine(pattern, needle) {
  const dir = process.env.SPATE_LOG_DIR;
  assert.ok(dir, 'SPATE_LOG_DIR is not set');
  for (const f of readdirSync(dir).filter((n) => pattern.test(n)).sort()) {
    const line = readFileSync(join(dir, f), 'utf8').split('\n').find((l) => l.includes(needle));
    if (line) return { file: f, line };
  }
  return null;
}

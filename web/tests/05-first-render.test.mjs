// 05-first-render.test.mjs: the two figures the issue asks for, printed (not asserted against a
// number, which would depend on the machine):
//   UI first-render overview <ms> ms: from navigation start (performance.now() in a fresh
//     browser context) to the overview's slot card showing its number, as the page measures it;
//   UI bundle <bytes> bytes (<gz> gzipped): index.html + app.js + app.css as the server sends
//     them without and with Accept-Encoding: gzip.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync, gunzipSync } from 'node:zlib';
import { launch, assertNoConsoleErrors, screenshot, BASE, DEADLINE } from './lib/browser.mjs';

/* The overview's slot card (the overview page's data-testid), once it holds a number. */
const SLOT_CARD = '[data-testid="slots-total"]';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/* GET BASE+path with the given headers; resolves to {status, headers, body (raw bytes)}. */
function fetchRaw(path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, BASE), { headers, timeout: DEADLINE }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) })
      );
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to GET ${path} in ${DEADLINE} ms`)));
    req.on('error', reject);
    req.end();
  });
}

test('time to first render of the overview', async () => {
  // A fresh context, so nothing is cached; the init script runs before the page's own scripts
  // and notes the first animation frame after the slot card shows a number.
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addInitScript((selector) => {
    const check = () => {
      const el = document.querySelector(selector);
      if (!el || !/\d/.test(el.textContent) || !el.getClientRects().length) return;
      observer.disconnect();
      requestAnimationFrame(() => {
        window.__spateFirstRender = performance.now();
      });
    };
    const observer = new MutationObserver(check);
    observer.observe(document, { childList: true, subtree: true, characterData: true });
  }, SLOT_CARD);
  const page = await context.newPage();
  page.setDefaultTimeout(DEADLINE);
  page.errors = [];
  page.on('console', (m) => m.type() === 'error' && page.errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => page.errors.push(`page error: ${e.message}`));
  await page.goto(`${BASE}/#/overview`);
  await page.waitForFunction(() => window.__spateFirstRender !== undefined, null, {
    timeout: DEADLINE,
  });
  const ms = await page.evaluate(() => window.__spateFirstRender);
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return n ? { response: n.responseEnd, domContentLoaded: n.domContentLoadedEventEnd } : null;
  });
  assert.ok(ms > 0, `first render at ${ms} ms`);
  console.log(`UI first-render overview ${Math.round(ms)} ms`);
  if (nav)
    console.log(
      `# (index.html received at ${Math.round(nav.response)} ms, DOMContentLoaded at ${Math.round(nav.domContentLoaded)} ms)`
    );
  assertNoConsoleErrors(page);
  await screenshot(page, '05-first-render-overview');
  await context.close();
});

test('bundle size, raw and gzipped', async () => {
  const index = await fetchRaw('/');
  assert.equal(index.status, 200, 'GET / answers 200');
  const html = index.body.toString();
  // the page loads exactly the two assets measured here
  assert.match(html, /src="\.?\/?app\.js"/, 'index.html loads app.js');
  assert.match(html, /href="\.?\/?app\.css"/, 'index.html loads app.css');
  let raw = 0;
  let gz = 0;
  let served = true;
  for (const path of ['/', '/app.js', '/app.css']) {
    const plain = await fetchRaw(path);
    assert.equal(plain.status, 200, `GET ${path} answers 200`);
    assert.ok(!plain.headers['content-encoding'], `GET ${path} without Accept-Encoding: not encoded`);
    const zipped = await fetchRaw(path, { 'Accept-Encoding': 'gzip' });
    assert.equal(zipped.status, 200, `GET ${path} with Accept-Encoding: gzip answers 200`);
    raw += plain.body.length;
    if (zipped.headers['content-encoding'] === 'gzip') {
      assert.deepEqual(gunzipSync(zipped.body), plain.body, `${path}: the gzip body is the file`);
      gz += zipped.body.length;
    } else {
      served = false; // a server that does not compress (the dev-server): gzip it here
      gz += gzipSync(plain.body, { level: 9 }).length;
    }
  }
  assert.ok(raw > 0 && gz < raw, `bundle ${raw} bytes, ${gz} gzipped`);
  console.log(`UI bundle ${raw} bytes (${gz} gzipped)`);
  if (!served) console.log('# (the server sent no gzip encoding; the gzipped size is computed here)');
});

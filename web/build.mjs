// build.mjs: bundles the dashboard (src/main.jsx and its imports, uPlot's stylesheet) with
// esbuild into one minified app.js and app.css, copies index.html beside them, and writes a
// gzip copy of each (served when the browser accepts it). Usage: node build.mjs <outdir>
import { build } from 'esbuild';
import { mkdirSync, copyFileSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: node build.mjs <outdir>');
  process.exit(2);
}
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: { app: join(here, 'src/main.jsx') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(join(here, 'src/index.html'), join(outdir, 'index.html'));
let total = 0;
let totalGz = 0;
for (const f of readdirSync(outdir)) {
  if (f.endsWith('.gz')) continue;
  const p = join(outdir, f);
  if (!statSync(p).isFile()) continue;
  const raw = readFileSync(p);
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(p + '.gz', gz);
  total += raw.length;
  totalGz += gz.length;
}
console.log(`dashboard: ${outdir}: ${total} bytes (${totalGz} gzipped)`);

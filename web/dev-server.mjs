// dev-server.mjs: for working on the dashboard without rebuilding Spate: serves a built
// dashboard (node build.mjs <dir>) and forwards every other request to a REST endpoint.
// Usage: node dev-server.mjs <distdir> <port> <rest-url>, e.g. node dev-server.mjs /tmp/web 9081
// http://localhost:8081
import { createServer, request } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dist, port, target] = process.argv.slice(2);
if (!dist || !port || !target) {
  console.error('usage: node dev-server.mjs <distdir> <port> <rest-url>');
  process.exit(2);
}
const types = { html: 'text/html', js: 'text/javascript', css: 'text/css' };
const up = new URL(target);
createServer((req, res) => {
  const path = req.url === '/' ? '/index.html' : req.url;
  const file = /^\/[a-z]+\.(html|js|css)$/.test(path) && join(dist, path);
  if (file && existsSync(file)) {
    res.writeHead(200, { 'Content-Type': types[path.split('.').pop()], 'Cache-Control': 'no-cache' });
    res.end(readFileSync(file));
    return;
  }
  const fwd = request(
    { host: up.hostname, port: up.port, path: req.url, method: req.method, headers: req.headers },
    (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    }
  );
  fwd.on('error', (e) => {
    res.writeHead(502, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [`dev-server: ${e.message}`] }));
  });
  req.pipe(fwd);
}).listen(Number(port), '127.0.0.1', () => console.log(`dev-server on http://127.0.0.1:${port}/`));

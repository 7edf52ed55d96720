// api.js: the dashboard's only way to the REST API. Every request goes to the same origin as the
// page (the JobManager, the MiniCluster or the history server). Failures come back as values the
// pages show: a RestError (the server answered with an error status and Flink's
// {"errors": [...]} body) or a ConnectionError (no answer: the JobManager is gone or restarting).
import { signalConnection } from './connection.js';

export class RestError extends Error {
  constructor(path, status, errors) {
    super(errors && errors.length ? errors.join('; ') : `HTTP ${status}`);
    this.path = path;
    this.status = status;
    this.errors = errors || [];
  }
}

export class ConnectionError extends Error {
  constructor(path, cause) {
    super(`No answer from the JobManager at ${location.host} (${cause})`);
    this.path = path;
  }
}

/* Sends one request; resolves to the parsed JSON body (or text for text/plain replies). */
export async function request(method, path, body, { raw = false } = {}) {
  let res;
  const init = { method, headers: {} };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  try {
    res = await fetch(path.startsWith('/') ? path.slice(1) : path, init);
  } catch (e) {
    signalConnection(false);
    throw new ConnectionError(path, e.message || String(e));
  }
  signalConnection(true);
  const type = res.headers.get('Content-Type') || '';
  if (!res.ok) {
    let errors = null;
    if (type.includes('json')) {
      try {
        errors = (await res.json()).errors;
      } catch (_) {
        /* a body that is not JSON: the status says enough */
      }
    } else {
      const t = await res.text();
      if (t) errors = [t.slice(0, 500)];
    }
    throw new RestError(path, res.status, errors);
  }
  if (raw || !type.includes('json')) return res.text();
  return res.json();
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body) => request('POST', path, body);
export const patch = (path, body) => request('PATCH', path, body);
export const del = (path) => request('DELETE', path);

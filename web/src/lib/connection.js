// connection.js: whether the last request reached the server, for the banner that says the
// JobManager cannot be reached (every page keeps showing its last data under it).
const listeners = new Set();
let connected = true;

export function signalConnection(ok) {
  if (ok === connected) return;
  connected = ok;
  for (const l of listeners) l(ok);
}

export function onConnection(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export const isConnected = () => connected;

// Feedback.jsx: what a page shows instead of (or beside) its data: loading, an error from the
// REST API or a lost connection (with what was asked and what came back), an empty list.
import { RestError, ConnectionError } from '../lib/api.js';

export function Loading({ what }) {
  return <div class="loading" role="status">Loading {what || ''}…</div>;
}

export function ErrorBox({ error, what }) {
  if (!error) return null;
  let title = 'Error';
  let detail = error.message || String(error);
  if (error instanceof RestError) {
    title = error.status === 404 ? 'Not found' : `The REST API answered ${error.status}`;
    detail = error.errors.length ? error.errors.join('\n') : `HTTP ${error.status}`;
  } else if (error instanceof ConnectionError) {
    title = 'Cannot reach the JobManager';
  }
  return (
    <div class="error-box" role="alert" data-error-status={error.status || 0}>
      <strong>{title}{what ? ` (${what})` : ''}</strong>
      <pre>{detail}</pre>
      {error.path && <div class="muted">Request: {error.path}</div>}
    </div>
  );
}

export function Empty({ children }) {
  return <div class="empty">{children}</div>;
}

/* The usual triple of a useRest result: first load, hard error without data, or the content
 * (with a small warning above it when a reload failed). */
export function Loaded({ res, what, children }) {
  if (res.data === undefined && res.error) return <ErrorBox error={res.error} what={what} />;
  if (res.data === undefined) return <Loading what={what} />;
  return (
    <>
      {res.error && <ErrorBox error={res.error} what={`last refresh of ${what || 'this page'}`} />}
      {children(res.data)}
    </>
  );
}

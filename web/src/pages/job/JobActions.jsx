// JobActions.jsx: the job's buttons. Cancel (PATCH /jobs/<jid>?mode=cancel, shown when the job
// is live and /config's features.web-cancel is on) asks for confirmation first. Stop with
// savepoint (POST /jobs/<jid>/stop {drain: false, targetDirectory}) then polls
// /jobs/<jid>/savepoints/<triggerid> until it completes and shows the savepoint's path or why
// it failed. Every REST error is shown beside the buttons.
import { useEffect, useState } from 'preact/hooks';
import { get, patch, post } from '../../lib/api.js';
import { useConfig } from '../../lib/poll.js';
import { ErrorBox } from '../../components/Feedback.jsx';
import './job.css';

/* Polls a savepoint trigger until it is COMPLETED; resolves to its operation ({location} or
 * {failure-cause}). Gives up (rejects) after `limitMs`. */
async function awaitSavepoint(jid, trigger, every, limitMs) {
  const end = Date.now() + limitMs;
  for (;;) {
    const r = await get(`/jobs/${jid}/savepoints/${trigger}`);
    if (r.status && r.status.id === 'COMPLETED') return r.operation || {};
    if (Date.now() > end) throw new Error(`The savepoint ${trigger} did not complete in ${limitMs / 1000} s`);
    await new Promise((ok) => setTimeout(ok, every));
  }
}

export function JobActions({ job, live, reload }) {
  const config = useConfig();
  const canCancel = live && !!(config && config.features && config.features['web-cancel']);
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [stopDir, setStopDir] = useState('');
  const [result, setResult] = useState(null); // {kind: 'cancel'|'savepoint', text, ok}
  useEffect(() => setConfirm(false), [job.jid]);
  if (!live && !result && !error) return null;

  const cancel = async () => {
    setBusy(true);
    setError(null);
    try {
      await patch(`/jobs/${job.jid}?mode=cancel`);
      setResult({ kind: 'cancel', ok: true, text: 'Cancellation requested.' });
      setConfirm(false);
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const stop = async () => {
    setBusy(true);
    setError(null);
    setResult({ kind: 'savepoint', ok: true, text: 'Stopping with a savepoint…' });
    try {
      const body = { drain: false };
      if (stopDir.trim()) body.targetDirectory = stopDir.trim();
      const t = await post(`/jobs/${job.jid}/stop`, body);
      const op = await awaitSavepoint(job.jid, t['request-id'], 500, 10 * 60 * 1000);
      if (op.location) setResult({ kind: 'savepoint', ok: true, text: `Savepoint: ${op.location}` });
      else {
        const c = op['failure-cause'] || {};
        setResult({ kind: 'savepoint', ok: false,
          text: `Stop with savepoint failed: ${c['stack-trace'] || JSON.stringify(c)}` });
      }
      reload();
    } catch (e) {
      setResult(null);
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="job-actions-box">
      {live && (
        <div class="job-actions">
          {canCancel && !confirm && (
            <button class="danger" data-testid="job-cancel" disabled={busy}
              onClick={() => setConfirm(true)}>Cancel job</button>
          )}
          {canCancel && confirm && (
            <span class="job-confirm" data-testid="job-cancel-confirm-box">
              Cancel this job?
              <button class="danger" data-testid="job-cancel-confirm" disabled={busy}
                onClick={cancel}>Yes, cancel</button>
              <button data-testid="job-cancel-abort" onClick={() => setConfirm(false)}>No</button>
            </span>
          )}
          <input placeholder="Savepoint directory (default if empty)" value={stopDir}
            data-testid="job-stop-dir" onInput={(e) => setStopDir(e.target.value)} />
          <button data-testid="job-stop" disabled={busy} onClick={stop}>Stop with savepoint</button>
        </div>
      )}
      {result && (
        <div class={'job-action-result' + (result.ok ? ' ok' : ' error-box')}
          data-testid="job-action-result" data-kind={result.kind}>{result.text}</div>
      )}
      {error && <ErrorBox error={error} what="job action" />}
    </div>
  );
}

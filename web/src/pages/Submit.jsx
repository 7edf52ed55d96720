// Submit.jsx: #/submit, Flink's "Submit New Job" page for Spate's job shared objects, through
// the /jars routes the JobManager serves while web.submit.enable is true (features.web-submit):
// upload an object (POST /jars/upload), list the uploads (GET /jars), and for the one expanded:
// program arguments, parallelism, savepoint path, allow-non-restored-state; Show Plan (POST
// /jars/<id>/plan, drawn as a table of its nodes), Submit (POST /jars/<id>/run, then the job's
// page) and Delete (DELETE /jars/<id>). Each action's REST error is shown beside its buttons.
import { useState } from 'preact/hooks';
import { post, del } from '../lib/api.js';
import { useRest, useConfig } from '../lib/poll.js';
import { navigate } from '../lib/router.js';
import { fmtTime, fmtBytes } from '../lib/format.js';
import { ErrorBox, Loaded } from '../components/Feedback.jsx';
import { uploadJobObject } from './submit-upload.js';
import './submit.css';

export function SubmitPage() {
  const config = useConfig();
  const enabled = !!(config && config.features && config.features['web-submit']);
  return (
    <div class="submit-page">
      <h1>Submit New Job</h1>
      {enabled ? (
        <SubmitContent />
      ) : (
        <div class="empty" role="status" data-testid="submit-disabled">
          Job submission is disabled on this JobManager. Set <span class="mono">web.submit.enable: true</span>{' '}
          in its configuration to upload and run jobs from the dashboard.
        </div>
      )}
    </div>
  );
}

function SubmitContent() {
  const jars = useRest('/jars');
  const [open, setOpen] = useState(null);
  return (
    <>
      <Upload onUploaded={jars.reload} />
      <h2>Uploaded jobs</h2>
      <Loaded res={jars} what="the uploaded jobs (/jars)">
        {(d) => (
          <JarList files={d.files || []} open={open} setOpen={setOpen} reload={jars.reload} />
        )}
      </Loaded>
    </>
  );
}

/* The file input; a chosen file is uploaded at once, as in Flink's dashboard. */
function Upload({ onUploaded }) {
  const [state, setState] = useState(null); // {file, sent, total, done, result, error}
  const choose = async (e) => {
    const input = e.currentTarget;
    const file = input.files && input.files[0];
    if (!file) return;
    setState({ file, sent: 0, total: file.size });
    try {
      const result = await uploadJobObject(file, (sent, total) =>
        setState((s) => ({ ...s, sent, total }))
      );
      setState({ file, sent: file.size, total: file.size, done: true, result });
      onUploaded();
    } catch (error) {
      setState({ file, done: true, error });
    } finally {
      input.value = ''; // the same file may be chosen again
    }
  };
  const busy = state && !state.done;
  const pct = state && state.total ? Math.min(100, Math.round((100 * state.sent) / state.total)) : 0;
  return (
    <section class="panel submit-upload">
      <label class="submit-upload-label">
        <span class={'button primary' + (busy ? ' disabled' : '')}>+ Add New</span>
        <input type="file" accept=".so" disabled={busy} onChange={choose} data-testid="submit-file"
          class="submit-file-input" />
        <span class="muted">
          A job's shared object (<span class="mono">.so</span>) defining{' '}
          <span class="mono">spate_main</span>, built with{' '}
          <span class="mono">cc -shared -fPIC job.c -o job.so</span>.
        </span>
      </label>
      {busy && (
        <div class="submit-progress" data-testid="submit-upload-progress">
          Uploading {state.file.name}: {fmtBytes(state.sent)} of {fmtBytes(state.total)}
          <div class="submit-bar"><div style={{ width: `${pct}%` }} /></div>
        </div>
      )}
      {state && state.done && state.result && (
        <div class="submit-ok" role="status" data-testid="submit-upload-result"
          data-jar-id={String(state.result.filename || '').split('/').pop()}>
          Uploaded {state.file.name} ({fmtBytes(state.file.size)}).
        </div>
      )}
      {state && state.done && state.error && (
        <div data-testid="submit-upload-error">
          <ErrorBox error={state.error} what={`uploading ${state.file.name}`} />
        </div>
      )}
    </section>
  );
}

function JarList({ files, open, setOpen, reload }) {
  if (files.length === 0)
    return (
      <div class="empty" data-testid="submit-no-jars">
        No job uploaded yet. Add one above.
      </div>
    );
  return (
    <table class="data submit-jars" data-testid="submit-jars">
      <thead>
        <tr>
          <th>Name</th>
          <th>Upload Time</th>
          <th>Entry</th>
        </tr>
      </thead>
      <tbody>
        {files.map((f) => {
          const expanded = open === f.id;
          const entry = (f.entry || []).map((e) => e.name).join(', ') || '-';
          return [
            <tr key={f.id} class={'clickable' + (expanded ? ' selected' : '')}
              onClick={() => setOpen(expanded ? null : f.id)}
              data-testid="submit-jar" data-jar-id={f.id} data-jar-name={f.name}>
              <td>
                <span class="submit-caret">{expanded ? '▾' : '▸'}</span> {f.name}
                <div class="mono muted small">{f.id}</div>
              </td>
              <td>{fmtTime(f.uploaded)}</td>
              <td class="mono">{entry}</td>
            </tr>,
            expanded && (
              <tr key={f.id + '-form'} class="submit-form-row">
                <td colSpan={3}>
                  <JarForm jar={f} entry={entry} reload={reload} onDeleted={() => setOpen(null)} />
                </td>
              </tr>
            ),
          ];
        })}
      </tbody>
    </table>
  );
}

const jarPath = (jar, what) => `/jars/${encodeURIComponent(jar.id)}${what ? '/' + what : ''}`;

/* The expanded upload: its parameters and actions. */
function JarForm({ jar, entry, reload, onDeleted }) {
  const [args, setArgs] = useState('');
  const [parallelism, setParallelism] = useState('');
  const [savepoint, setSavepoint] = useState('');
  const [allowNonRestored, setAllowNonRestored] = useState(false);
  const [busy, setBusy] = useState(null); // 'plan' | 'run' | 'delete'
  const [plan, setPlan] = useState(null);
  const [errors, setErrors] = useState({}); // action -> error
  const [formError, setFormError] = useState(null);

  /* The request body from the form; null (with the reason shown) when a field is bad. */
  const body = (withRestore) => {
    const b = {};
    if (args.trim()) b.programArgs = args.trim();
    const p = parallelism.trim();
    if (p) {
      if (!/^[0-9]+$/.test(p) || Number(p) < 1 || Number(p) > 32768) {
        setFormError(`Parallelism '${p}' is not an integer from 1 to 32768.`);
        return null;
      }
      b.parallelism = Number(p);
    }
    if (withRestore) {
      if (savepoint.trim()) b.savepointPath = savepoint.trim();
      if (allowNonRestored) b.allowNonRestoredState = true;
    }
    setFormError(null);
    return b;
  };
  const act = async (what, fn) => {
    setBusy(what);
    setErrors((e) => ({ ...e, [what]: null }));
    try {
      await fn();
    } catch (error) {
      setErrors((e) => ({ ...e, [what]: error }));
    } finally {
      setBusy(null);
    }
  };
  const showPlan = () => {
    const b = body(false);
    if (!b) return;
    setPlan(null); // a plan shown stays only while it matches the last request
    act('plan', async () => setPlan((await post(jarPath(jar, 'plan'), b)).plan));
  };
  const run = () => {
    const b = body(true);
    if (b)
      act('run', async () => {
        const r = await post(jarPath(jar, 'run'), b);
        navigate('job', 'running', r.jobid, 'overview');
      });
  };
  const remove = () =>
    act('delete', async () => {
      await del(jarPath(jar));
      onDeleted();
      reload();
    });
  const stop = (e) => e.stopPropagation();
  return (
    <div class="submit-form" data-testid="submit-form" data-jar-id={jar.id} onClick={stop}>
      <div class="submit-fields">
        <label>
          <span>Entry</span>
          <input value={entry} readOnly title="A Spate job object has one entry point: spate_main"
            data-testid="submit-entry" />
        </label>
        <label>
          <span>Parallelism</span>
          <input value={parallelism} placeholder="the job's default" inputMode="numeric"
            onInput={(e) => setParallelism(e.currentTarget.value)} data-testid="submit-parallelism" />
        </label>
        <label class="wide">
          <span>Program Arguments</span>
          <input value={args} placeholder="--input /data/in --output /data/out"
            onInput={(e) => setArgs(e.currentTarget.value)} data-testid="submit-args" />
        </label>
        <label class="wide">
          <span>Savepoint Path</span>
          <input value={savepoint} placeholder="start from a savepoint or checkpoint (optional)"
            onInput={(e) => setSavepoint(e.currentTarget.value)} data-testid="submit-savepoint" />
        </label>
        <label class="check">
          <input type="checkbox" checked={allowNonRestored}
            onChange={(e) => setAllowNonRestored(e.currentTarget.checked)}
            data-testid="submit-allow-non-restored" />
          <span>Allow Non Restored State</span>
        </label>
      </div>
      <div class="submit-actions">
        <button onClick={showPlan} disabled={!!busy} data-testid="submit-show-plan">
          {busy === 'plan' ? 'Building the plan…' : 'Show Plan'}
        </button>
        <button class="primary" onClick={run} disabled={!!busy} data-testid="submit-run">
          {busy === 'run' ? 'Submitting…' : 'Submit'}
        </button>
        <button class="danger" onClick={remove} disabled={!!busy} data-testid="submit-delete">
          {busy === 'delete' ? 'Deleting…' : 'Delete'}
        </button>
      </div>
      {formError && (
        <div class="error-box" role="alert" data-testid="submit-form-error">
          <strong>{formError}</strong>
        </div>
      )}
      <ActionError error={errors.plan} what="Show Plan" testid="submit-plan-error" />
      <ActionError error={errors.run} what="Submit" testid="submit-run-error" />
      <ActionError error={errors.delete} what="Delete" testid="submit-delete-error" />
      {plan && <Plan plan={plan} />}
    </div>
  );
}

function ActionError({ error, what, testid }) {
  if (!error) return null;
  return (
    <div data-testid={testid}>
      <ErrorBox error={error} what={what} />
    </div>
  );
}

/* Flink's JobPlanInfo as a table of its nodes (the DAG drawing is the job page's). */
function Plan({ plan }) {
  const nodes = plan.nodes || [];
  const byId = new Map(nodes.map((n) => [String(n.id), n]));
  return (
    <div class="submit-plan" data-testid="submit-plan">
      <h3>
        Plan of <span data-testid="submit-plan-name">{plan.name || '-'}</span>{' '}
        <span class="muted small">{plan.type ? `(${plan.type.toLowerCase()})` : ''}</span>
      </h3>
      <table class="data">
        <thead>
          <tr>
            <th>ID</th>
            <th>Description</th>
            <th class="num">Parallelism</th>
            <th>Inputs</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => (
            <tr key={n.id} data-testid="submit-plan-node" data-node-id={n.id}>
              <td class="mono">{n.id}</td>
              <td data-testid="submit-plan-description">{n.description || n.operator || '-'}</td>
              <td class="num" data-testid="submit-plan-parallelism">{n.parallelism}</td>
              <td>
                {(n.inputs || []).length === 0 ? (
                  <span class="muted">-</span>
                ) : (
                  (n.inputs || []).map((i) => {
                    const from = byId.get(String(i.id));
                    return (
                      <div key={i.num + '-' + i.id}>
                        <span class="mono">{i.id}</span>
                        {from && from.description ? ` (${from.description})` : ''}
                        {i.ship_strategy && <span class="badge badge-grey submit-ship">{i.ship_strategy}</span>}
                      </div>
                    );
                  })
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

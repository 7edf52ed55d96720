// Anatomy.jsx: #/.../checkpoints/anatomy[/<checkpointid>]: where one checkpoint's time went.
// For each vertex a stacked bar of its slowest subtask's end-to-end time split into start
// delay (the barrier's travel from the sources), alignment, sync and async phases (Spate's
// async phase writes the state files, i.e. includes the upload) and what is left (the
// acknowledgement's way back); expanded, a bar per subtask. All bars share one scale. The
// slowest subtask of the checkpoint is named above them. Without an id the view follows the
// latest completed checkpoint.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Loading } from '../../../components/Feedback.jsx';
import { fmtDuration, fmtTime } from '../../../lib/format.js';
import { checkpointAnatomy, checkpointKind, phasesOf } from './model.js';
import { loadCheckpoint } from './load.js';
import { GoneCheckpoint } from './Details.jsx';

/* Loads checkpoint `id` whole; a new id keeps showing the previous one until it arrives.
 * `follow`: a failure keeps what is shown (the next latest id will be tried: at a short
 * interval a checkpoint can leave the JobManager's history before its details are asked).
 * An explicit id that fails other than with 404 (gone) is tried again a few times before the
 * error is shown. A load that resolves after the page moved on to another id is dropped: the
 * id wanted is read at render time, because Preact runs the effect cleanup (which would cancel
 * the old load) only after the next paint, and a late answer for the followed checkpoint must
 * not replace the one just pinned. */
const EXPLICIT_RETRIES = 3;
const RETRY_MS = 1000;

function useWholeCheckpoint(jobId, id, follow) {
  const [state, setState] = useState({});
  const shown = useRef(state);
  shown.current = state;
  const wanted = useRef(id);
  wanted.current = id;
  useEffect(() => {
    if (id === null || id === undefined) return undefined;
    /* already shown (pinning the followed checkpoint): a completed one does not change */
    if (shown.current.id === id && shown.current.data) return undefined;
    let current = true;
    let timer = null;
    const live = () => current && wanted.current === id;
    const load = (attempt) =>
      loadCheckpoint(jobId, id).then(
        (data) => live() && setState({ id, data }),
        (error) => {
          if (!live() || follow) return;
          if (error.status !== 404 && attempt < EXPLICIT_RETRIES) {
            timer = setTimeout(() => load(attempt + 1), RETRY_MS);
          } else {
            setState({ id, error });
          }
        }
      );
    load(0);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [jobId, id, follow]);
  return state;
}

function Bar({ a, phases, scale, slowest, label, testid, attrs }) {
  const total = Math.max(scale, 1);
  const title = `${label}: ${a.e2e} ms end to end\n` +
    phases.map((p) => `${p.label}: ${a.phases[p.id] || 0} ms`).join('\n');
  return (
    <div class={'ckpt-bar-row' + (slowest ? ' ckpt-slowest-bar' : '')} data-testid={testid}
      data-e2e={a.e2e} {...attrs}>
      <div class="ckpt-bar-label" title={label}>{label}</div>
      <div class="ckpt-bar-track" title={title}>
        {phases.map((p) => {
          const v = a.phases[p.id] || 0;
          if (v <= 0) return null;
          return (
            <div key={p.id} class={`ckpt-seg ckpt-seg-${p.id}`} data-phase={p.id}
              style={{ width: `${(100 * v) / total}%` }} title={`${p.label}: ${v} ms`}>
              {v / total >= 0.08 ? `${v} ms` : ''}
            </div>
          );
        })}
      </div>
      <div class="ckpt-bar-value">{fmtDuration(a.e2e)}</div>
    </div>
  );
}

function Legend({ phases }) {
  return (
    <div class="ckpt-legend" data-testid="ckpt-legend">
      {phases.map((p) => (
        <span key={p.id} class="ckpt-legend-item">
          <span class={`ckpt-swatch ckpt-seg-${p.id}`} />
          {p.label}
        </span>
      ))}
    </div>
  );
}

function Slowest({ s, phases }) {
  if (!s) {
    return <div class="empty" data-testid="ckpt-slowest-none">No subtask has acknowledged this checkpoint.</div>;
  }
  const p = phases.find((x) => x.id === s.dominant) || { label: s.dominant };
  const v = s.phases[s.dominant] || 0;
  const share = s.e2e > 0 ? Math.round((100 * v) / s.e2e) : 0;
  return (
    <div class="ckpt-slowest" data-testid="ckpt-slowest" data-vertex-id={s.vertex}
      data-vertex-name={s.name} data-subtask={s.index} data-e2e={s.e2e} data-phase={s.dominant}>
      <span class="ckpt-slowest-tag">Slowest subtask</span>
      <strong>{s.name}</strong> subtask #{s.index}: {fmtDuration(s.e2e)} end to end, mostly{' '}
      <strong>{p.label}</strong> ({fmtDuration(v)}, {share}%)
    </div>
  );
}

function Vertex({ v, phases, scale, slowest }) {
  const [open, setOpen] = useState(false);
  const has = v.slowest && slowest && slowest.vertex === v.id;
  const pending = v.subtasks.filter((s) => s.pending).length;
  return (
    <div class={'ckpt-anatomy-vertex' + (open ? ' open' : '')} data-testid="ckpt-anatomy-vertex"
      data-vertex-id={v.id} data-vertex-name={v.name}>
      <button type="button" class="ckpt-vertex-head" onClick={() => setOpen(!open)}
        data-testid="ckpt-anatomy-toggle" aria-expanded={open}>
        <span class="ckpt-toggle">{open ? '▾' : '▸'}</span>
        <span class="ckpt-vertex-title">{v.name}</span>
        <span class="muted small">
          {v.subtasks.length} subtask{v.subtasks.length === 1 ? '' : 's'}
          {v.slowest ? `, slowest #${v.slowest.index}` : ''}
          {pending ? `, ${pending} not acknowledged` : ''}
        </span>
      </button>
      {v.slowest ? (
        <Bar a={v.slowest} phases={phases} scale={scale} slowest={has}
          label={`slowest: #${v.slowest.index}`} testid="ckpt-anatomy-vertex-bar" />
      ) : (
        <div class="muted small">No subtask acknowledged.</div>
      )}
      {open && (
        <div class="ckpt-anatomy-subtasks">
          {v.subtasks.map((s) =>
            s.pending ? (
              <div class="ckpt-bar-row muted small" key={s.index} data-testid="ckpt-anatomy-subtask"
                data-subtask={s.index}>
                <div class="ckpt-bar-label">#{s.index}</div>
                <div>not acknowledged</div>
              </div>
            ) : (
              <Bar key={s.index} a={s} phases={phases} scale={scale} label={`#${s.index}`}
                slowest={has && s.index === slowest.index} testid="ckpt-anatomy-subtask"
                attrs={{ 'data-subtask': s.index }} />
            )
          )}
        </div>
      )}
    </div>
  );
}

export function CkAnatomy({ stats, job, jobId, link, arg }) {
  const latest = stats.latest && stats.latest.completed;
  const explicit = arg[0] !== undefined;
  const id = explicit ? Number(arg[0]) : latest ? latest.id : null;
  const whole = useWholeCheckpoint(jobId, Number.isInteger(id) ? id : null, !explicit);
  if (explicit && !(Number.isInteger(id) && id >= 0)) {
    return <div class="error-box" role="alert"><strong>Not a checkpoint id: {arg[0]}</strong></div>;
  }
  if (!explicit && !latest) {
    return (
      <div class="empty" data-testid="ckpt-none-completed">
        No checkpoint has completed yet: the anatomy shows a completed checkpoint.
      </div>
    );
  }
  const choices = (stats.history || []).filter((c) => c.status === 'COMPLETED').map((c) => c.id);
  if (explicit && !choices.includes(id)) choices.unshift(id);
  const picker = (
    <label class="ckpt-picker">
      Checkpoint{' '}
      <select data-testid="ckpt-anatomy-select" value={explicit ? String(id) : 'latest'}
        onChange={(e) => {
          location.hash = e.target.value === 'latest' ? link('anatomy') : link('anatomy', e.target.value);
        }}>
        <option value="latest">latest completed (follow)</option>
        {choices.map((c) => <option key={c} value={String(c)}>{c}</option>)}
      </select>
    </label>
  );
  let body;
  if (whole.error && (!whole.data || whole.id === id)) body = <GoneCheckpoint id={whole.id} error={whole.error} />;
  /* a pinned id shows only its own data (the followed one may still be on screen) */
  else if (!whole.data || (explicit && whole.id !== id)) body = <Loading what={`checkpoint ${id}`} />;
  else {
    const names = {};
    for (const v of job.vertices || []) names[v.id] = v.name;
    const order = (job.vertices || []).map((v) => v.id);
    const d = whole.data.details;
    const an = checkpointAnatomy(d, whole.data.subtasks, names, order);
    const phases = phasesOf(an);
    body = (
      <div data-testid="ckpt-anatomy-body" data-checkpoint-id={d.id}>
        <div class="ckpt-anatomy-head">
          <span>
            {checkpointKind(d).label} <strong>#{d.id}</strong>
            {!explicit && ' (latest completed)'} ({checkpointKind(d).alignment}): triggered{' '}
            {fmtTime(d.trigger_timestamp)}, {fmtDuration(d.end_to_end_duration)} end to end,{' '}
            {d.num_acknowledged_subtasks}/{d.num_subtasks} subtasks acknowledged
          </span>
          {!explicit && <a href={link('anatomy', String(d.id))} data-testid="ckpt-anatomy-pin">keep this one</a>}
        </div>
        <Slowest s={an.slowest} phases={phases} />
        <Legend phases={phases} />
        <div class="ckpt-anatomy-scale muted small">
          Bars share one scale: 0 to {fmtDuration(an.scale)}. Hover a bar for its phases in ms.
        </div>
        {an.vertices.map((v) => (
          <Vertex key={v.id} v={v} phases={phases} scale={an.scale} slowest={an.slowest} />
        ))}
      </div>
    );
  }
  return (
    <div class="ckpt-anatomy" data-testid="ckpt-anatomy">
      <div class="ckpt-anatomy-bar">{picker}</div>
      {body}
    </div>
  );
}

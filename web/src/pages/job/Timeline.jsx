// Timeline.jsx: a Gantt chart of the job (its state timestamps) and its vertices (start to end,
// or to now while running), from /jobs/<jid>. Clicking a vertex (#/job/.../timeline/<vertexid>)
// shows its subtasks' state phases from /jobs/<jid>/vertices/<vid>/subtasktimes.
import { useRest } from '../../lib/poll.js';
import { fmtDuration, fmtTime } from '../../lib/format.js';
import { Loaded } from '../../components/Feedback.jsx';
import './job.css';

const COLOURS = {
  CREATED: '#b8c0cc', SCHEDULED: '#9aa4b4', DEPLOYING: '#d08a12', INITIALIZING: '#e3b04b',
  RUNNING: '#2f6fdf', FINISHED: '#2a9d5c', CANCELING: '#c99a3a', CANCELLING: '#c99a3a',
  CANCELED: '#8b94a3', FAILED: '#cf3a3a', FAILING: '#e07070', RESTARTING: '#a347c2',
  RECONCILING: '#c9a227', SUSPENDED: '#8b94a3',
};
const PHASES = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED',
  'CANCELING', 'CANCELED', 'FAILED'];

/* Phases of a timestamps map: [{state, from, to}], each to the next state's time (or `end`). */
function phases(timestamps, end) {
  const seen = Object.entries(timestamps || {}).filter(([, t]) => t > 0)
    .sort((a, b) => a[1] - b[1] || PHASES.indexOf(a[0]) - PHASES.indexOf(b[0]));
  return seen.map(([state, from], i) => ({ state, from,
    to: i + 1 < seen.length ? seen[i + 1][1] : end }));
}

function Gantt({ rows, t0, t1, testid, onClick, selected }) {
  const span = Math.max(1, t1 - t0);
  const pct = (t) => `${(100 * (t - t0)) / span}%`;
  const states = new Set(rows.flatMap((r) => r.bars.map((b) => b.state)));
  return (
    <div class="job-timeline" data-testid={testid}>
      <div class="job-tl-legend">
        {[...states].map((s) => <span style={{ '--c': COLOURS[s] || '#999' }} key={s}>{s}</span>)}
      </div>
      {rows.map((r) => (
        <div key={r.id} class={'job-tl-row' + (onClick && r.clickable ? ' clickable' : '') +
          (selected === r.id ? ' selected' : '')} data-testid="timeline-row" data-row-id={r.id}
          onClick={onClick && r.clickable ? () => onClick(r.id) : undefined}>
          <div class="job-tl-label" title={r.label}>{r.label}</div>
          <div class="job-tl-track">
            {r.bars.map((b, i) => (
              <div key={i} class="job-tl-bar" data-state={b.state}
                title={`${b.state}: ${fmtTime(b.from)} – ${fmtDuration(b.to - b.from)}`}
                style={{ left: pct(b.from), width: `calc(${pct(b.to)} - ${pct(b.from)})`,
                  background: COLOURS[b.state] || '#999' }} />
            ))}
          </div>
        </div>
      ))}
      <div class="job-tl-axis"><span>{fmtTime(t0)}</span><span>{fmtDuration(t1 - t0)}</span>
        <span>{fmtTime(t1)}</span></div>
    </div>
  );
}

function SubtaskTimeline({ jobId, vid, live }) {
  const res = useRest(`/jobs/${jobId}/vertices/${vid}/subtasktimes`, { live });
  return (
    <Loaded res={res} what="subtask times">
      {(d) => {
        const end = d.now || Date.now();
        const rows = (d.subtasks || []).map((s) => ({ id: String(s.subtask),
          label: `Subtask ${s.subtask} (${s.endpoint || s.host || '-'})`,
          bars: phases(s.timestamps, end) }));
        const all = rows.flatMap((r) => r.bars);
        const t0 = all.length ? Math.min(...all.map((b) => b.from)) : end - 1;
        return (
          <>
            <h2>Subtasks of {d.name}</h2>
            <Gantt rows={rows} t0={t0} t1={end} testid="subtask-timeline" />
          </>
        );
      }}
    </Loaded>
  );
}

export function JobTimelineTab({ job, jobId, sub, live, base }) {
  const end = job['end-time'] > 0 ? job['end-time'] : job.now || Date.now();
  const jobRow = { id: 'job', label: `Job: ${job.name}`, bars: phases(job.timestamps, end) };
  const vrows = (job.vertices || []).map((v) => ({
    id: v.id, label: v.name, clickable: true,
    bars: v['start-time'] > 0 ? [{ state: v.status, from: v['start-time'],
      to: v['end-time'] > 0 ? v['end-time'] : end }] : [],
  }));
  const rows = [jobRow, ...vrows];
  const starts = rows.flatMap((r) => r.bars.map((b) => b.from));
  const t0 = starts.length ? Math.min(...starts) : job['start-time'];
  const selected = sub[0];
  const open = (id) => { location.hash = `${base('timeline').slice(1)}/${encodeURIComponent(id)}`; };
  return (
    <div data-testid="job-timeline">
      <p class="muted small">Click a vertex for its subtasks' phases.</p>
      <Gantt rows={rows} t0={t0} t1={end} testid="vertex-timeline" onClick={open}
        selected={selected} />
      {selected && <SubtaskTimeline jobId={jobId} vid={selected} live={live} />}
    </div>
  );
}

// VertexPanel.jsx: one vertex of the job (#/job/<state>/<jid>/overview/<vertexid>/<subtab>):
// its subtasks, the TaskManagers running them, their watermarks, their backpressure, and live
// charts of the metrics the user picks from the vertex's metric list.
import { useState } from 'preact/hooks';
import { get } from '../../lib/api.js';
import { useRest, useTicker } from '../../lib/poll.js';
import { href } from '../../lib/router.js';
import { fmtBytes, fmtDuration, fmtNumber, fmtTime, fmtPercent } from '../../lib/format.js';
import { Loaded, ErrorBox, Empty } from '../../components/Feedback.jsx';
import { StatusBadge, TaskCounts } from '../../components/Status.jsx';
import { Table } from '../../components/Table.jsx';
import { Tabs } from '../../components/Tabs.jsx';
import { Chart } from '../../components/Chart.jsx';
import { bpLevel } from './backpressure.js';
import { fmtWatermark } from './vertexMetrics.js';

const SUBTABS = [
  ['subtasks', 'Subtasks'],
  ['taskmanagers', 'TaskManagers'],
  ['watermarks', 'Watermarks'],
  ['backpressure', 'BackPressure'],
  ['metrics', 'Metrics'],
];

const m = (r, k) => (r.metrics ? r.metrics[k] : undefined);
const IO_COLUMNS = [
  { label: 'Bytes received', class: 'num', render: (r) => fmtBytes(m(r, 'read-bytes')) },
  { label: 'Records received', class: 'num', render: (r) => fmtNumber(m(r, 'read-records')) },
  { label: 'Bytes sent', class: 'num', render: (r) => fmtBytes(m(r, 'write-bytes')) },
  { label: 'Records sent', class: 'num', render: (r) => fmtNumber(m(r, 'write-records')) },
];
const tmLink = (r) =>
  r['taskmanager-id'] ? <a href={href('task-manager', r['taskmanager-id'], 'metrics')}>
    {r.endpoint || r.host}</a> : r.endpoint || r.host;

function Subtasks({ path, live }) {
  const res = useRest(path, { live });
  return (
    <Loaded res={res} what="subtasks">
      {(d) => (
        <Table testid="vertex-subtasks" rows={d.subtasks} empty="No subtasks."
          columns={[
            { label: 'Subtask', class: 'num', render: (r) => r.subtask },
            { label: 'Status', render: (r) => <StatusBadge status={r.status} /> },
            { label: 'Attempt', class: 'num', render: (r) => r.attempt },
            ...IO_COLUMNS,
            { label: 'Endpoint', render: tmLink },
            { label: 'Start time', render: (r) => fmtTime(r['start-time']) },
            { label: 'End time', render: (r) => fmtTime(r['end-time']) },
            { label: 'Duration', class: 'num', render: (r) => fmtDuration(r.duration) },
          ]} />
      )}
    </Loaded>
  );
}

function TaskManagers({ path, live }) {
  const res = useRest(`${path}/taskmanagers`, { live });
  return (
    <Loaded res={res} what="TaskManagers">
      {(d) => (
        <Table testid="vertex-taskmanagers" rows={d.taskmanagers} empty="No TaskManagers."
          columns={[
            { label: 'Endpoint', render: tmLink },
            { label: 'Status', render: (r) => <StatusBadge status={r.status} /> },
            ...IO_COLUMNS,
            { label: 'Start time', render: (r) => fmtTime(r['start-time']) },
            { label: 'Duration', class: 'num', render: (r) => fmtDuration(r.duration) },
            { label: 'Tasks', render: (r) => <TaskCounts tasks={r['status-counts']} /> },
          ]} />
      )}
    </Loaded>
  );
}

function Watermarks({ path, live }) {
  const res = useRest(`${path}/watermarks`, { live });
  return (
    <Loaded res={res} what="watermarks">
      {(d) => (
        <Table testid="vertex-watermarks" empty="No watermarks reported (yet)."
          rows={d.map((w) => ({ subtask: Number(w.id.split('.')[0]), value: Number(w.value) }))
            .sort((a, b) => a.subtask - b.subtask)}
          columns={[
            { label: 'Subtask', class: 'num', render: (r) => r.subtask },
            { label: 'Input watermark', render: (r) => fmtWatermark(r.value) },
          ]} />
      )}
    </Loaded>
  );
}

const LevelBadge = ({ level }) => {
  const l = (level || '').toUpperCase();
  const c = { OK: 'green', LOW: 'amber', HIGH: 'red' }[l] || 'grey';
  return <span class={`badge badge-${c}`} data-bp-level={l}>{l || '-'}</span>;
};

function Backpressure({ path, live }) {
  const res = useRest(`${path}/backpressure`, { live });
  return (
    <Loaded res={res} what="backpressure">
      {(d) => (
        <div data-testid="vertex-backpressure">
          <p>
            Level: <LevelBadge level={d['backpressure-level']} />{' '}
            <span class="muted small">measured {fmtTime(d['end-timestamp'])}; OK ≤ 10% of the
              time backpressured, LOW ≤ 50%, HIGH above (Flink's thresholds)</span>
          </p>
          <Table rows={d.subtasks || []} empty="No subtask has reported yet."
            columns={[
              { label: 'Subtask', class: 'num', render: (r) => r.subtask },
              { label: 'Level', render: (r) => <LevelBadge level={r['backpressure-level'] ||
                bpLevel(r.ratio)} /> },
              { label: 'Backpressured', class: 'num', render: (r) => fmtPercent(r.ratio) },
              { label: 'Idle', class: 'num', render: (r) => fmtPercent(r.idleRatio) },
              { label: 'Busy', class: 'num', render: (r) => fmtPercent(r.busyRatio) },
            ]} />
        </div>
      )}
    </Loaded>
  );
}

const HISTORY = 120;

function Metrics({ path, live }) {
  const list = useRest(`${path}/metrics`, { live: false });
  const [chosen, setChosen] = useState([]);
  const [pick, setPick] = useState('');
  const [hist, setHist] = useState({ times: [], values: {} });
  const [error, setError] = useState(null);
  useTicker(async () => {
    if (!chosen.length || (!live && hist.times.length)) return;
    try {
      const d = await get(`${path}/metrics?get=${chosen.map(encodeURIComponent).join(',')}`);
      const now = Date.now() / 1000;
      setHist((h) => {
        const times = [...h.times, now].slice(-HISTORY);
        const values = {};
        for (const id of chosen) {
          const e = d.find((x) => x.id === id);
          const prev = (h.values[id] || new Array(h.times.length).fill(null));
          values[id] = [...prev, e ? Number(e.value) : null].slice(-HISTORY);
        }
        return { times, values };
      });
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, [chosen.join(',')]);
  return (
    <Loaded res={list} what="metric list">
      {(ids) => (
        <div data-testid="vertex-metrics">
          <div class="job-metric-pick">
            <select value={pick} onChange={(e) => setPick(e.target.value)}
              data-testid="metric-select">
              <option value="">Add a metric…</option>
              {ids.map((x) => x.id).filter((x) => !chosen.includes(x)).sort()
                .map((x) => <option value={x} key={x}>{x}</option>)}
            </select>
            <button disabled={!pick} data-testid="metric-add" onClick={() => {
              setChosen([...chosen, pick]);
              setPick('');
            }}>Add</button>
          </div>
          {error && <ErrorBox error={error} what="metric values" />}
          {chosen.length === 0 && <Empty>Choose metrics to chart them live.</Empty>}
          {chosen.map((id) => (
            <div class="job-metric-chart" key={id}>
              <button class="job-metric-remove" title="Remove"
                onClick={() => setChosen(chosen.filter((c) => c !== id))}>×</button>
              <Chart title={id} times={hist.times}
                series={[{ label: id, values: hist.values[id] ||
                  new Array(hist.times.length).fill(null) }]} />
            </div>
          ))}
        </div>
      )}
    </Loaded>
  );
}

export function VertexPanel({ jobId, vertexId, name, subtab, live, base }) {
  const path = `/jobs/${jobId}/vertices/${vertexId}`;
  const at = (t) => `${base('overview')}/${encodeURIComponent(vertexId)}/${t}`;
  return (
    <section class="panel job-vertex-panel" data-testid="vertex-panel" data-vertex-id={vertexId}>
      <div class="job-vertex-panel-head">
        <h2>{name}</h2>
        <a href={base('overview')} class="job-close" title="Close">×</a>
      </div>
      <div class="mono muted small">{vertexId}</div>
      <Tabs active={subtab} tabs={SUBTABS.map(([id, label]) => ({ id, label, href: at(id) }))} />
      {subtab === 'subtasks' && <Subtasks path={path} live={live} />}
      {subtab === 'taskmanagers' && <TaskManagers path={path} live={live} />}
      {subtab === 'watermarks' && <Watermarks path={path} live={live} />}
      {subtab === 'backpressure' && <Backpressure path={path} live={live} />}
      {subtab === 'metrics' && <Metrics path={path} live={live} />}
      {!SUBTABS.some(([id]) => id === subtab) && <ErrorBox error={new Error(`No such tab: ${subtab}`)} />}
    </section>
  );
}

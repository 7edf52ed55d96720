// Overview.jsx: the job graph (DAG), the backpressure root-cause banner, the vertex list and,
// for a chosen vertex (#/job/<state>/<jid>/overview/<vertexid>/<subtab>), the vertex panel.
import { fmtBytes, fmtDuration, fmtNumber, fmtTime, fmtPercent } from '../../lib/format.js';
import { ErrorBox } from '../../components/Feedback.jsx';
import { StatusBadge, TaskCounts } from '../../components/Status.jsx';
import { JobGraph } from './Graph.jsx';
import { VertexPanel } from './VertexPanel.jsx';
import { rootCause, BUSY_THRESHOLD } from './backpressure.js';
import { useVertexMetrics } from './vertexMetrics.js';
import './job.css';

/* The plan's nodes, or (a job without a plan) the vertices in order, each fed by the previous. */
function planNodes(job) {
  const nodes = job.plan && job.plan.nodes;
  if (nodes && nodes.length) return nodes;
  return (job.vertices || []).map((v) => ({ id: v.id, parallelism: v.parallelism, inputs: [] }));
}

function BackpressureBanner({ bp, names, metrics, base }) {
  const name = (id) => names[id] || id;
  if (bp.state === 'measuring')
    return <div class="job-bp-banner bp-measuring" data-testid="bp-banner" data-bp-state="measuring">
      Backpressure: waiting for the TaskManagers' metrics…</div>;
  if (bp.state === 'none')
    return <div class="job-bp-banner bp-none" data-testid="bp-banner" data-bp-state="none">
      No backpressure: no vertex waits for output buffers.</div>;
  if (bp.state === 'unclear')
    return <div class="job-bp-banner bp-unclear" data-testid="bp-banner" data-bp-state="unclear">
      Backpressured vertices, but no vertex yet shows as their cause (its metrics may be
      missing).</div>;
  const m = metrics[bp.root] || {};
  const upstream = [...bp.chain].filter((id) => id !== bp.root).map(name);
  return (
    <div class="job-bp-banner bp-root" data-testid="bp-banner" data-bp-state="root">
      <strong>Backpressure root cause: </strong>
      <a data-testid="bp-root-cause" data-vertex-id={bp.root}
        href={`${base('overview')}/${encodeURIComponent(bp.root)}/backpressure`}>{name(bp.root)}</a>
      <span> — busy {fmtPercent(m.busy)}{bp.busy ? '' : ` (below ${BUSY_THRESHOLD * 100}%: ` +
        'it waits on something other than records, e.g. I/O)'}, not backpressured itself, while
        {upstream.length ? ` ${upstream.join(', ')} ${upstream.length > 1 ? 'wait' : 'waits'} ` +
        'for it.' : ' its inputs wait for it.'}</span>
    </div>
  );
}

function VertexList({ job, selected, onSelect }) {
  const vs = job.vertices || [];
  const num = (v, k) => (v.metrics ? v.metrics[k] : undefined);
  return (
    <table class="data job-vertex-list" data-testid="vertex-list">
      <thead>
        <tr>
          <th>Name</th><th>Status</th><th class="num">Bytes received</th>
          <th class="num">Records received</th><th class="num">Bytes sent</th>
          <th class="num">Records sent</th><th class="num">Parallelism</th><th>Start time</th>
          <th>End time</th><th class="num">Duration</th><th>Tasks</th>
        </tr>
      </thead>
      <tbody>
        {vs.map((v) => (
          <tr key={v.id} class={'clickable' + (selected === v.id ? ' selected' : '')}
            data-testid="vertex-row" data-vertex-id={v.id} onClick={() => onSelect(v.id)}>
            <td class="job-vertex-name">{v.name}</td>
            <td><StatusBadge status={v.status} /></td>
            <td class="num">{fmtBytes(num(v, 'read-bytes'))}</td>
            <td class="num">{fmtNumber(num(v, 'read-records'))}</td>
            <td class="num">{fmtBytes(num(v, 'write-bytes'))}</td>
            <td class="num">{fmtNumber(num(v, 'write-records'))}</td>
            <td class="num">{v.parallelism}</td>
            <td>{fmtTime(v['start-time'])}</td>
            <td>{fmtTime(v['end-time'])}</td>
            <td class="num">{fmtDuration(v.duration)}</td>
            <td><TaskCounts tasks={v.tasks} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function JobOverviewTab({ job, jobId, sub, live, base }) {
  const nodes = planNodes(job);
  const names = {};
  for (const v of job.vertices || []) names[v.id] = v.name;
  // Live figures only while the job runs: a finished job's last rates and backpressure would
  // be stale, so its graph shows the structure alone.
  const vm = useVertexMetrics(jobId, live ? nodes.map((n) => n.id) : [], live);
  const metrics = live ? vm.metrics : {};
  const error = live ? vm.error : null;
  const bp = rootCause(live ? nodes : [],
    Object.fromEntries(nodes.map((n) => [n.id, metrics[n.id] || {}])));
  const selected = sub[0] || null;
  const subtab = sub[1] || 'subtasks';
  const open = (vid) => {
    location.hash = base('overview').slice(1) + '/' + encodeURIComponent(vid) + '/' + subtab;
  };
  return (
    <div class="job-overview">
      {error && <ErrorBox error={error} what="vertex metrics" />}
      {live && <BackpressureBanner bp={bp} names={names} metrics={metrics} base={base} />}
      <JobGraph nodes={nodes} names={names} metrics={metrics} bp={bp} selected={selected}
        onSelect={open} />
      <VertexList job={job} selected={selected} onSelect={open} />
      {selected && (
        <VertexPanel jobId={jobId} vertexId={selected} name={names[selected] || selected}
          subtab={subtab} live={live} base={base} />
      )}
    </div>
  );
}

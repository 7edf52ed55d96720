// History.jsx: the checkpoints tab's history (Flink's): the recent checkpoints, newest first,
// each row expandable to its per-vertex and per-subtask details. An expanded checkpoint stays
// on the page after it leaves the JobManager's history (at 100 ms intervals that is within a
// second), marked as such, so what one is reading does not vanish under the cursor.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { fmtBytes, fmtDuration, fmtTime } from '../../../lib/format.js';
import { StatusBadge } from '../../../components/Status.jsx';
import { checkpointKind } from './model.js';
import { CheckpointDetails } from './Details.jsx';
import { useCheckpointCache } from './load.js';

export function CkHistory({ stats, job, jobId, link }) {
  const [open, setOpen] = useState({}); /* id -> the row as last seen */
  const history = stats.history || [];
  const seen = new Set(history.map((c) => c.id));
  const rows = [...history];
  for (const c of Object.values(open)) if (!seen.has(c.id)) rows.push({ ...c, gone: true });
  rows.sort((a, b) => b.id - a.id);
  const openIds = Object.keys(open).map(Number);
  /* the newest two finished ones: loaded at once, before they leave the JobManager's history */
  const newest = history.filter((c) => c.status !== 'IN_PROGRESS').slice(0, 2).map((c) => c.id);
  const cache = useCheckpointCache(jobId, newest, [...seen, ...openIds]);
  const names = {};
  const order = (job.vertices || []).map((v) => v.id);
  for (const v of job.vertices || []) names[v.id] = v.name;
  const toggle = (c) => {
    const next = { ...open };
    if (next[c.id]) delete next[c.id];
    else next[c.id] = c;
    setOpen(next);
  };
  if (rows.length === 0) {
    return <div class="empty" data-testid="ckpt-history-empty">No checkpoint has been triggered yet.</div>;
  }
  return (
    <table class="data ckpt-history" data-testid="ckpt-history">
      <thead>
        <tr>
          <th></th><th>ID</th><th>Status</th><th>Type</th><th>Trigger time</th>
          <th>Latest acknowledgement</th><th class="num">End to end</th>
          <th class="num">Checkpointed size</th><th class="num">Full size</th>
          <th class="num">Processed (persisted)</th><th>Acknowledged</th><th></th>
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => {
          const k = checkpointKind(c);
          const isOpen = !!open[c.id];
          return (
            <Fragment key={c.id}>
            <tr key={c.id} class={'clickable' + (isOpen ? ' selected' : '') + (c.gone ? ' ckpt-gone-row' : '')}
              data-testid="ckpt-history-row" data-checkpoint-id={c.id} data-status={c.status}
              data-details={cache.get(c.id) ? (cache.get(c.id).data ? 'loaded' : cache.get(c.id).error ? 'gone' : 'loading') : ''}
              onClick={() => toggle(c)}>
              <td class="ckpt-toggle">{isOpen ? '▾' : '▸'}</td>
              <td>{c.id}</td>
              <td>
                <StatusBadge status={c.status} />
                {c.gone && <div class="muted small">left the history</div>}
              </td>
              <td>{k.label}<div class="muted small">{k.alignment}</div></td>
              <td class="ckpt-time">{fmtTime(c.trigger_timestamp)}</td>
              <td class="ckpt-time">{fmtTime(c.latest_ack_timestamp)}</td>
              <td class="num">{fmtDuration(c.end_to_end_duration)}</td>
              <td class="num">{fmtBytes(c.checkpointed_size)}</td>
              <td class="num">{fmtBytes(c.state_size)}</td>
              <td class="num">{fmtBytes(c.processed_data)} ({fmtBytes(c.persisted_data)})</td>
              <td>{c.num_acknowledged_subtasks}/{c.num_subtasks}</td>
              <td>
                {c.status === 'COMPLETED' && (
                  <a href={link('anatomy', String(c.id))} onClick={(e) => e.stopPropagation()}
                    data-testid="ckpt-anatomy-link">anatomy</a>
                )}
              </td>
            </tr>
            {isOpen && (
              <tr key={c.id + '-details'} class="ckpt-nested">
                <td></td>
                <td colSpan={11}>
                  <CheckpointDetails jobId={jobId} id={c.id} names={names} order={order}
                    entry={cache.get(c.id)}
                    inProgress={c.status === 'IN_PROGRESS' && !c.gone} />
                </td>
              </tr>
            )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}

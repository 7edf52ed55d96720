// Details.jsx: one checkpoint's details under its history row: a row per vertex (GET
// /jobs/<jid>/checkpoints/details/<id>), each expandable to a row per subtask (GET
// .../details/<id>/subtasks/<vertexid>). A completed or failed checkpoint comes whole from the
// history's cache (load.js); an in-progress one is loaded here and reloaded live.
import { Fragment } from 'preact';
import { useState, useEffect } from 'preact/hooks';
import { useTicker } from '../../../lib/poll.js';
import { RestError } from '../../../lib/api.js';
import { ErrorBox, Loading } from '../../../components/Feedback.jsx';
import { fmtBytes, fmtDuration, fmtTime } from '../../../lib/format.js';
import { loadCheckpoint } from './load.js';

/* The message for a checkpoint the JobManager no longer has statistics for. */
export function GoneCheckpoint({ id, error }) {
  if (error instanceof RestError && error.status === 404) {
    return (
      <div class="empty ckpt-gone" data-testid="ckpt-gone">
        Checkpoint {id} does not exist or is no longer in the JobManager's checkpoint history
        (it keeps only the most recent ones, web.checkpoints.history).
      </div>
    );
  }
  return <ErrorBox error={error} what={`checkpoint ${id}`} />;
}

const pct = (a, n) => (n > 0 ? ` (${Math.round((100 * a) / n)}%)` : '');

function Subtasks({ data, vertexId }) {
  if (!data) return <Loading what="subtasks" />;
  const list = data.subtasks || [];
  return (
    <table class="data ckpt-subtasks" data-testid="ckpt-subtasks" data-vertex-id={vertexId}>
      <thead>
        <tr>
          <th>Subtask</th><th>Status</th><th>Acknowledged</th><th class="num">End to end</th>
          <th class="num">Checkpointed size</th><th class="num">Sync</th><th class="num">Async</th>
          <th class="num">Alignment</th><th class="num">Processed (persisted)</th>
          <th class="num">Start delay</th><th>Unaligned</th>
        </tr>
      </thead>
      <tbody>
        {list.map((s) => (
          <tr key={s.index} data-testid="ckpt-subtask-row" data-subtask={s.index}>
            <td>{s.index}</td>
            <td>{s.status === 'completed' ? 'completed' : 'pending or failed'}</td>
            {s.status === 'completed' ? (
              <>
                <td class="ckpt-time">{fmtTime(s.ack_timestamp)}</td>
                <td class="num">{fmtDuration(s.end_to_end_duration)}</td>
                <td class="num">{fmtBytes(s.checkpointed_size)}</td>
                <td class="num">{fmtDuration(s.checkpoint && s.checkpoint.sync)}</td>
                <td class="num">{fmtDuration(s.checkpoint && s.checkpoint.async)}</td>
                <td class="num">{fmtDuration(s.alignment && s.alignment.duration)}</td>
                <td class="num">
                  {fmtBytes(s.alignment && s.alignment.processed)} (
                  {fmtBytes(s.alignment && s.alignment.persisted)})
                </td>
                <td class="num">{fmtDuration(s.start_delay)}</td>
                <td>{s.unaligned_checkpoint ? 'yes' : 'no'}</td>
              </>
            ) : (
              <td colSpan={9} class="muted">no acknowledgement yet</td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/* A checkpoint loaded here: `mode` 'live' (in progress: reloaded every refresh, keeping the
 * last answer when one fails), 'once' (completed but not in the history's cache), or 'off'. */
function useOwnCheckpoint(jobId, id, mode) {
  const [entry, setEntry] = useState({ loading: true });
  useEffect(() => setEntry({ loading: true }), [id]);
  const load = () =>
    loadCheckpoint(jobId, id).then(
      (data) => setEntry({ data }),
      (error) => setEntry((e) => (e.data ? { ...e, error } : { error }))
    );
  useEffect(() => {
    if (mode === 'once') load();
  }, [jobId, id, mode]);
  useTicker(() => mode === 'live' && load(), [jobId, id, mode]);
  return entry;
}

/* entry: { data: { details, subtasks } } | { error } | { loading } from the history's cache,
 * or undefined (then it is loaded here once); inProgress: loaded here, live. */
export function CheckpointDetails({ jobId, id, entry, inProgress, names, order }) {
  const mode = inProgress ? 'live' : entry ? 'off' : 'once';
  const own = useOwnCheckpoint(jobId, id, mode);
  const e = mode === 'off' ? entry : own;
  const [open, setOpen] = useState({});
  if (!e.data && e.error) return <GoneCheckpoint id={id} error={e.error} />;
  if (!e.data) return <Loading what={`checkpoint ${id}`} />;
  const d = e.data.details;
  const ids = Object.keys(d.tasks || {});
  ids.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return (
    <div class="ckpt-details" data-testid="ckpt-details" data-checkpoint-id={id}>
      {d.failure_message && (
        <div class="error-box"><strong>Failure</strong><pre>{d.failure_message}</pre></div>
      )}
      {d.external_path && (
        <div class="small muted ckpt-path">
          Path: <span class="mono">{d.external_path}</span>
          {d.discarded ? ' (discarded)' : ''}
        </div>
      )}
      <table class="data ckpt-vertices">
        <thead>
          <tr>
            <th></th><th>Vertex</th><th>Acknowledged</th><th>Latest acknowledgement</th>
            <th class="num">End to end</th><th class="num">Checkpointed size</th>
            <th class="num">Full size</th><th class="num">Processed (persisted)</th>
          </tr>
        </thead>
        <tbody>
          {ids.map((vid) => {
            const t = d.tasks[vid];
            const isOpen = !!open[vid];
            return (
              <Fragment key={vid}>
              <tr key={vid} class="clickable" data-testid="ckpt-vertex-row" data-vertex-id={vid}
                onClick={() => setOpen({ ...open, [vid]: !isOpen })}>
                <td class="ckpt-toggle">{isOpen ? '▾' : '▸'}</td>
                <td data-testid="ckpt-vertex-name">{names[vid] || vid}</td>
                <td>
                  {t.num_acknowledged_subtasks}/{t.num_subtasks}
                  {pct(t.num_acknowledged_subtasks, t.num_subtasks)}
                </td>
                <td class="ckpt-time">{fmtTime(t.latest_ack_timestamp)}</td>
                <td class="num">{fmtDuration(t.end_to_end_duration)}</td>
                <td class="num">{fmtBytes(t.checkpointed_size)}</td>
                <td class="num">{fmtBytes(t.state_size)}</td>
                <td class="num">{fmtBytes(t.processed_data)} ({fmtBytes(t.persisted_data)})</td>
              </tr>
              {isOpen && (
                <tr key={vid + '-subtasks'} class="ckpt-nested">
                  <td></td>
                  <td colSpan={7}>
                    <Subtasks data={e.data.subtasks[vid]} vertexId={vid} />
                  </td>
                </tr>
              )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

// Overview.jsx: the checkpoints tab's overview (Flink's): counts of triggered, in-progress,
// completed, failed and restored checkpoints, and the latest completed checkpoint, savepoint,
// failed checkpoint and restore with their details.
import { fmtBytes, fmtDuration, fmtTime, fmtNumber } from '../../../lib/format.js';
import { checkpointKind } from './model.js';

function Count({ id, label, value, cls }) {
  return (
    <div class={`card ckpt-count ${cls || ''}`} data-testid={`ckpt-count-${id}`} data-value={value}>
      <div class="value">{fmtNumber(value)}</div>
      <div class="label">{label}</div>
    </div>
  );
}

function Field({ label, children }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

function Latest({ id, title, c, link, children }) {
  return (
    <div class="panel ckpt-latest" data-testid={`ckpt-latest-${id}`} data-checkpoint-id={c ? c.id : ''}>
      <h3>{title}</h3>
      {!c ? (
        <div class="muted">None yet.</div>
      ) : (
        <dl class="ckpt-dl">
          <Field label="ID">
            {c.id}
            {link && (
              <a class="ckpt-link" href={link('anatomy', String(c.id))} title="Where its time went">
                anatomy
              </a>
            )}
          </Field>
          {children}
        </dl>
      )}
    </div>
  );
}

export function CkOverview({ stats, link }) {
  const n = stats.counts || {};
  const l = stats.latest || {};
  const common = (c) => (
    <>
      <Field label="Type">{checkpointKind(c).label}, {checkpointKind(c).alignment}</Field>
      <Field label="Trigger time">{fmtTime(c.trigger_timestamp)}</Field>
      <Field label="Latest acknowledgement">{fmtTime(c.latest_ack_timestamp)}</Field>
      <Field label="End to end duration">{fmtDuration(c.end_to_end_duration)}</Field>
      <Field label="Checkpointed data size">{fmtBytes(c.checkpointed_size)}</Field>
      <Field label="Full checkpoint data size">{fmtBytes(c.state_size)}</Field>
    </>
  );
  const path = (c) => (
    <Field label="Path">
      <span class="mono">{c.external_path || '-'}</span>
      {c.discarded && <span class="muted"> (discarded)</span>}
    </Field>
  );
  return (
    <div data-testid="ckpt-overview">
      <div class="cards">
        <Count id="triggered" label="Triggered" value={n.total} />
        <Count id="in-progress" label="In progress" value={n.in_progress} />
        <Count id="completed" label="Completed" value={n.completed} cls="ckpt-ok" />
        <Count id="failed" label="Failed" value={n.failed} cls={n.failed > 0 ? 'ckpt-bad' : ''} />
        <Count id="restored" label="Restored" value={n.restored} />
      </div>
      {n.completed === 0 && (
        <div class="empty" data-testid="ckpt-none-completed">
          No checkpoint has completed yet{n.in_progress > 0 ? ' (one is in progress)' : ''}.
        </div>
      )}
      <div class="ckpt-latest-grid">
        <Latest id="completed" title="Latest completed checkpoint" c={l.completed} link={link}>
          {l.completed && common(l.completed)}
          {l.completed && path(l.completed)}
        </Latest>
        <Latest id="savepoint" title="Latest savepoint" c={l.savepoint} link={link}>
          {l.savepoint && common(l.savepoint)}
          {l.savepoint && path(l.savepoint)}
        </Latest>
        <Latest id="failed" title="Latest failed checkpoint" c={l.failed}>
          {l.failed && (
            <>
              <Field label="Trigger time">{fmtTime(l.failed.trigger_timestamp)}</Field>
              <Field label="Failure time">{fmtTime(l.failed.failure_timestamp)}</Field>
              <Field label="Acknowledged">
                {l.failed.num_acknowledged_subtasks}/{l.failed.num_subtasks}
              </Field>
              <Field label="Cause">
                <span class="ckpt-failure">{l.failed.failure_message || '-'}</span>
              </Field>
            </>
          )}
        </Latest>
        <Latest id="restored" title="Latest restore" c={l.restored}>
          {l.restored && (
            <>
              <Field label="Type">{l.restored.is_savepoint ? 'Savepoint' : 'Checkpoint'}</Field>
              <Field label="Restore time">{fmtTime(l.restored.restore_timestamp)}</Field>
              <Field label="Path"><span class="mono">{l.restored.external_path || '-'}</span></Field>
            </>
          )}
        </Latest>
      </div>
    </div>
  );
}

// Configuration.jsx: the checkpoints tab's configuration (Flink's): GET
// /jobs/<jid>/checkpoints/config, as option/value rows.
import { fmtDuration } from '../../../lib/format.js';

const onOff = (b) => (b ? 'Enabled' : 'Disabled');
/* Long.MAX_VALUE and friends: Flink's "not set" for durations. */
const dur = (ms) => (typeof ms === 'number' && ms >= 2 ** 53 ? 'none' : ms === 0 ? '0ms' : fmtDuration(ms));

export function CkConfiguration({ config }) {
  const c = config || {};
  const ext = c.externalization || {};
  const rows = [
    ['mode', 'Checkpointing mode', c.mode === 'exactly_once' ? 'Exactly Once' : c.mode === 'at_least_once' ? 'At Least Once' : c.mode],
    ['interval', 'Checkpoint interval', dur(c.interval), c.interval],
    ['timeout', 'Checkpoint timeout', dur(c.timeout), c.timeout],
    ['min_pause', 'Minimum pause between checkpoints', dur(c.min_pause), c.min_pause],
    ['max_concurrent', 'Maximum concurrent checkpoints', c.max_concurrent],
    ['state_backend', 'State backend', c.state_backend],
    ['checkpoint_storage', 'Checkpoint storage', c.checkpoint_storage],
    ['unaligned_checkpoints', 'Unaligned checkpoints', onOff(c.unaligned_checkpoints)],
    ['aligned_checkpoint_timeout', 'Aligned checkpoint timeout', dur(c.aligned_checkpoint_timeout), c.aligned_checkpoint_timeout],
    ['externalization', 'Persist checkpoints externally',
      ext.enabled ? `Enabled (${ext.delete_on_cancellation ? 'delete' : 'retain'} on cancellation)` : 'Disabled'],
    ['tolerable_failed_checkpoints', 'Tolerable failed checkpoints', c.tolerable_failed_checkpoints],
    ['checkpoints_after_tasks_finish', 'Checkpoints with finished tasks', onOff(c.checkpoints_after_tasks_finish)],
    ['state_changelog_enabled', 'Changelog state backend', onOff(c.state_changelog_enabled)],
  ];
  if (c.state_changelog_enabled) {
    rows.push(['changelog_storage', 'Changelog storage', c.changelog_storage]);
    rows.push(['changelog_periodic_materialization_interval', 'Periodic materialization interval',
      dur(c.changelog_periodic_materialization_interval)]);
  }
  return (
    <table class="data ckpt-config" data-testid="ckpt-config">
      <thead>
        <tr><th>Option</th><th>Value</th></tr>
      </thead>
      <tbody>
        {rows.map(([key, label, value, raw]) => (
          <tr key={key} data-testid={`ckpt-config-${key}`} data-value={raw !== undefined ? raw : value}>
            <td>{label}</td>
            <td>{value === undefined || value === null ? '-' : String(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// Summary.jsx: the checkpoints tab's summary (Flink's): minimum, average, maximum and the
// 50th/90th/95th/99th/99.9th percentiles of the completed checkpoints' end-to-end duration,
// checkpointed and full size, processed and persisted data (GET /jobs/<jid>/checkpoints,
// .summary).
import { fmtBytes, fmtDuration } from '../../../lib/format.js';

const METRICS = [
  ['end_to_end_duration', 'End to end duration', fmtDuration],
  ['checkpointed_size', 'Checkpointed data size', fmtBytes],
  ['state_size', 'Full checkpoint data size', fmtBytes],
  ['processed_data', 'Processed in-flight data', fmtBytes],
  ['persisted_data', 'Persisted in-flight data', fmtBytes],
];
const STATS = [
  ['min', 'Minimum'], ['avg', 'Average'], ['max', 'Maximum'], ['p50', '50%'], ['p90', '90%'],
  ['p95', '95%'], ['p99', '99%'], ['p999', '99.9%'],
];

export function CkSummary({ stats }) {
  const sum = stats.summary || {};
  const n = (stats.counts && stats.counts.completed) || 0;
  if (n === 0) {
    return (
      <div class="empty" data-testid="ckpt-none-completed">
        No checkpoint has completed yet: the summary covers completed checkpoints.
      </div>
    );
  }
  return (
    <div data-testid="ckpt-summary">
      <p class="muted small">Over the {n} completed checkpoint{n === 1 ? '' : 's'} of this job.</p>
      <table class="data ckpt-summary">
        <thead>
          <tr>
            <th></th>
            {STATS.map(([k, l]) => <th class="num" key={k}>{l}</th>)}
          </tr>
        </thead>
        <tbody>
          {METRICS.map(([key, label, fmt]) => (
            <tr key={key} data-testid="ckpt-summary-row" data-metric={key}>
              <th>{label}</th>
              {STATS.map(([k]) => {
                const v = sum[key] ? sum[key][k] : undefined;
                return (
                  <td class="num" key={k} data-stat={k} data-value={v}
                    title={v === undefined ? '' : `${v}${key === 'end_to_end_duration' ? ' ms' : ' bytes'}`}>
                    {fmt(v)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

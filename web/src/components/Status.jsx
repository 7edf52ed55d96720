// Status.jsx: job and task states as coloured badges (Flink's JobStatus and ExecutionState
// names), and the per-state task counts Flink shows in job lists and vertex rows.
const COLOURS = {
  RUNNING: 'blue', FINISHED: 'green', CANCELED: 'grey', CANCELLED: 'grey', CANCELING: 'amber',
  FAILED: 'red', FAILING: 'red', RESTARTING: 'amber', CREATED: 'grey', SCHEDULED: 'grey',
  DEPLOYING: 'amber', INITIALIZING: 'amber', RECONCILING: 'amber', SUSPENDED: 'grey',
  COMPLETED: 'green', IN_PROGRESS: 'blue', PENDING: 'grey',
};

export function StatusBadge({ status }) {
  const s = status || 'UNKNOWN';
  return <span class={`badge badge-${COLOURS[s] || 'grey'}`} data-status={s}>{s}</span>;
}

const ORDER = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING', 'FINISHED',
  'CANCELING', 'CANCELED', 'FAILED', 'RECONCILING'];

/* tasks: Flink's {"running": 2, "finished": 0, ...} (job overview, lower case) or
 * {"RUNNING": 2, ...} (status-counts, upper case); shows only the non-zero states. */
export function TaskCounts({ tasks }) {
  if (!tasks) return null;
  const get = (s) => tasks[s] ?? tasks[s.toLowerCase()] ?? 0;
  return (
    <span class="task-counts">
      {ORDER.filter((s) => get(s) > 0).map((s) => (
        <span class={`count badge-${COLOURS[s] || 'grey'}`} title={s} key={s}>{get(s)}</span>
      ))}
    </span>
  );
}

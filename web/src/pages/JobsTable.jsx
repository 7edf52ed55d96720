// JobsTable.jsx: the jobs of /jobs/overview as a table (name linking to the job's page, start
// time, duration, end time, task counts, status), shared by the overview and the job lists.
// Running jobs' durations count up every second between refreshes, from the server's duration
// and the moment it was received (not from the browser's clock against start-time, which may
// differ from the JobManager's).
import { useEffect, useState } from 'preact/hooks';
import { href } from '../lib/router.js';
import { fmtDuration, fmtTime } from '../lib/format.js';
import { StatusBadge, TaskCounts } from '../components/Status.jsx';
import { Table } from '../components/Table.jsx';

/* Flink's globally terminal job states: the jobs listed as completed. */
export const TERMINAL_JOB_STATES = ['FINISHED', 'CANCELED', 'FAILED'];
export const isCompleted = (job) => TERMINAL_JOB_STATES.includes(job.state);

/* Re-renders the caller every `ms` while `on`; returns the current time. */
function useNow(on, ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return undefined;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [on, ms]);
  return now;
}

/*
 * jobs: entries of /jobs/overview; received: Date.now() when they arrived (for live durations);
 * which: 'running' | 'completed' (the links' state segment and the data-testid).
 */
export function JobsTable({ jobs, received, which, empty }) {
  const running = which === 'running';
  const now = useNow(running);
  const sorted = [...jobs].sort((a, b) => b['start-time'] - a['start-time']);
  const duration = (j) =>
    running && j.duration >= 0 ? j.duration + Math.max(0, now - received) : j.duration;
  const columns = [
    {
      label: 'Job Name',
      render: (j) => (
        <a href={href('job', which, j.jid, 'overview')} data-job-link={j.jid} class="jobs-name">
          {j.name}
        </a>
      ),
    },
    { label: 'Start Time', render: (j) => fmtTime(j['start-time']) },
    { label: 'Duration', render: (j) => <span data-duration>{fmtDuration(duration(j))}</span> },
    { label: 'End Time', render: (j) => fmtTime(j['end-time']) },
    { label: 'Tasks', render: (j) => <TaskCounts tasks={j.tasks} /> },
    { label: 'Status', render: (j) => <StatusBadge status={j.state} /> },
  ];
  return (
    <div data-testid={`${which}-jobs`} data-count={sorted.length}>
      <Table columns={columns} rows={sorted} rowKey={(j) => j.jid} testid={`${which}-jobs-table`}
        empty={empty || (running ? 'No running jobs.' : 'No completed jobs.')} />
    </div>
  );
}

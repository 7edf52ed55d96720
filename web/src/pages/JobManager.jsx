// JobManager.jsx: #/job-manager/<tab>: configuration, metrics, logs, stdout, log list, threads.
export function JobManagerPage({ rest }) {
  return <h1>Job Manager</h1>;
}

// JobList.jsx: #/job/running and #/job/completed: the jobs of /jobs/overview in that state.
export function JobListPage({ which }) {
  return <h1>{which === 'running' ? 'Running Jobs' : 'Completed Jobs'}</h1>;
}

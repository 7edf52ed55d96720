// Overview.jsx: the job graph (DAG), the vertex list and the vertex panel; backpressure root cause.
export function JobOverviewTab({ job, jobId, sub, live, base }) {
  return <div class="todo">Overview</div>;
}

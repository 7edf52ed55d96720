// Overview.jsx: #/overview: slots, TaskManagers, job counts; running and completed jobs.
export function OverviewPage() {
  return <h1>Overview</h1>;
}

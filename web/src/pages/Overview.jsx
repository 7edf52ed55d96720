// Overview.jsx: #/overview: the cluster's cards (task slots, TaskManagers, job counts from
// /overview) over the running and completed jobs (/jobs/overview), both refreshed live.
import { useRest } from '../lib/poll.js';
import { href } from '../lib/router.js';
import { Loaded } from '../components/Feedback.jsx';
import { JobsTable, isCompleted } from './JobsTable.jsx';
import './overview.css';

function Card({ label, value, testid, tone, link }) {
  const body = (
    <>
      <div class={`value ${tone ? 'overview-' + tone : ''}`} data-testid={testid}>{value}</div>
      <div class="label">{label}</div>
    </>
  );
  return <div class="card overview-card">{link ? <a href={link}>{body}</a> : body}</div>;
}

function ClusterCards({ o }) {
  return (
    <>
      <div class="cards" data-testid="overview-cards">
        <Card label="Available Task Slots" value={o['slots-available']} testid="slots-available" />
        <Card label="Total Task Slots" value={o['slots-total']} testid="slots-total" />
        <Card label="Task Managers" value={o.taskmanagers} testid="taskmanagers"
          link={href('task-manager')} />
        <Card label="Running Jobs" value={o['jobs-running']} testid="jobs-running" tone="blue"
          link={href('job', 'running')} />
        <Card label="Finished Jobs" value={o['jobs-finished']} testid="jobs-finished"
          tone="green" link={href('job', 'completed')} />
        <Card label="Cancelled Jobs" value={o['jobs-cancelled']} testid="jobs-cancelled"
          tone="grey" link={href('job', 'completed')} />
        <Card label="Failed Jobs" value={o['jobs-failed']} testid="jobs-failed" tone="red"
          link={href('job', 'completed')} />
      </div>
      {o.taskmanagers === 0 && (
        <div class="empty overview-no-tm" data-testid="no-taskmanagers">
          No TaskManagers are registered: jobs cannot run until one starts
          (<span class="mono">spate taskmanager start</span>).
        </div>
      )}
    </>
  );
}

/* The jobs of /jobs/overview with the time they arrived (for the live durations). */
const stamp = (d) => ({ jobs: d.jobs || [], received: Date.now() });

export function OverviewPage() {
  const overview = useRest('/overview');
  const jobs = useRest('/jobs/overview', { transform: stamp });
  return (
    <div class="overview-page">
      <h1>Overview</h1>
      <Loaded res={overview} what="the cluster overview (/overview)">
        {(o) => <ClusterCards o={o} />}
      </Loaded>
      <Loaded res={jobs} what="the jobs (/jobs/overview)">
        {(d) => (
          <>
            <h2>Running Jobs</h2>
            <JobsTable which="running" jobs={d.jobs.filter((j) => !isCompleted(j))}
              received={d.received} />
            <h2>Completed Jobs</h2>
            <JobsTable which="completed" jobs={d.jobs.filter(isCompleted)} received={d.received} />
          </>
        )}
      </Loaded>
    </div>
  );
}

// JobList.jsx: #/job/running and #/job/completed: the jobs of /jobs/overview in that state
// (completed = FINISHED, CANCELED or FAILED, as Flink's lists), refreshed live.
import { useRest } from '../lib/poll.js';
import { Loaded } from '../components/Feedback.jsx';
import { JobsTable, isCompleted } from './JobsTable.jsx';
import './overview.css';

const stamp = (d) => ({ jobs: d.jobs || [], received: Date.now() });

export function JobListPage({ which }) {
  const jobs = useRest('/jobs/overview', { transform: stamp });
  const running = which === 'running';
  return (
    <div class="overview-page">
      <h1>{running ? 'Running Jobs' : 'Completed Jobs'}</h1>
      <Loaded res={jobs} what="the jobs (/jobs/overview)">
        {(d) => (
          <JobsTable which={which} received={d.received}
            jobs={d.jobs.filter((j) => isCompleted(j) !== running)} />
        )}
      </Loaded>
    </div>
  );
}

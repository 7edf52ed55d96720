// JobPage.jsx: #/job/<state>/<jobid>/<tab>/...: the job's header (name, id, status, start,
// duration, actions) over its tabs. /jobs/<id> is loaded here, live, and handed to every tab.
import { useRest } from '../../lib/poll.js';
import { href } from '../../lib/router.js';
import { fmtDuration, fmtTime } from '../../lib/format.js';
import { Loaded } from '../../components/Feedback.jsx';
import { StatusBadge } from '../../components/Status.jsx';
import { Tabs } from '../../components/Tabs.jsx';
import { JobActions } from './JobActions.jsx';
import { JobOverviewTab } from './Overview.jsx';
import { JobExceptionsTab } from './Exceptions.jsx';
import { JobTimelineTab } from './Timeline.jsx';
import { JobCheckpointsTab } from './Checkpoints.jsx';
import { JobConfigurationTab } from './Configuration.jsx';

const TABS = [
  ['overview', 'Overview'],
  ['exceptions', 'Exceptions'],
  ['timeline', 'TimeLine'],
  ['checkpoints', 'Checkpoints'],
  ['configuration', 'Configuration'],
];

const TERMINAL = ['FINISHED', 'CANCELED', 'FAILED', 'SUSPENDED'];

export function JobPage({ state, jobId, rest }) {
  const job = useRest(`/jobs/${encodeURIComponent(jobId)}`);
  const tab = rest[0] || 'overview';
  const sub = rest.slice(1);
  return (
    <Loaded res={job} what={`job ${jobId}`}>
      {(j) => {
        const s = j.state || j.status;
        const live = !TERMINAL.includes(s);
        const base = (t) => href('job', live ? 'running' : 'completed', jobId, t);
        const props = { job: j, jobId, sub, live, base, reload: job.reload };
        return (
          <div class="job-page" data-job-id={jobId}>
            <header class="job-header">
              <h1 data-testid="job-name">{j.name}</h1>
              <div class="job-meta">
                <StatusBadge status={s} />
                <span class="mono muted">{j.jid}</span>
                <span>Start: {fmtTime(j['start-time'])}</span>
                <span>Duration: {fmtDuration(j.duration)}</span>
                {j['end-time'] > 0 && <span>End: {fmtTime(j['end-time'])}</span>}
              </div>
              <JobActions job={j} live={live} reload={job.reload} />
            </header>
            <Tabs active={tab} tabs={TABS.map(([id, label]) => ({ id, label, href: base(id) }))} />
            {tab === 'overview' && <JobOverviewTab {...props} />}
            {tab === 'exceptions' && <JobExceptionsTab {...props} />}
            {tab === 'timeline' && <JobTimelineTab {...props} />}
            {tab === 'checkpoints' && <JobCheckpointsTab {...props} />}
            {tab === 'configuration' && <JobConfigurationTab {...props} />}
            {!TABS.some(([id]) => id === tab) && (
              <div class="error-box" role="alert"><strong>No such tab: {tab}</strong></div>
            )}
          </div>
        );
      }}
    </Loaded>
  );
}

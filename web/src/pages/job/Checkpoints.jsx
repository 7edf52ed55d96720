// Checkpoints.jsx: #/job/<state>/<jid>/checkpoints/<subtab>[/<checkpointid>]: the job's
// checkpoints as Flink's tab has them (overview, history with per-vertex and per-subtask
// details, summary, configuration) plus Spate's checkpoint anatomy (where a checkpoint's time
// went, per vertex and subtask). /checkpoints and /checkpoints/config are loaded here and
// handed to the sub-tabs (in checkpoints/); a job without checkpointing gets one clear message.
import { useRest } from '../../lib/poll.js';
import { Loaded, ErrorBox, Loading } from '../../components/Feedback.jsx';
import { Tabs } from '../../components/Tabs.jsx';
import { checkpointingEnabled } from './checkpoints/model.js';
import { CkOverview } from './checkpoints/Overview.jsx';
import { CkHistory } from './checkpoints/History.jsx';
import { CkSummary } from './checkpoints/Summary.jsx';
import { CkConfiguration } from './checkpoints/Configuration.jsx';
import { CkAnatomy } from './checkpoints/Anatomy.jsx';
import './checkpoints/checkpoints.css';

const SUBTABS = [
  ['overview', 'Overview'],
  ['history', 'History'],
  ['summary', 'Summary'],
  ['configuration', 'Configuration'],
  ['anatomy', 'Anatomy'],
];

export function JobCheckpointsTab({ job, jobId, sub, live, base }) {
  const path = `/jobs/${encodeURIComponent(jobId)}/checkpoints`;
  const config = useRest(`${path}/config`, { live: false });
  const enabled = checkpointingEnabled(config.data, config.error);
  const stats = useRest(enabled ? path : null, { live });
  const subtab = sub[0] || 'overview';
  const link = (...segs) => [base('checkpoints'), ...segs.map((s) => encodeURIComponent(s))].join('/');

  if (config.data === undefined && !config.error) return <Loading what="checkpoint configuration" />;
  if (!enabled) {
    return (
      <div class="empty ckpt-disabled" data-testid="ckpt-disabled">
        Checkpointing is not enabled for this job.
      </div>
    );
  }
  const props = { job, jobId, live, link, path, config: config.data, arg: sub.slice(1) };
  return (
    <div class="ckpt" data-testid="ckpt-tab">
      <div class="ckpt-subtabs" data-testid="ckpt-subtabs">
        <Tabs active={subtab}
          tabs={SUBTABS.map(([id, label]) => ({ id, label, href: link(id) }))} />
      </div>
      {subtab === 'configuration' ? (
        config.error ? <ErrorBox error={config.error} what="checkpoint configuration" />
          : <CkConfiguration {...props} />
      ) : (
        <Loaded res={stats} what="checkpoint statistics">
          {(s) => (
            <>
              {subtab === 'overview' && <CkOverview stats={s} {...props} />}
              {subtab === 'history' && <CkHistory stats={s} {...props} />}
              {subtab === 'summary' && <CkSummary stats={s} {...props} />}
              {subtab === 'anatomy' && <CkAnatomy stats={s} {...props} />}
              {!SUBTABS.some(([id]) => id === subtab) && (
                <div class="error-box" role="alert"><strong>No such view: {subtab}</strong></div>
              )}
            </>
          )}
        </Loaded>
      )}
    </div>
  );
}

// Configuration.jsx: the job's configuration (GET /jobs/<jid>/config): the execution config and
// the user config (the job's configuration keys) as tables.
import { useRest } from '../../lib/poll.js';
import { Loaded } from '../../components/Feedback.jsx';
import { Table } from '../../components/Table.jsx';
import './job.css';

const COLS = [
  { label: 'Key', class: 'mono', render: (r) => r[0] },
  { label: 'Value', class: 'mono', render: (r) => String(r[1]) },
];

export function JobConfigurationTab({ jobId }) {
  const res = useRest(`/jobs/${jobId}/config`, { live: false });
  return (
    <Loaded res={res} what="job configuration">
      {(d) => {
        const ec = d['execution-config'] || {};
        const exec = Object.entries(ec).filter(([k]) => k !== 'user-config');
        const user = Object.entries(ec['user-config'] || {}).sort(([a], [b]) => a.localeCompare(b));
        return (
          <div class="job-config" data-testid="job-configuration">
            <h2>Execution configuration</h2>
            <Table testid="execution-config" rows={exec} columns={COLS}
              empty="No execution configuration." />
            <h2>User configuration</h2>
            <Table testid="user-config" rows={user} columns={COLS} empty="No user configuration." />
          </div>
        );
      }}
    </Loaded>
  );
}

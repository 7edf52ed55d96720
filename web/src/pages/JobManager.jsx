// JobManager.jsx: #/job-manager/<tab>: the JobManager's configuration (/jobmanager/config),
// metrics (live charts of memory, CPU and cluster counts from /jobmanager/metrics, and every
// metric's value), log (/jobmanager/log), stdout, log list (/jobmanager/logs, each file at
// #/job-manager/log-list/<file>) and thread dump.
import { useState } from 'preact/hooks';
import { useRest } from '../lib/poll.js';
import { href } from '../lib/router.js';
import { Loaded, ErrorBox } from '../components/Feedback.jsx';
import { Table } from '../components/Table.jsx';
import { Tabs } from '../components/Tabs.jsx';
import { LogText, LogList, LogFile, ThreadDump } from './LogViews.jsx';
import { useMetricHistory, MetricChart, MetricTable, toMB, toPercent } from './MetricCharts.jsx';
import './taskmanager/taskmanager.css';

const TABS = [
  ['config', 'Configuration'],
  ['metrics', 'Metrics'],
  ['logs', 'Logs'],
  ['stdout', 'Stdout'],
  ['log-list', 'Log List'],
  ['thread-dump', 'Thread Dump'],
];

function ConfigTab() {
  const res = useRest('/jobmanager/config', { live: false });
  const env = useRest('/jobmanager/environment', { live: false });
  const [filter, setFilter] = useState('');
  const columns = [
    { label: 'Key', render: (e) => <span class="mono" data-config-key={e.key}>{e.key}</span> },
    { label: 'Value', render: (e) => <span class="mono" data-config-value={e.key}>{e.value}</span> },
  ];
  return (
    <>
      <Loaded res={res} what="the JobManager's configuration (/jobmanager/config)">
        {(entries) => {
          const f = filter.toLowerCase();
          const rows = [...entries].sort((a, b) => (a.key < b.key ? -1 : 1))
            .filter((e) => !f || e.key.toLowerCase().includes(f) || String(e.value).toLowerCase().includes(f));
          return (
            <>
              <div class="jm-filter">
                <input type="search" placeholder="Filter keys and values" value={filter}
                  onInput={(e) => setFilter(e.currentTarget.value)} data-testid="config-filter" />
                <span class="muted small">{rows.length} of {entries.length} entries</span>
              </div>
              <Table columns={columns} rows={rows} rowKey={(e) => e.key} testid="jm-config"
                empty={f ? 'No entry matches the filter.' : 'The configuration is empty.'} />
            </>
          );
        }}
      </Loaded>
      {env.data && env.data.jvm && (
        <>
          <h2>Environment</h2>
          <table class="data tm-kv">
            <tbody>
              <tr><th>Version</th><td class="mono">{env.data.jvm.version}</td></tr>
              <tr><th>Architecture</th><td class="mono">{env.data.jvm.arch}</td></tr>
              <tr><th>Command line</th>
                <td class="mono">{(env.data.jvm.options || []).join(' ')}</td></tr>
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

const CHARTED = [
  'Status.JVM.Memory.Heap.Used', 'Status.JVM.Memory.NonHeap.Used',
  'Status.Process.PeakResidentMemory', 'Status.JVM.CPU.Load', 'Status.JVM.Threads.Count',
  'numRunningJobs', 'numRegisteredTaskManagers', 'taskSlotsAvailable', 'taskSlotsTotal',
];

function MetricsTab() {
  const history = useMetricHistory('/jobmanager/metrics', CHARTED);
  return (
    <div data-testid="jm-metrics">
      {history.error && <ErrorBox error={history.error} what="the JobManager's metrics" />}
      <div class="jm-charts">
        <MetricChart title="Memory (MB)" history={history} scale={toMB} lines={[
          { id: 'Status.JVM.Memory.Heap.Used', label: 'Heap used' },
          { id: 'Status.JVM.Memory.NonHeap.Used', label: 'Non-heap used' },
          { id: 'Status.Process.PeakResidentMemory', label: 'Peak resident' },
        ]} />
        <MetricChart title="CPU load (%)" history={history} scale={toPercent} lines={[
          { id: 'Status.JVM.CPU.Load', label: 'CPU load' },
        ]} />
        <MetricChart title="Cluster" history={history} lines={[
          { id: 'numRunningJobs', label: 'Running jobs' },
          { id: 'numRegisteredTaskManagers', label: 'TaskManagers' },
          { id: 'taskSlotsAvailable', label: 'Free slots' },
          { id: 'taskSlotsTotal', label: 'Slots' },
        ]} />
        <MetricChart title="Threads" history={history} lines={[
          { id: 'Status.JVM.Threads.Count', label: 'Threads' },
        ]} />
      </div>
      <h2>All metrics</h2>
      <MetricTable path="/jobmanager/metrics" what="the JobManager's metrics" />
    </div>
  );
}

export function JobManagerPage({ rest }) {
  const tab = rest[0] || 'config';
  return (
    <div class="jm-page">
      <h1>Job Manager</h1>
      <Tabs active={tab} tabs={TABS.map(([id, label]) => ({ id, label, href: href('job-manager', id) }))} />
      {tab === 'config' && <ConfigTab />}
      {tab === 'metrics' && <MetricsTab />}
      {tab === 'logs' && <LogText path="/jobmanager/log" what="the JobManager's log" />}
      {tab === 'stdout' && <LogText path="/jobmanager/stdout" what="the JobManager's stdout" />}
      {tab === 'log-list' && !rest[1] && (
        <LogList path="/jobmanager/logs" what="the JobManager's log files"
          fileHref={(f) => href('job-manager', 'log-list', f)} />
      )}
      {tab === 'log-list' && rest[1] && (
        <LogFile name={rest[1]} path={`/jobmanager/logs/${encodeURIComponent(rest[1])}`}
          backHref={href('job-manager', 'log-list')} />
      )}
      {tab === 'thread-dump' && <ThreadDump path="/jobmanager/thread-dump" what="the JobManager's thread dump" />}
      {!TABS.some(([id]) => id === tab) && (
        <div class="error-box" role="alert"><strong>No such tab: {tab}</strong></div>
      )}
    </div>
  );
}

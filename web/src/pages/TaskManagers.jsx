// TaskManagers.jsx: #/task-manager (the TaskManagers of /taskmanagers) and
// #/task-manager/<id>/<tab> (one TaskManager: metrics, logs, stdout, log list, thread dump).
// An unknown id shows the REST API's 404 ("TaskManager <id> not found").
import { useRest } from '../lib/poll.js';
import { href } from '../lib/router.js';
import { fmtBytes, fmtTime } from '../lib/format.js';
import { Loaded } from '../components/Feedback.jsx';
import { Table } from '../components/Table.jsx';
import { Tabs } from '../components/Tabs.jsx';
import { LogText, LogList, LogFile, ThreadDump } from './LogViews.jsx';
import { TaskManagerMetricsTab } from './taskmanager/TaskManagerMetrics.jsx';
import './taskmanager/taskmanager.css';

export function TaskManagerListPage() {
  const res = useRest('/taskmanagers');
  const columns = [
    {
      label: 'ID',
      render: (t) => (
        <a href={href('task-manager', t.id, 'metrics')} class="mono" data-tm-link={t.id}>{t.id}</a>
      ),
    },
    { label: 'Path, Data Port', render: (t) => (
      <><div class="mono">{t.path}</div><div class="muted small">data port {t.dataPort}</div></>
    ) },
    { label: 'Last Heartbeat', render: (t) => fmtTime(t.timeSinceLastHeartbeat) },
    { label: 'All Slots', class: 'num', render: (t) => t.slotsNumber },
    { label: 'Free Slots', class: 'num', render: (t) => t.freeSlots },
    { label: 'CPU Cores', class: 'num', render: (t) => (t.hardware ? t.hardware.cpuCores : '-') },
    { label: 'Physical Memory', class: 'num',
      render: (t) => (t.hardware ? fmtBytes(t.hardware.physicalMemory) : '-') },
    { label: 'Status', render: (t) => (t.blocked ? <span class="badge badge-amber">BLOCKED</span>
      : <span class="badge badge-green">REGISTERED</span>) },
  ];
  return (
    <div class="tm-page">
      <h1>Task Managers</h1>
      <Loaded res={res} what="the TaskManagers (/taskmanagers)">
        {(d) => (
          <div class="tm-list" data-testid="taskmanagers" data-count={(d.taskmanagers || []).length}>
            <Table columns={columns} rows={d.taskmanagers || []} rowKey={(t) => t.id}
              testid="taskmanager-table"
              empty="No TaskManagers are registered. Start one with `spate taskmanager start`." />
          </div>
        )}
      </Loaded>
    </div>
  );
}

const TABS = [
  ['metrics', 'Metrics'],
  ['logs', 'Logs'],
  ['stdout', 'Stdout'],
  ['log-list', 'Log List'],
  ['thread-dump', 'Thread Dump'],
];

export function TaskManagerPage({ id, rest }) {
  const tab = rest[0] || 'metrics';
  const api = `/taskmanagers/${encodeURIComponent(id)}`;
  const tm = useRest(api);
  return (
    <div class="tm-page" data-tm-id={id}>
      <div class="tm-crumbs"><a href={href('task-manager')}>Task Managers</a> /</div>
      <h1 class="tm-title">
        Task Manager <span class="mono" data-testid="tm-id">{id}</span>
      </h1>
      <Loaded res={tm} what={`TaskManager ${id}`}>
        {(t) => (
          <>
            <div class="tm-meta">
              <span class="mono">{t.path}</span>
              <span>Data port {t.dataPort}</span>
              <span>Slots {t.freeSlots} free of {t.slotsNumber}</span>
              <span>Last heartbeat {fmtTime(t.timeSinceLastHeartbeat)}</span>
            </div>
            <Tabs active={tab}
              tabs={TABS.map(([t2, label]) => ({ id: t2, label, href: href('task-manager', id, t2) }))} />
            {tab === 'metrics' && <TaskManagerMetricsTab tm={t} api={api} />}
            {tab === 'logs' && <LogText path={`${api}/log`} what="the TaskManager's log" />}
            {tab === 'stdout' && <LogText path={`${api}/stdout`} what="the TaskManager's stdout" />}
            {tab === 'log-list' && !rest[1] && (
              <LogList path={`${api}/logs`} what="the TaskManager's log files"
                fileHref={(f) => href('task-manager', id, 'log-list', f)} />
            )}
            {tab === 'log-list' && rest[1] && (
              <LogFile name={rest[1]} path={`${api}/logs/${encodeURIComponent(rest[1])}`}
                backHref={href('task-manager', id, 'log-list')} />
            )}
            {tab === 'thread-dump' && (
              <ThreadDump path={`${api}/thread-dump`} what="the TaskManager's thread dump" />
            )}
            {!TABS.some(([t2]) => t2 === tab) && (
              <div class="error-box" role="alert"><strong>No such tab: {tab}</strong></div>
            )}
          </>
        )}
      </Loaded>
    </div>
  );
}

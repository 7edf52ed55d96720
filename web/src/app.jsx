// app.jsx: the dashboard's shell: loads /config (refresh interval, features, history-server
// mode), draws the navigation and the connection banner, and picks the page of the hash route.
import { useEffect, useState } from 'preact/hooks';
import { get } from './lib/api.js';
import { onConnection, isConnected } from './lib/connection.js';
import { ConfigContext } from './lib/poll.js';
import { useRoute, href } from './lib/router.js';
import { ErrorBox, Loading } from './components/Feedback.jsx';
import { OverviewPage } from './pages/Overview.jsx';
import { JobListPage } from './pages/JobList.jsx';
import { JobPage } from './pages/job/JobPage.jsx';
import { TaskManagerListPage, TaskManagerPage } from './pages/TaskManagers.jsx';
import { JobManagerPage } from './pages/JobManager.jsx';
import { SubmitPage } from './pages/Submit.jsx';

function Nav({ config, route }) {
  const history = config.features && config.features['web-history'];
  const submit = config.features && config.features['web-submit'];
  const items = [
    { id: 'overview', label: 'Overview', href: href('overview') },
    !history && { id: 'job/running', label: 'Running Jobs', href: href('job', 'running') },
    { id: 'job/completed', label: 'Completed Jobs', href: href('job', 'completed') },
    !history && { id: 'task-manager', label: 'Task Managers', href: href('task-manager') },
    !history && { id: 'job-manager', label: 'Job Manager', href: href('job-manager') },
    !history && submit && { id: 'submit', label: 'Submit New Job', href: href('submit') },
  ].filter(Boolean);
  const here = route.length === 0 ? 'overview' : route[0] === 'job' ? `job/${route[1]}` : route[0];
  return (
    <nav class="side">
      <div class="brand">
        <a href={href('overview')}>Spate</a>
        <div class="muted small">{history ? 'History Server' : `version ${config['flink-version']}`}</div>
      </div>
      {items.map((i) => (
        <a href={i.href} key={i.id} class={here === i.id ? 'nav active' : 'nav'} data-nav={i.id}>
          {i.label}
        </a>
      ))}
    </nav>
  );
}

function ConnectionBanner() {
  const [ok, setOk] = useState(isConnected());
  useEffect(() => onConnection(setOk), []);
  if (ok) return null;
  return (
    <div class="banner-lost" role="alert" data-testid="connection-lost">
      Lost the connection to the JobManager at {location.host}. Showing the last data received;
      retrying every refresh interval.
    </div>
  );
}

function Page({ route, config }) {
  const [first, second, ...rest] = route;
  if (!first || first === 'overview') return <OverviewPage />;
  if (first === 'job' && (second === 'running' || second === 'completed') && rest.length === 0)
    return <JobListPage which={second} />;
  if (first === 'job' && rest.length >= 1)
    return <JobPage state={second} jobId={rest[0]} rest={rest.slice(1)} />;
  if (first === 'task-manager' && !second) return <TaskManagerListPage />;
  if (first === 'task-manager') return <TaskManagerPage id={second} rest={rest} />;
  if (first === 'job-manager') return <JobManagerPage rest={second ? [second, ...rest] : []} />;
  if (first === 'submit') return <SubmitPage />;
  return (
    <div class="error-box" role="alert">
      <strong>No such page</strong>
      <pre>{'#/' + route.join('/')}</pre>
      <a href={href('overview')}>Back to the overview</a>
    </div>
  );
}

export function App() {
  const route = useRoute();
  const [config, setConfig] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stop = false;
    let timer = null;
    const load = () =>
      get('/config').then(
        (c) => !stop && (setConfig(c), setError(null)),
        (e) => {
          if (stop) return;
          setError(e);
          timer = setTimeout(load, 3000);
        }
      );
    load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);
  if (!config)
    return error ? (
      <main class="content"><ErrorBox error={error} what="the dashboard configuration (/config)" /></main>
    ) : (
      <Loading what="the dashboard" />
    );
  return (
    <ConfigContext.Provider value={config}>
      <div class="layout">
        <Nav config={config} route={route} />
        <main class="content">
          <ConnectionBanner />
          <Page route={route} config={config} />
        </main>
      </div>
    </ConfigContext.Provider>
  );
}

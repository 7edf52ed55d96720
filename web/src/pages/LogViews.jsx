// LogViews.jsx: the log pages the TaskManager and JobManager views share: a text file (log,
// stdout, one file of the log list) in a <pre> scrolled to its end, the log directory's list
// (Flink's LogListInfo), and a thread dump (Flink's ThreadDumpInfo). A file is loaded once and
// reloaded on demand, as Flink's dashboard does (a log that rewrote itself every refresh would
// lose the reader's place).
import { useEffect, useRef } from 'preact/hooks';
import { useRest } from '../lib/poll.js';
import { fmtBytes, fmtTime } from '../lib/format.js';
import { Loaded, Empty } from '../components/Feedback.jsx';
import { Table } from '../components/Table.jsx';
import './logs.css';

/* The most text a page shows of a file; of a longer one, its head (the daemon's start: version,
 * addresses, configuration) and its tail (where a log's news is), with what is left out named. */
const MAX_SHOWN = 4 << 20;
const HEAD_SHOWN = 256 << 10;

function shorten(t) {
  if (t.length <= MAX_SHOWN) return { text: t, cut: 0 };
  let head = t.slice(0, HEAD_SHOWN);
  head = head.slice(0, head.lastIndexOf('\n') + 1);
  let tail = t.slice(t.length - (MAX_SHOWN - HEAD_SHOWN));
  tail = tail.slice(tail.indexOf('\n') + 1);
  const cut = t.length - head.length - tail.length;
  return { text: `${head}\n[… ${fmtBytes(cut)} left out here: "Open raw" shows the whole file …]\n\n${tail}`, cut };
}

/* A plain-text file at REST `path` (what: a name for messages), scrolled to its end. */
export function LogText({ path, what, testid = 'log-text' }) {
  const res = useRest(path, { live: false });
  const pre = useRef(null);
  const text = typeof res.data === 'string' ? res.data : undefined;
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text]);
  return (
    <div class="logs-view">
      <div class="logs-toolbar">
        <span class="muted small mono">GET {path}</span>
        <span class="logs-spacer" />
        {text !== undefined && <span class="muted small">{fmtBytes(text.length)}</span>}
        <a class="button small" href={path.replace(/^\//, '')} target="_blank" rel="noopener">
          Open raw
        </a>
        <button type="button" class="logs-button" onClick={res.reload} data-testid="log-reload">Reload</button>
      </div>
      <Loaded res={res} what={what}>
        {(t) => {
          if (typeof t !== 'string') t = JSON.stringify(t, null, 2);
          if (t.length === 0) return <Empty>{what} is empty.</Empty>;
          const { text: shown, cut } = shorten(t);
          return (
            <>
              {cut > 0 && (
                <div class="muted small logs-cut">
                  The file has {fmtBytes(t.length)}: showing its first and last lines, without{' '}
                  {fmtBytes(cut)} in between; "Open raw" shows the whole file.
                </div>
              )}
              <pre class="logs-text" ref={pre} data-testid={testid}>{shown}</pre>
            </>
          );
        }}
      </Loaded>
    </div>
  );
}

/* The files of /…/logs: name (linking to fileHref(name)), size, modification time. */
export function LogList({ path, fileHref, what }) {
  const res = useRest(path);
  const columns = [
    { label: 'Log Name', render: (f) => <a href={fileHref(f.name)} data-log-file={f.name}>{f.name}</a> },
    { label: 'Size', class: 'num', render: (f) => fmtBytes(f.size) },
    { label: 'Last Modified', render: (f) => fmtTime(f.mtime) },
  ];
  return (
    <Loaded res={res} what={what}>
      {(d) => (
        <Table columns={columns} rows={[...(d.logs || [])].sort((a, b) => (a.name < b.name ? -1 : 1))}
          rowKey={(f) => f.name} testid="log-list" empty="The log directory has no files." />
      )}
    </Loaded>
  );
}

/* One file of a log list, with a way back to the list. */
export function LogFile({ path, name, backHref }) {
  return (
    <div>
      <div class="logs-file-head">
        <a href={backHref}>← Log list</a>
        <strong class="mono" data-testid="log-file-name">{name}</strong>
      </div>
      <LogText path={path} what={`the log file ${name}`} />
    </div>
  );
}

/* The threads of /…/thread-dump, each its own block. */
export function ThreadDump({ path, what }) {
  const res = useRest(path, { live: false });
  return (
    <Loaded res={res} what={what}>
      {(d) => {
        const threads = d.threadInfos || [];
        return (
          <div data-testid="thread-dump" data-count={threads.length}>
            <div class="logs-toolbar">
              <span>{threads.length} threads</span>
              <span class="logs-spacer" />
              <button type="button" class="logs-button" onClick={res.reload}>Reload</button>
            </div>
            {threads.length === 0 ? (
              <Empty>The thread dump lists no threads.</Empty>
            ) : (
              <pre class="logs-text logs-threads">
                {threads.map((t) => t.stringifiedThreadInfo).join('\n')}
              </pre>
            )}
          </div>
        );
      }}
    </Loaded>
  );
}

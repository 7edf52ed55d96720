// Exceptions.jsx: the root exception and the exception history (GET /jobs/<jid>/exceptions):
// each entry with its task, location (TaskManager), time and an expandable stack trace.
import { useRest } from '../../lib/poll.js';
import { fmtTime } from '../../lib/format.js';
import { Loaded, Empty } from '../../components/Feedback.jsx';
import './job.css';

const firstLine = (s) => (s || '').split('\n')[0];

function Entry({ e, root }) {
  const location = e.location || e.endpoint || e.taskManagerId;
  return (
    <details class="job-exception" data-testid="exception-entry" open={root}>
      <summary>
        <strong>{e.exceptionName || firstLine(e.stacktrace) || 'Exception'}</strong>
        <span class="job-exc-meta">
          {fmtTime(e.timestamp)}
          {e.taskName ? ` · ${e.taskName}` : ''}
          {location ? ` · ${location}` : ''}
        </span>
      </summary>
      <pre data-testid="exception-trace">{e.stacktrace || '(no stack trace)'}</pre>
      {(e.concurrentExceptions || []).length > 0 && (
        <div class="small muted" style="padding: 4px 12px">
          {e.concurrentExceptions.length} concurrent exception(s):
          {e.concurrentExceptions.map((c, i) => <Entry e={c} key={i} />)}
        </div>
      )}
    </details>
  );
}

export function JobExceptionsTab({ job, jobId, live }) {
  const res = useRest(`/jobs/${jobId}/exceptions`, { live });
  return (
    <Loaded res={res} what="exceptions">
      {(d) => {
        const hist = (d.exceptionHistory && d.exceptionHistory.entries) || [];
        const root = d['root-exception'];
        if (!root && hist.length === 0)
          return <div data-testid="exceptions"><Empty>No exceptions.</Empty></div>;
        return (
          <div data-testid="exceptions">
            {root && (
              <>
                <h2>Root exception</h2>
                <details class="job-exception" data-testid="root-exception" open>
                  <summary><strong>{firstLine(root)}</strong>
                    <span class="job-exc-meta">{fmtTime(d.timestamp)}</span></summary>
                  <pre>{root}</pre>
                </details>
              </>
            )}
            <h2>Exception history{d.exceptionHistory && d.exceptionHistory.truncated ?
              ' (truncated)' : ''}</h2>
            {hist.length === 0 ? <Empty>No exceptions in the history.</Empty> :
              hist.map((e, i) => <Entry e={e} key={i} root={i === 0 && !root} />)}
          </div>
        );
      }}
    </Loaded>
  );
}

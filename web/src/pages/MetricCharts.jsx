// MetricCharts.jsx: live metric views the TaskManager and JobManager pages share. A metric
// endpoint (/taskmanagers/<id>/metrics, /jobmanager/metrics) is Flink's
// MetricCollectionResponseBody: without ?get= the available names [{"id"}], with ?get=a,b their
// values [{"id","value"}] as strings. useMetricHistory keeps a rolling history of chosen metrics
// in the component (fetched every web.refresh-interval); MetricChart draws some of them;
// MetricTable lists every metric of the endpoint with its current value.
import { useRef, useState } from 'preact/hooks';
import { get } from '../lib/api.js';
import { useRest, useTicker } from '../lib/poll.js';
import { Chart } from '../components/Chart.jsx';
import { ErrorBox, Loaded } from '../components/Feedback.jsx';
import { Table } from '../components/Table.jsx';
import { fmtBytes, fmtDuration, fmtNumber, fmtPercent } from '../lib/format.js';

/* Points kept per metric: at the default 3 s refresh, the last five minutes. */
const HISTORY = 100;

/*
 * Fetches `ids` of the metric endpoint `path` every refresh interval and keeps the last HISTORY
 * samples: { times (epoch s), values: {id: number[]}, error }. Unknown ids (omitted by the
 * server) and unparsable values are recorded as null (a gap in the chart).
 */
export function useMetricHistory(path, ids) {
  const hist = useRef({ times: [], values: {} });
  const [, setVersion] = useState(0);
  const [error, setError] = useState(null);
  const key = ids.join(',');
  useTicker(async () => {
    try {
      const got = await get(`${path}?get=${encodeURIComponent(key)}`);
      const byId = new Map((Array.isArray(got) ? got : []).map((m) => [m.id, Number(m.value)]));
      const h = hist.current;
      h.times.push(Date.now() / 1000);
      for (const id of ids) {
        const v = byId.get(id);
        (h.values[id] = h.values[id] || []).push(Number.isFinite(v) ? v : null);
      }
      if (h.times.length > HISTORY) {
        h.times.splice(0, h.times.length - HISTORY);
        for (const id of ids) h.values[id].splice(0, h.values[id].length - HISTORY);
      }
      setError(null);
      setVersion((n) => n + 1);
    } catch (e) {
      setError(e);
    }
  }, [path, key]);
  return { times: hist.current.times, values: hist.current.values, error };
}

/*
 * One chart of a history: lines [{ id, label }], each value mapped by `scale` (e.g. bytes to
 * MB), with `unit` after the axis values.
 */
export function MetricChart({ title, history, lines, scale = (v) => v, unit = '' }) {
  const series = lines.map((l) => ({
    label: l.label,
    values: (history.values[l.id] || []).map((v) => (v == null ? null : scale(v))),
  }));
  // One sample gives uPlot no time range (its axis would span years): wait for the second.
  return (
    <div class="metrics-chart" data-testid="metric-chart" data-title={title}>
      {history.times.length < 2 ? (
        <div class="chart metrics-waiting">
          <strong>{title}</strong>
          <div class="muted small">Collecting samples (one every refresh interval)…</div>
        </div>
      ) : (
        <Chart title={title} times={history.times} series={series} unit={unit} />
      )}
    </div>
  );
}

export const toMB = (b) => b / (1024 * 1024);
export const toPercent = (r) => r * 100;

/* A metric's value as sent (a string) and, for sizes and times, in human units beside it. */
function MetricValue({ id, value }) {
  const n = Number(value);
  if (value === undefined) return '-';
  if (!Number.isFinite(n)) return value;
  let human = null;
  if (n >= 0 && /(Memory|Capacity|Heap|NonHeap|Metaspace)/.test(id) && !/Count$/.test(id))
    human = fmtBytes(n);
  else if (n >= 0 && /CPU\.Load$/.test(id)) human = fmtPercent(n);
  else if (n >= 0 && /CPU\.Time$/.test(id)) human = fmtDuration(n / 1e6);
  return (
    <>
      {fmtNumber(n, 4)}
      {human && (n >= 1024 || /CPU/.test(id)) ? <span class="metrics-value-human">{human}</span> : null}
    </>
  );
}

/* Every metric of the endpoint `path` with its current value, refreshed live. */
export function MetricTable({ path, what }) {
  const names = useRest(path, { live: false });
  const ids = (Array.isArray(names.data) ? names.data : []).map((m) => m.id).sort();
  const values = useRest(ids.length ? `${path}?get=${encodeURIComponent(ids.join(','))}` : null);
  const byId = new Map((Array.isArray(values.data) ? values.data : []).map((m) => [m.id, m.value]));
  const columns = [
    { label: 'Metric', render: (id) => <span class="mono">{id}</span> },
    { label: 'Value', class: 'num', render: (id) => <span data-metric={id}><MetricValue id={id} value={byId.get(id)} /></span> },
  ];
  return (
    <Loaded res={names} what={what}>
      {() => (
        <>
          {values.error && <ErrorBox error={values.error} what="the metric values" />}
          <Table columns={columns} rows={ids} rowKey={(id) => id} testid="metric-table"
            empty="This endpoint reports no metrics." />
        </>
      )}
    </Loaded>
  );
}

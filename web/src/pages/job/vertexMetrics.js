// vertexMetrics.js: the live figures the job graph shows per vertex (records/s in and out, busy,
// backpressure, low watermark), loaded for every vertex of a job on each refresh from
// /jobs/<jid>/vertices/<vid>/subtasks/metrics (aggregated over subtasks) and /watermarks.
import { useState } from 'preact/hooks';
import { get } from '../../lib/api.js';
import { useTicker } from '../../lib/poll.js';

const METRICS = ['busyTimeMsPerSecond', 'backPressuredTimeMsPerSecond', 'idleTimeMsPerSecond',
  'numRecordsInPerSecond', 'numRecordsOutPerSecond'];

/* Flink's "no watermark" is Long.MIN_VALUE; anything this low means none. */
export const NO_WATERMARK = -9.2e18;

async function loadVertex(jobId, vid) {
  const base = `/jobs/${jobId}/vertices/${vid}`;
  const [agg, wms] = await Promise.all([
    get(`${base}/subtasks/metrics?get=${METRICS.join(',')}&agg=max,avg,sum`),
    get(`${base}/watermarks`).catch(() => []),
  ]);
  const m = {};
  for (const e of agg || []) m[e.id] = e;
  const val = (id, k) => (m[id] && typeof m[id][k] === 'number' ? m[id][k] : undefined);
  const marks = (wms || []).map((w) => Number(w.value)).filter((v) => !Number.isNaN(v));
  return {
    busy: val('busyTimeMsPerSecond', 'max') / 1000,
    bp: val('backPressuredTimeMsPerSecond', 'max') / 1000,
    idle: val('idleTimeMsPerSecond', 'max') / 1000,
    busyAvg: val('busyTimeMsPerSecond', 'avg') / 1000,
    inRate: val('numRecordsInPerSecond', 'sum'),
    outRate: val('numRecordsOutPerSecond', 'sum'),
    // The low watermark: the smallest input watermark over the subtasks (Flink's dashboard).
    lowWatermark: marks.length ? Math.min(...marks) : undefined,
  };
}

/*
 * { metrics: {vertexId: {busy, bp, idle, busyAvg, inRate, outRate, lowWatermark}}, error }:
 * reloaded every refresh-interval while `live`; once for a finished job. A value the
 * TaskManagers have not reported yet is undefined (NaN for ratios).
 */
export function useVertexMetrics(jobId, vertexIds, live) {
  const [state, setState] = useState({ metrics: {}, error: null, loaded: false });
  const key = vertexIds.join(',');
  useTicker(async () => {
    if (!live && state.loaded) return;
    try {
      const all = await Promise.all(vertexIds.map((v) => loadVertex(jobId, v)));
      const metrics = {};
      vertexIds.forEach((v, i) => (metrics[v] = all[i]));
      setState({ metrics, error: null, loaded: true });
    } catch (error) {
      setState((s) => ({ ...s, error, loaded: true }));
    }
  }, [jobId, key, live]);
  return state;
}

/* A watermark as the dashboard writes it. */
export function fmtWatermark(w) {
  if (w === undefined || w === null || Number.isNaN(w)) return '-';
  if (w <= NO_WATERMARK) return 'No watermark';
  return new Date(w).toISOString().replace('T', ' ').replace('Z', '');
}

// load.js: loading one checkpoint whole (its details and every vertex's subtask details), and
// a cache of them for the history. Spate, like Flink, keeps statistics only for the last
// web.checkpoints.history checkpoints (10): at a 100 ms interval a checkpoint's details are
// gone a second after it completed, sooner than the page refreshes. So the history loads the
// details of each completed checkpoint as soon as it appears (they never change once it is
// completed) and keeps them while the row is listed or expanded. Only the newest two of each
// refresh are loaded ahead: at most a few requests per refresh, and they are the ones most
// likely still there.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../../../lib/api.js';

/* Resolves to { details, subtasks: { vertexId: json } }; rejects with the RestError of the
 * first request that failed (404 when the checkpoint left the history). */
export async function loadCheckpoint(jobId, id) {
  const base = `/jobs/${encodeURIComponent(jobId)}/checkpoints/details/${id}`;
  const details = await get(base);
  const ids = Object.keys(details.tasks || {});
  const all = await Promise.all(ids.map((v) => get(`${base}/subtasks/${encodeURIComponent(v)}`)));
  const subtasks = {};
  ids.forEach((v, i) => (subtasks[v] = all[i]));
  return { details, subtasks };
}

/* A cache of whole checkpoints: ids to load (finished ones), keep (also kept: expanded ones).
 * Returns a Map id -> { data } | { error } | { loading: true }; re-renders as they arrive. */
export function useCheckpointCache(jobId, ids, keep) {
  const cache = useRef(new Map());
  const mounted = useRef(true);
  const [, setVersion] = useState(0);
  const key = ids.join(',');
  useEffect(() => () => (mounted.current = false), []);
  useEffect(() => {
    const c = cache.current;
    for (const id of [...c.keys()]) if (!ids.includes(id) && !keep.includes(id)) c.delete(id);
    for (const id of ids) {
      if (c.has(id)) continue;
      c.set(id, { loading: true });
      loadCheckpoint(jobId, id).then(
        (data) => c.has(id) && c.set(id, { data }),
        (error) => c.has(id) && c.set(id, { error })
      ).then(() => mounted.current && setVersion((v) => v + 1));
    }
  }, [jobId, key]);
  return cache.current;
}

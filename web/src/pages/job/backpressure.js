// backpressure.js: backpressure levels as Flink's dashboard shows them, and the backpressure
// root cause (beyond Flink): which vertex makes the job slow, and the chain of vertices it slows.
//
// Inputs are per-vertex ratios in [0, 1], from the subtask metrics the TaskManagers report
// (max over a vertex's subtasks, as Flink's backpressure level uses the worst subtask):
//   bp   = backPressuredTimeMsPerSecond / 1000: time a task waited for output buffers;
//   busy = busyTimeMsPerSecond / 1000: time a task spent processing records.
//
// Rules (backpressure flows upstream: a slow vertex fills its input buffers, so every vertex
// before it waits for buffers, i.e. is backpressured, while the slow vertex itself is not):
//   1. A vertex is backpressured when its level is not OK (bp > 0.1, Flink's threshold).
//   2. No backpressured vertex: "No backpressure".
//   3. A root-cause candidate is a vertex that is NOT backpressured (its outputs flow) but has at
//      least one backpressured input vertex (its inputs wait for it).
//   4. Among candidates, the busiest one is the root cause; it is "busy" when busy >= 0.5 (it
//      spends at least half its time on records). A candidate that is not busy is still named,
//      but flagged: its slowness is elsewhere (I/O waits, a blocking call counted as idle).
//   5. The chain: the root cause and every vertex upstream of it reachable through backpressured
//      inputs (back to the sources), with the edges between them.
//   6. Metrics not (yet) known for the vertices involved: "measuring" (nothing is claimed).

/* Flink's thresholds (JobVertexBackPressureHandler): ratio <= 0.1 OK, <= 0.5 LOW, else HIGH. */
export const LOW_THRESHOLD = 0.1;
export const HIGH_THRESHOLD = 0.5;
/* Rule 4: a root cause is busy when it processes records at least this share of the time. */
export const BUSY_THRESHOLD = 0.5;

/* 'OK' | 'LOW' | 'HIGH' for a backpressure ratio; null when unknown. */
export function bpLevel(ratio) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return null;
  if (ratio <= LOW_THRESHOLD) return 'OK';
  if (ratio <= HIGH_THRESHOLD) return 'LOW';
  return 'HIGH';
}

const known = (x) => typeof x === 'number' && !Number.isNaN(x);

/*
 * nodes: the job plan's nodes ([{id, inputs: [{id, ship_strategy}]}]);
 * ratios: {vertexId: {bp, busy}} (values may be missing while metrics are not yet reported).
 * Returns { state, root, busy, chain, chainEdges, candidates }:
 *   state: 'measuring' | 'none' | 'root' | 'unclear' (backpressured, but no vertex satisfies
 *          rule 3, e.g. the vertex causing it has not reported yet);
 *   root: the root cause's vertex id (state 'root'); busy: whether it meets BUSY_THRESHOLD;
 *   chain: Set of vertex ids; chainEdges: Set of 'from->to' strings.
 */
export function rootCause(nodes, ratios) {
  const result = { state: 'measuring', root: null, busy: false, chain: new Set(),
    chainEdges: new Set(), candidates: [] };
  if (!nodes || nodes.length === 0) return result;
  const r = (id) => ratios[id] || {};
  const pressured = (id) => known(r(id).bp) && r(id).bp > LOW_THRESHOLD;
  const anyKnown = nodes.some((n) => known(r(n.id).bp));
  if (!anyKnown) return result;
  if (!nodes.some((n) => pressured(n.id))) {
    result.state = nodes.every((n) => known(r(n.id).bp)) ? 'none' : 'measuring';
    return result;
  }
  for (const n of nodes) {
    const ins = (n.inputs || []).map((i) => i.id);
    if (known(r(n.id).bp) && !pressured(n.id) && ins.some(pressured))
      result.candidates.push(n.id);
  }
  if (result.candidates.length === 0) {
    result.state = 'unclear';
    return result;
  }
  const busyOf = (id) => (known(r(id).busy) ? r(id).busy : -1);
  const root = result.candidates.reduce((a, b) => (busyOf(b) > busyOf(a) ? b : a));
  result.state = 'root';
  result.root = root;
  result.busy = busyOf(root) >= BUSY_THRESHOLD;
  // Rule 5: walk upstream through backpressured inputs.
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const todo = [root];
  result.chain.add(root);
  while (todo.length) {
    const id = todo.pop();
    for (const i of (byId.get(id) && byId.get(id).inputs) || []) {
      if (!pressured(i.id)) continue;
      result.chainEdges.add(`${i.id}->${id}`);
      if (!result.chain.has(i.id)) {
        result.chain.add(i.id);
        todo.push(i.id);
      }
    }
  }
  return result;
}

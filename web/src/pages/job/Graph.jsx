// Graph.jsx: the job graph as a DAG (left to right, laid out by dagre) in SVG. Each vertex box
// shows its name, parallelism, records/s in and out, busy %, backpressure level and low
// watermark; each edge its ship strategy. Vertices and edges on the backpressure chain (see
// backpressure.js) are marked with data-bp-chain="true" and drawn in red.
import { useMemo } from 'preact/hooks';
import dagre from '@dagrejs/dagre';
import { fmtRate, fmtPercent } from '../../lib/format.js';
import { bpLevel } from './backpressure.js';
import { fmtWatermark } from './vertexMetrics.js';

const W = 290;
const H = 118;

function layout(nodes) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 70, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: W, height: H });
  for (const n of nodes)
    for (const i of n.inputs || []) if (g.hasNode(i.id)) g.setEdge(i.id, n.id, { width: 70, height: 16 });
  dagre.layout(g);
  return g;
}

const clip = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

function busyColour(busy) {
  if (busy === undefined || Number.isNaN(busy)) return '#ffffff';
  // White (idle) to a warm red (busy), as Flink's graph tints busy vertices.
  const t = Math.max(0, Math.min(1, busy));
  const c = (a, b) => Math.round(a + (b - a) * t);
  return `rgb(${c(255, 250)},${c(255, 196)},${c(255, 180)})`;
}

export function JobGraph({ nodes, names, metrics, bp, selected, onSelect }) {
  const g = useMemo(() => layout(nodes), [nodes.map((n) => n.id + ':' +
    (n.inputs || []).map((i) => i.id).join('+')).join(',')]);
  const gw = g.graph().width || W;
  const gh = g.graph().height || H;
  const edges = [];
  for (const n of nodes)
    for (const i of n.inputs || []) {
      const e = g.edge(i.id, n.id);
      if (e) edges.push({ from: i.id, to: n.id, strategy: i.ship_strategy, points: e.points, e });
    }
  return (
    <div class="jobgraph-box">
      <svg class="jobgraph" data-testid="job-graph" viewBox={`0 0 ${gw} ${gh}`}
        style={{ width: '100%', maxWidth: `${gw}px`, minWidth: `${Math.min(gw, 640)}px` }}>
        <defs>
          <marker id="jobgraph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
            markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#7a8494" />
          </marker>
          <marker id="jobgraph-arrow-bp" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
            markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#cf3a3a" />
          </marker>
        </defs>
        {edges.map((ed) => {
          const onChain = bp.chainEdges.has(`${ed.from}->${ed.to}`);
          const d = ed.points.map((p, k) => `${k ? 'L' : 'M'}${p.x},${p.y}`).join(' ');
          const mid = ed.points[Math.floor(ed.points.length / 2)];
          return (
            <g class={'jobgraph-edge' + (onChain ? ' bp-chain' : '')} key={ed.from + ed.to}
              data-testid="graph-edge" data-from={ed.from} data-to={ed.to}
              data-bp-chain={onChain ? 'true' : 'false'}>
              <path d={d} marker-end={`url(#jobgraph-arrow${onChain ? '-bp' : ''})`} />
              <rect x={mid.x - 38} y={mid.y - 10} width="76" height="18" rx="3" />
              <text x={mid.x} y={mid.y + 3} text-anchor="middle">{ed.strategy || ''}</text>
            </g>
          );
        })}
        {nodes.map((n) => {
          const p = g.node(n.id);
          const m = metrics[n.id] || {};
          const level = bpLevel(m.bp);
          const onChain = bp.chain.has(n.id);
          const isRoot = bp.root === n.id;
          const name = names[n.id] || n.description || n.id;
          const x = p.x - W / 2;
          const y = p.y - H / 2;
          return (
            <g class={'jobgraph-node' + (onChain ? ' bp-chain' : '') + (isRoot ? ' bp-root' : '') +
              (selected === n.id ? ' selected' : '')} key={n.id}
              transform={`translate(${x},${y})`} data-testid="graph-node" data-vertex-id={n.id}
              data-vertex-name={name} data-bp-chain={onChain ? 'true' : 'false'}
              data-bp-root={isRoot ? 'true' : 'false'} data-bp-level={level || ''}
              onClick={() => onSelect(n.id)}>
              <title>{name}</title>
              <rect class="box" width={W} height={H} rx="6" style={{ fill: busyColour(m.busy) }} />
              <text class="name" x="10" y="20">{clip(name, 40)}</text>
              <text class="line" x="10" y="40">Parallelism: {n.parallelism}</text>
              <text class="line" x="150" y="40">Busy: <tspan data-field="busy">{fmtPercent(m.busy)}</tspan></text>
              <text class="line" x="10" y="58">In: {fmtRate(m.inRate)}</text>
              <text class="line" x="150" y="58">Out: {fmtRate(m.outRate)}</text>
              <text class="line" x="10" y="76">Backpressure: </text>
              <text class={`line bp-level bp-${(level || 'unknown').toLowerCase()}`} x="100" y="76"
                data-field="bp-level">{level || '-'}{level ? ` (${fmtPercent(m.bp)})` : ''}</text>
              <text class="line" x="10" y="94">Low watermark: {fmtWatermark(m.lowWatermark)}</text>
              {isRoot && <text class="root-tag" x="10" y="111">▲ backpressure root cause</text>}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

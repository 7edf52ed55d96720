// 21-job-backpressure-rules.test.mjs: the backpressure root-cause rules (src/pages/job/
// backpressure.js) on made-up graphs, without a browser or a cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bpLevel, rootCause } from '../src/pages/job/backpressure.js';

const chain = (...ids) => ids.map((id, i) => ({ id, inputs: i ? [{ id: ids[i - 1] }] : [] }));

test("Flink's levels: OK <= 0.1 < LOW <= 0.5 < HIGH", () => {
  assert.equal(bpLevel(0), 'OK');
  assert.equal(bpLevel(0.1), 'OK');
  assert.equal(bpLevel(0.11), 'LOW');
  assert.equal(bpLevel(0.5), 'LOW');
  assert.equal(bpLevel(0.51), 'HIGH');
  assert.equal(bpLevel(undefined), null);
  assert.equal(bpLevel(NaN), null);
});

test('nothing known yet: measuring; all known and none backpressured: none', () => {
  const nodes = chain('a', 'b');
  assert.equal(rootCause(nodes, {}).state, 'measuring');
  assert.equal(rootCause(nodes, { a: { bp: 0.05, busy: 0.2 } }).state, 'measuring');
  assert.equal(rootCause(nodes, { a: { bp: 0.05, busy: 0.2 }, b: { bp: 0, busy: 0.3 } }).state,
    'none');
});

test('a slow middle vertex: root cause, chain back to the source, sink not on it', () => {
  const nodes = chain('src', 'slow', 'sink');
  const r = rootCause(nodes, { src: { bp: 0.95, busy: 0.05 }, slow: { bp: 0, busy: 0.99 },
    sink: { bp: 0, busy: 0.01 } });
  assert.equal(r.state, 'root');
  assert.equal(r.root, 'slow');
  assert.equal(r.busy, true);
  assert.deepEqual([...r.chain].sort(), ['slow', 'src']);
  assert.deepEqual([...r.chainEdges], ['src->slow']);
});

test('backpressure through several vertices and a join: the whole upstream chain', () => {
  const nodes = [
    { id: 's1', inputs: [] }, { id: 's2', inputs: [] }, { id: 'm', inputs: [{ id: 's1' }] },
    { id: 'j', inputs: [{ id: 'm' }, { id: 's2' }] }, { id: 'k', inputs: [{ id: 'j' }] },
  ];
  const r = rootCause(nodes, { s1: { bp: 0.8, busy: 0.1 }, s2: { bp: 0.3, busy: 0.1 },
    m: { bp: 0.7, busy: 0.2 }, j: { bp: 0.0, busy: 0.9 }, k: { bp: 0, busy: 0.1 } });
  assert.equal(r.root, 'j');
  assert.deepEqual([...r.chain].sort(), ['j', 'm', 's1', 's2']);
  assert.deepEqual([...r.chainEdges].sort(), ['m->j', 's1->m', 's2->j']);
});

test('two candidates: the busier one; a candidate that is not busy is flagged', () => {
  const nodes = [{ id: 'a', inputs: [] }, { id: 'b', inputs: [{ id: 'a' }] },
    { id: 'c', inputs: [{ id: 'a' }] }];
  const r = rootCause(nodes, { a: { bp: 0.9 }, b: { bp: 0, busy: 0.3 }, c: { bp: 0, busy: 0.6 } });
  assert.equal(r.root, 'c');
  assert.equal(r.busy, true);
  const idle = rootCause(chain('a', 'b'), { a: { bp: 0.9 }, b: { bp: 0, busy: 0.2 } });
  assert.equal(idle.root, 'b');
  assert.equal(idle.busy, false);
});

test('backpressured but the cause has not reported: unclear', () => {
  const r = rootCause(chain('a', 'b'), { a: { bp: 0.9, busy: 0.1 } });
  assert.equal(r.state, 'unclear');
  assert.equal(r.root, null);
});

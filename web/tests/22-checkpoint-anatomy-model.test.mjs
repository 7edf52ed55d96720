// 22-checkpoint-anatomy-model.test.mjs: the checkpoint anatomy (src/pages/job/checkpoints/
// model.js) on made-up checkpoint statistics in Flink's JSON, without a browser or a cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subtaskAnatomy, checkpointAnatomy, phasesOf, PHASES } from
  '../src/pages/job/checkpoints/model.js';

const sub = (index, start, align, sync, async, e2e, status = 'completed') => ({
  index, status, start_delay: start, alignment: { duration: align },
  checkpoint: { sync, async }, end_to_end_duration: e2e,
});

test('a subtask: its phases, the remainder as acknowledgement, the dominant phase', () => {
  const a = subtaskAnatomy(sub(3, 5, 2, 1, 30, 45));
  assert.deepEqual(a.phases, { start: 5, align: 2, sync: 1, async: 30, other: 7 });
  assert.equal(a.e2e, 45);
  assert.equal(a.index, 3);
  assert.equal(a.dominant, 'async');
  assert.equal(subtaskAnatomy(sub(0, 0, 0, 0, 0, 0, 'pending_or_failed')), null);
});

test('phases that add up to more than the end to end (rounding) stretch the bar, no negative rest', () => {
  const a = subtaskAnatomy(sub(0, 4, 0, 3, 3, 9));
  assert.equal(a.phases.other, 0);
  assert.equal(a.e2e, 10);
  assert.equal(a.dominant, 'start');
});

test('a checkpoint: vertices in job order, the slowest subtask named, one scale', () => {
  const details = { tasks: { v2: { end_to_end_duration: 80 }, v1: { end_to_end_duration: 20 } } };
  const subtasks = {
    v1: { subtasks: [sub(0, 1, 0, 1, 5, 8), sub(1, 10, 0, 1, 8, 20)] },
    v2: { subtasks: [sub(0, 12, 40, 2, 20, 80), { index: 1, status: 'pending_or_failed' }] },
  };
  const an = checkpointAnatomy(details, subtasks, { v1: 'Source', v2: 'Window' }, ['v1', 'v2']);
  assert.deepEqual(an.vertices.map((v) => v.name), ['Source', 'Window']);
  assert.equal(an.scale, 80);
  assert.equal(an.slowest.name, 'Window');
  assert.equal(an.slowest.index, 0);
  assert.equal(an.slowest.dominant, 'align');
  assert.equal(an.vertices[0].slowest.index, 1);
  assert.equal(an.vertices[1].subtasks[1].pending, true);
  assert.equal(phasesOf(an), PHASES);
});

test('a separate upload figure becomes its own phase and async is only async', () => {
  const s = sub(0, 1, 0, 1, 5, 20);
  s.checkpoint.upload = 9;
  const an = checkpointAnatomy({ tasks: { v: { end_to_end_duration: 20 } } }, { v: { subtasks: [s] } },
    { v: 'Sink' });
  assert.equal(an.slowest.phases.upload, 9);
  assert.equal(an.slowest.phases.other, 4);
  assert.deepEqual(phasesOf(an).map((p) => p.id), ['start', 'align', 'sync', 'async', 'upload', 'other']);
});

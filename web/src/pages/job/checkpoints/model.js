// model.js: what the checkpoints tab derives from Spate's checkpoint JSON (Flink's shapes:
// CheckpointingStatistics, CheckpointStatistics, TaskCheckpointStatisticsWithSubtaskDetails,
// CheckpointConfigInfo): whether checkpointing is on, a checkpoint's type label, and the
// anatomy of one checkpoint (each subtask's end-to-end time split into phases, the slowest).
import { RestError } from '../../../lib/api.js';

/* Checkpointing is off when /checkpoints/config answers 404 (Flink) or names an interval no
 * job could use: Spate answers 200 with interval Long.MAX_VALUE (9223372036854775807, which
 * arrives in JavaScript as 9.223372036854776e18) for a job without periodic checkpoints. */
export function checkpointingEnabled(config, error) {
  if (error instanceof RestError && error.status === 404) return false;
  if (!config) return true;
  const i = config.interval;
  return typeof i === 'number' && i > 0 && i < 2 ** 62;
}

/* "checkpoint" or "savepoint", and "aligned" or "unaligned", from checkpoint_type
 * (CHECKPOINT, UNALIGNED_CHECKPOINT, SAVEPOINT, SYNC_SAVEPOINT) and is_savepoint. */
export function checkpointKind(c) {
  const t = (c && c.checkpoint_type) || '';
  const savepoint = (c && c.is_savepoint) || t.includes('SAVEPOINT');
  const unaligned = t.includes('UNALIGNED');
  return {
    savepoint,
    unaligned,
    label: `${savepoint ? 'Savepoint' : 'Checkpoint'}${t === 'SYNC_SAVEPOINT' ? ' (sync)' : ''}`,
    alignment: unaligned ? 'unaligned' : 'aligned',
  };
}

/* The phases of a subtask's end-to-end time, in the order they happen. Spate's async phase
 * writes the state files, so it includes the upload; "other" is what the phases leave of the
 * end-to-end time (the acknowledgement's way to the JobManager, rounding to whole ms). */
export const PHASES = [
  { id: 'start', label: 'start delay (barrier travel)', short: 'start delay' },
  { id: 'align', label: 'alignment', short: 'alignment' },
  { id: 'sync', label: 'sync', short: 'sync' },
  { id: 'async', label: 'async (incl. upload)', short: 'async (incl. upload)' },
  { id: 'other', label: 'acknowledgement / other', short: 'acknowledgement' },
];

const ms = (v) => (typeof v === 'number' && v > 0 ? v : 0);

/* One completed subtask (an entry of .subtasks of the subtask-details JSON) as
 * { index, e2e, phases: {start, align, sync, async, other}, dominant } or null when pending. */
export function subtaskAnatomy(s) {
  if (!s || s.status !== 'completed') return null;
  const p = {
    start: ms(s.start_delay),
    align: ms(s.alignment && s.alignment.duration),
    sync: ms(s.checkpoint && s.checkpoint.sync),
    async: ms(s.checkpoint && s.checkpoint.async),
  };
  if (s.checkpoint && typeof s.checkpoint.upload === 'number') p.upload = ms(s.checkpoint.upload);
  const e2e = ms(s.end_to_end_duration);
  const known = p.start + p.align + p.sync + p.async + (p.upload || 0);
  p.other = Math.max(0, e2e - known);
  let dominant = 'start';
  for (const k of Object.keys(p)) if (p[k] > p[dominant]) dominant = k;
  return { index: s.index, e2e: Math.max(e2e, known), phases: p, dominant };
}

/* The anatomy of one checkpoint: details (CheckpointStatistics with .tasks), subtasks
 * ({ vertexId: subtask-details JSON }), names ({ vertexId: name }). Vertices come in the
 * job graph's order (`order`, vertex ids) when given. Returns { vertices: [{ id, name, e2e,
 * subtasks: [anatomy|{index, pending}], slowest }], slowest: { vertex, name, ...anatomy } | null,
 * scale (the largest end-to-end time, for bars on one scale) }. */
export function checkpointAnatomy(details, subtasks, names, order) {
  const ids = Object.keys((details && details.tasks) || {});
  if (order) ids.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  let slowest = null;
  let scale = 0;
  const vertices = ids.map((id) => {
    const d = subtasks[id];
    const list = ((d && d.subtasks) || []).map(
      (s) => subtaskAnatomy(s) || { index: s.index, pending: true }
    );
    let vs = null;
    for (const a of list) {
      if (a.pending) continue;
      if (!vs || a.e2e > vs.e2e) vs = a;
      if (a.e2e > scale) scale = a.e2e;
    }
    const name = names[id] || id;
    if (vs && (!slowest || vs.e2e > slowest.e2e)) slowest = { vertex: id, name, ...vs };
    return { id, name, e2e: ms(details.tasks[id].end_to_end_duration), subtasks: list,
      slowest: vs, loaded: !!d };
  });
  return { vertices, slowest, scale };
}

/* The phases to draw: PHASES, or with a separate upload phase after async when the JSON has
 * one (then async is only async). */
export function phasesOf(anatomy) {
  const upload = anatomy.vertices.some((v) => v.subtasks.some((s) => s.phases && 'upload' in s.phases));
  if (!upload) return PHASES;
  const out = PHASES.map((p) => (p.id === 'async' ? { ...p, label: 'async', short: 'async' } : p));
  out.splice(4, 0, { id: 'upload', label: 'upload', short: 'upload' });
  return out;
}

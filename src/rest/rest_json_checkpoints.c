/*
 * rest_json_checkpoints.c: the checkpoint statistics' JSON (rest_json_checkpoints.h), with
 * Flink's keys (snake_case), nesting and value types: ids, timestamps, sizes, durations and
 * counts are integers; percentiles are numbers with a fraction (Flink's doubles).
 */
#include "rest/rest_json_checkpoints.h"

#include <stdint.h>

/* Adds key = value to o (value consumed); false if o or value is NULL or out of memory, in
 * which case o is freed and set to NULL (so a chain of sets fails once). */
static bool put(json_t **o, const char *key, json_t *value) {
  if (*o && value && json_object_set_new(*o, key, value) == 0) return true;
  if (!*o || !value) json_decref(value);
  json_decref(*o);
  *o = NULL;
  return false;
}

static json_t *i64(int64_t v) { return json_integer((json_int_t)v); }
static json_t *u64(uint64_t v) {
  return json_integer(v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v);
}

/* Flink's StatsSummaryDto. */
static json_t *summary(const ckpt_summary *s) {
  json_t *o = json_object();
  put(&o, "min", i64(s->min));
  put(&o, "max", i64(s->max));
  put(&o, "avg", i64(ckpt_summary_avg(s)));
  put(&o, "p50", json_real(s->p50));
  put(&o, "p90", json_real(s->p90));
  put(&o, "p95", json_real(s->p95));
  put(&o, "p99", json_real(s->p99));
  put(&o, "p999", json_real(s->p999));
  return o;
}

/* Both discriminators of a polymorphic entry. */
static void put_class(json_t **o, const char *name) {
  put(o, "className", json_string(name));
  put(o, "@class", json_string(name));
}

static const char *entry_class(const ckpt_stats_entry *e) {
  return e->status == CKPT_STATS_COMPLETED ? "completed"
         : e->status == CKPT_STATS_FAILED  ? "failed"
                                           : "in_progress";
}

/* Flink's TaskCheckpointStatistics of vertex v in e. */
static json_t *task_stats(const ckpt_stats_snapshot *s, const ckpt_stats_entry *e, int v) {
  ckpt_task_stats t;
  ckpt_stats_task(s, e, v, &t);
  int64_t d = t.latest_ack_ms < 0               ? -1
              : t.latest_ack_ms > e->trigger_ms ? t.latest_ack_ms - e->trigger_ms
                                                : 0;
  json_t *o = json_object();
  put(&o, "id", i64(e->id));
  put(&o, "status", json_string(ckpt_stats_status_name(e->status)));
  put(&o, "latest_ack_timestamp", i64(t.latest_ack_ms));
  put(&o, "checkpointed_size", u64(t.checkpointed_size));
  put(&o, "state_size", u64(t.state_size));
  put(&o, "end_to_end_duration", i64(d));
  put(&o, "alignment_buffered", u64(t.align_buffered));
  put(&o, "processed_data", u64(t.processed));
  put(&o, "persisted_data", u64(t.persisted));
  put(&o, "num_subtasks", json_integer(t.nsubtasks));
  put(&o, "num_acknowledged_subtasks", json_integer(t.nacked));
  return o;
}

/* Flink's CheckpointStatistics (completed, failed or in progress); tasks: fill the tasks map
 * (e must have its subtasks), else it is empty as in the history. */
static json_t *entry(const ckpt_stats_snapshot *s, const ckpt_stats_entry *e, bool tasks) {
  if (!e) return json_null();
  json_t *o = json_object();
  put_class(&o, entry_class(e));
  put(&o, "id", i64(e->id));
  put(&o, "status", json_string(ckpt_stats_status_name(e->status)));
  put(&o, "is_savepoint", json_boolean(ckpt_stats_is_savepoint(e)));
  put(&o, "savepointFormat", ckpt_stats_is_savepoint(e) ? json_string("CANONICAL") : json_null());
  put(&o, "trigger_timestamp", i64(e->trigger_ms));
  put(&o, "latest_ack_timestamp", i64(e->latest_ack_ms));
  put(&o, "checkpointed_size", u64(e->checkpointed_size));
  put(&o, "state_size", u64(e->state_size));
  put(&o, "end_to_end_duration", i64(ckpt_stats_duration(e)));
  put(&o, "alignment_buffered", i64(0)); /* Flink reports 0 since 1.11 */
  put(&o, "processed_data", u64(e->processed));
  put(&o, "persisted_data", u64(e->persisted));
  put(&o, "num_subtasks", json_integer(e->nsubtasks));
  put(&o, "num_acknowledged_subtasks", json_integer(e->nacked));
  put(&o, "checkpoint_type", json_string(ckpt_stats_type_name(e->type)));
  json_t *map = json_object();
  for (int v = 0; tasks && e->subtasks && map && v < s->nvertices; v++)
    put(&map, s->vertices[v].id, task_stats(s, e, v));
  put(&o, "tasks", map);
  if (e->status == CKPT_STATS_COMPLETED) {
    put(&o, "external_path", e->external_path ? json_string(e->external_path) : json_null());
    put(&o, "discarded", json_boolean(e->discarded));
  } else if (e->status == CKPT_STATS_FAILED) {
    put(&o, "failure_timestamp", i64(e->failure_ms));
    put(&o, "failure_message", e->failure_message ? json_string(e->failure_message) : json_null());
  }
  return o;
}

json_t *rest_json_checkpointing_statistics(const ckpt_stats_snapshot *s) {
  json_t *counts = json_object();
  put(&counts, "restored", i64(s->counts.restored));
  put(&counts, "total", i64(s->counts.total));
  put(&counts, "in_progress", i64(s->counts.in_progress));
  put(&counts, "completed", i64(s->counts.completed));
  put(&counts, "failed", i64(s->counts.failed));
  json_t *sum = json_object();
  put(&sum, "checkpointed_size", summary(&s->checkpointed_size));
  put(&sum, "state_size", summary(&s->state_size));
  put(&sum, "end_to_end_duration", summary(&s->duration));
  put(&sum, "alignment_buffered", summary(&s->alignment_buffered));
  put(&sum, "processed_data", summary(&s->processed));
  put(&sum, "persisted_data", summary(&s->persisted));
  json_t *restored = json_null();
  if (s->has_restored) {
    restored = json_object();
    put(&restored, "id", i64(s->restored.id));
    put(&restored, "restore_timestamp", i64(s->restored.restore_ms));
    put(&restored, "is_savepoint", json_boolean(s->restored.savepoint));
    put(&restored, "external_path", json_string(s->restored.external_path));
  }
  json_t *latest = json_object();
  put(&latest, "completed", entry(s, s->latest_completed, false));
  put(&latest, "savepoint", entry(s, s->latest_savepoint, false));
  put(&latest, "failed", entry(s, s->latest_failed, false));
  put(&latest, "restored", restored);
  json_t *history = json_array();
  for (int i = 0; history && i < s->nhistory; i++)
    if (json_array_append_new(history, entry(s, &s->history[i], false)) < 0) {
      json_decref(history);
      history = NULL;
    }
  json_t *o = json_object();
  put(&o, "counts", counts);
  put(&o, "summary", sum);
  put(&o, "latest", latest);
  put(&o, "history", history);
  return o;
}

json_t *rest_json_checkpoint_config(const ckpt_stats_config *c) {
  json_t *ext = json_object();
  put(&ext, "enabled", json_boolean(c->externalized));
  put(&ext, "delete_on_cancellation", json_boolean(c->delete_on_cancellation));
  json_t *o = json_object();
  put(&o, "mode", json_string(c->exactly_once ? "exactly_once" : "at_least_once"));
  put(&o, "interval", i64(c->interval_ms));
  put(&o, "timeout", i64(c->timeout_ms));
  put(&o, "min_pause", i64(c->min_pause_ms));
  put(&o, "max_concurrent", json_integer(c->max_concurrent));
  put(&o, "externalization", ext);
  /* what Flink's ExecutionGraph names its state backend and checkpoint storage: Spate keeps state
   * on the heap and checkpoints in files, as these two do */
  put(&o, "state_backend", json_string("HashMapStateBackend"));
  put(&o, "checkpoint_storage", json_string("FileSystemCheckpointStorage"));
  put(&o, "unaligned_checkpoints", json_boolean(c->unaligned));
  put(&o, "tolerable_failed_checkpoints", json_integer(c->tolerable));
  put(&o, "aligned_checkpoint_timeout", i64(c->aligned_timeout_ms));
  put(&o, "checkpoints_after_tasks_finish", json_boolean(c->after_tasks_finish));
  put(&o, "state_changelog_enabled", json_false());
  put(&o, "changelog_periodic_materialization_interval", i64(600000)); /* Flink's default */
  put(&o, "changelog_storage", json_string("memory"));                 /* Flink's default */
  return o;
}

json_t *rest_json_checkpoint_details(const ckpt_stats_snapshot *s) {
  return s->nhistory ? entry(s, &s->history[0], true) : NULL;
}

json_t *rest_json_task_checkpoint_details(const ckpt_stats_snapshot *s, int v) {
  if (!s->nhistory || v < 0 || v >= s->nvertices) return NULL;
  const ckpt_stats_entry *e = &s->history[0];
  json_t *o = task_stats(s, e, v);
  ckpt_task_summary ts;
  if (ckpt_stats_task_summary(s, e, v, &ts) < 0) {
    json_decref(o);
    return NULL;
  }
  json_t *cd = json_object();
  put(&cd, "sync", summary(&ts.sync));
  put(&cd, "async", summary(&ts.async));
  json_t *al = json_object();
  put(&al, "buffered", summary(&ts.align_buffered));
  put(&al, "processed", summary(&ts.processed));
  put(&al, "persisted", summary(&ts.persisted));
  put(&al, "duration", summary(&ts.align_duration));
  json_t *sum = json_object();
  put(&sum, "checkpointed_size", summary(&ts.checkpointed_size));
  put(&sum, "state_size", summary(&ts.state_size));
  put(&sum, "end_to_end_duration", summary(&ts.duration));
  put(&sum, "checkpoint_duration", cd);
  put(&sum, "alignment", al);
  put(&sum, "start_delay", summary(&ts.start_delay));
  json_t *subtasks = json_array();
  const ckpt_stats_vertex *vx = &s->vertices[v];
  for (int i = 0; subtasks && e->subtasks && i < vx->parallelism; i++) {
    const ckpt_subtask_stats *x = &e->subtasks[vx->first + i];
    json_t *st = json_object();
    if (!x->acked) {
      put_class(&st, "pending");
      put(&st, "index", json_integer(i));
      put(&st, "status", json_string("pending_or_failed"));
    } else {
      int64_t d = x->ack_ms - e->trigger_ms;
      json_t *ck = json_object();
      put(&ck, "sync", i64(x->sync_ms));
      put(&ck, "async", i64(x->async_ms));
      json_t *a = json_object();
      put(&a, "buffered", u64(x->align_buffered));
      put(&a, "processed", u64(x->processed));
      put(&a, "persisted", u64(x->persisted));
      put(&a, "duration", i64(x->align_ms));
      put_class(&st, "completed");
      put(&st, "index", json_integer(i));
      put(&st, "status", json_string("completed"));
      put(&st, "ack_timestamp", i64(x->ack_ms));
      put(&st, "end_to_end_duration", i64(d > 0 ? d : 0));
      put(&st, "checkpointed_size", u64(x->checkpointed_size));
      put(&st, "state_size", u64(x->state_size));
      put(&st, "checkpoint", ck);
      put(&st, "alignment", a);
      put(&st, "start_delay", i64(x->start_delay_ms));
      put(&st, "unaligned_checkpoint", json_boolean(x->unaligned));
      put(&st, "aborted", json_false());
    }
    if (!st || json_array_append_new(subtasks, st) < 0) {
      json_decref(subtasks);
      subtasks = NULL;
    }
  }
  put(&o, "summary", sum);
  put(&o, "subtasks", subtasks);
  return o;
}

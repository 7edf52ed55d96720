/*
 * test_rest_json_checkpoints.c: the checkpoint statistics' JSON (rest/rest_json_checkpoints.h)
 * for what a running cluster does not show deterministically: a checkpoint in progress (class
 * "in_progress", subtasks not yet acknowledged as "pending" / "pending_or_failed"), exact
 * figures (sizes, durations, percentiles as reals), an unaligned checkpoint's type, and the
 * configuration with periodic checkpoints off (Flink's Long.MAX_VALUE interval) and
 * externalized retention. The job graph is real (a source at parallelism 2 -> a sink at
 * parallelism 1); the statistics are fed through the tracker's writers.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "support/testkit.h"

#include "base/alloc.h"
#include "checkpoint/checkpoint_stats.h"
#include "graph/stream_graph.h"
#include "rest/rest_json_checkpoints.h"
#include "types/schema.h"

typedef struct fx {
  spate_schema *schema;
  stream_graph *sg;
  job_graph *jg;
  ckpt_stats *st;
  char vertex[2][33];
} fx;

static int setup(void **state) {
  fx *f = sp_calloc(1, sizeof *f);
  assert_non_null(f);
  const char *names[] = {"n"};
  spate_type types[] = {SPATE_BIGINT};
  bool nullable[] = {false};
  f->schema = schema_new(1, names, types, nullable);
  f->sg = sg_new("json");
  sg_node *src = sg_add_node(f->sg, OP_SRC_SEQUENCE, "Source: numbers");
  src->parallelism = 2;
  src->out_schema = schema_ref(f->schema);
  int src_id = src->id;
  sg_node *sink = sg_add_node(f->sg, OP_SINK_DISCARD, "Sink: Discard");
  sink->parallelism = 1;
  assert_non_null(sg_add_input(f->sg, sink->id, src_id, PART_REBALANCE));
  char err[512];
  if (jobgraph_build(f->sg, &f->jg, err, sizeof err) != 0) fail_msg("jobgraph_build: %s", err);
  for (int v = 0; v < 2; v++) jobgraph_vertex_id(f->jg, v, f->vertex[v]);
  assert_int_equal(ckpt_stats_create(f->jg, 10, &f->st), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  ckpt_stats_unref(f->st);
  jobgraph_free(f->jg);
  sg_free(f->sg);
  schema_unref(f->schema);
  sp_free(f);
  return 0;
}

static json_int_t ival(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_integer(v)) fail_msg("'%s' is not an integer", key);
  return json_integer_value(v);
}

static const char *sval(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_string(v)) fail_msg("'%s' is not a string", key);
  return json_string_value(v);
}

static double rval(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_real(v)) fail_msg("'%s' is not a real", key);
  return json_real_value(v);
}

static void ack(fx *f, int64_t id, int t, int64_t at, uint64_t size, int64_t sync) {
  ckpt_stats_ack(f->st, id, t,
                 &(ckpt_subtask_stats){.ack_ms = at,
                                       .state_size = size,
                                       .checkpointed_size = size,
                                       .sync_ms = sync,
                                       .async_ms = 2 * sync,
                                       .align_ms = 1,
                                       .start_delay_ms = -1,
                                       .unaligned = true});
}

static void test_in_progress_checkpoint(void **state) {
  fx *f = *state;
  ckpt_stats_triggered(f->st, 5, CKPT_TYPE_UNALIGNED_CHECKPOINT, 10000);
  ack(f, 5, 0, 10040, 100, 4); /* source subtask 0; source 1 and the sink pending */
  ckpt_stats_snapshot s;
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  json_t *j = rest_json_checkpointing_statistics(&s);
  ckpt_stats_snapshot_free(&s);
  assert_non_null(j);
  json_t *counts = json_object_get(j, "counts");
  assert_int_equal(ival(counts, "in_progress"), 1);
  assert_int_equal(ival(counts, "total"), 1);
  json_t *latest = json_object_get(j, "latest");
  assert_true(json_is_null(json_object_get(latest, "completed")));
  assert_true(json_is_null(json_object_get(latest, "failed")));
  json_t *h = json_array_get(json_object_get(j, "history"), 0);
  assert_string_equal(sval(h, "className"), "in_progress");
  assert_string_equal(sval(h, "@class"), "in_progress");
  assert_string_equal(sval(h, "status"), "IN_PROGRESS");
  assert_string_equal(sval(h, "checkpoint_type"), "UNALIGNED_CHECKPOINT");
  assert_true(json_is_null(json_object_get(h, "savepointFormat")));
  assert_int_equal(ival(h, "num_acknowledged_subtasks"), 1);
  assert_int_equal(ival(h, "end_to_end_duration"), 40);
  assert_null(json_object_get(h, "external_path")); /* completed entries only */
  assert_null(json_object_get(h, "failure_message"));
  /* an empty summary is all zeros */
  json_t *ss = json_object_get(json_object_get(j, "summary"), "state_size");
  assert_int_equal(ival(ss, "max"), 0);
  assert_true(rval(ss, "p99") == 0.0);
  json_decref(j);

  assert_int_equal(ckpt_stats_read_checkpoint(f->st, 5, &s), 0);
  j = rest_json_checkpoint_details(&s);
  json_t *tasks = json_object_get(j, "tasks");
  json_t *t0 = json_object_get(tasks, f->vertex[0]), *t1 = json_object_get(tasks, f->vertex[1]);
  assert_non_null(t0);
  assert_non_null(t1);
  assert_int_equal(ival(t0, "num_acknowledged_subtasks"), 1);
  assert_int_equal(ival(t0, "state_size"), 100);
  assert_int_equal(ival(t0, "end_to_end_duration"), 40);
  assert_int_equal(ival(t1, "num_acknowledged_subtasks"), 0);
  assert_int_equal(ival(t1, "latest_ack_timestamp"), -1);
  assert_int_equal(ival(t1, "end_to_end_duration"), -1);
  json_decref(j);

  j = rest_json_task_checkpoint_details(&s, 0);
  json_t *subs = json_object_get(j, "subtasks");
  assert_int_equal(json_array_size(subs), 2);
  json_t *a = json_array_get(subs, 0), *p = json_array_get(subs, 1);
  assert_string_equal(sval(a, "className"), "completed");
  assert_string_equal(sval(a, "status"), "completed");
  assert_int_equal(ival(json_object_get(a, "checkpoint"), "sync"), 4);
  assert_int_equal(ival(json_object_get(a, "checkpoint"), "async"), 8);
  assert_int_equal(ival(json_object_get(a, "alignment"), "duration"), 1);
  assert_int_equal(ival(a, "start_delay"), 40 - 4 - 8 - 1);
  assert_true(json_is_true(json_object_get(a, "unaligned_checkpoint")));
  assert_true(json_is_false(json_object_get(a, "aborted")));
  assert_string_equal(sval(p, "className"), "pending");
  assert_string_equal(sval(p, "@class"), "pending");
  assert_string_equal(sval(p, "status"), "pending_or_failed");
  assert_int_equal(ival(p, "index"), 1);
  assert_int_equal(json_object_size(p), 4); /* className, @class, index, status */
  json_t *sum = json_object_get(j, "summary");
  assert_int_equal(ival(json_object_get(sum, "state_size"), "avg"), 100);
  assert_true(rval(json_object_get(json_object_get(sum, "checkpoint_duration"), "async"), "p50") ==
              8.0);
  json_decref(j);
  assert_null(rest_json_task_checkpoint_details(&s, 2)); /* no such vertex */
  ckpt_stats_snapshot_free(&s);
}

static void test_completed_figures_and_percentiles(void **state) {
  fx *f = *state;
  /* four checkpoints of 30, 60, 90, 120 bytes taking 10, 20, 30, 40 ms */
  for (int i = 1; i <= 4; i++) {
    ckpt_stats_triggered(f->st, i, CKPT_TYPE_CHECKPOINT, i * 1000);
    for (int t = 0; t < 3; t++) ack(f, i, t, i * 1000 + i * 10, (uint64_t)(10 * i), 1);
    ckpt_stats_completed(f->st, i, "/c");
  }
  ckpt_stats_snapshot s;
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  json_t *j = rest_json_checkpointing_statistics(&s);
  ckpt_stats_snapshot_free(&s);
  json_t *sum = json_object_get(j, "summary");
  json_t *ss = json_object_get(sum, "state_size"), *d = json_object_get(sum, "end_to_end_duration");
  assert_int_equal(ival(ss, "min"), 30);
  assert_int_equal(ival(ss, "max"), 120);
  assert_int_equal(ival(ss, "avg"), 75);
  assert_true(rval(ss, "p50") == 75.0); /* position 2.5 between 60 and 90 */
  assert_true(rval(ss, "p999") == 120.0);
  assert_int_equal(ival(d, "min"), 10);
  assert_true(rval(d, "p50") == 25.0);
  json_t *c = json_object_get(json_object_get(j, "latest"), "completed");
  assert_int_equal(ival(c, "id"), 4);
  assert_int_equal(ival(c, "state_size"), 120);
  assert_int_equal(ival(c, "checkpointed_size"), 120);
  assert_string_equal(sval(c, "external_path"), "/c");
  assert_int_equal(json_object_size(json_object_get(c, "tasks")), 0);
  json_decref(j);
}

static void test_config(void **state) {
  fx *f = *state;
  ckpt_stats_snapshot s;
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  json_t *j = rest_json_checkpoint_config(&s.config); /* not configured: periodic off */
  assert_int_equal(ival(j, "interval"), INT64_MAX);
  assert_string_equal(sval(j, "mode"), "exactly_once");
  json_decref(j);
  ckpt_stats_snapshot_free(&s);
  ckpt_stats_config c = {.exactly_once = false,
                         .interval_ms = 2000,
                         .timeout_ms = 3000,
                         .min_pause_ms = 500,
                         .aligned_timeout_ms = 7,
                         .max_concurrent = 2,
                         .tolerable = 4,
                         .externalized = true,
                         .delete_on_cancellation = false,
                         .unaligned = true,
                         .after_tasks_finish = true};
  j = rest_json_checkpoint_config(&c);
  assert_string_equal(sval(j, "mode"), "at_least_once");
  assert_int_equal(ival(j, "interval"), 2000);
  assert_int_equal(ival(j, "timeout"), 3000);
  assert_int_equal(ival(j, "min_pause"), 500);
  assert_int_equal(ival(j, "max_concurrent"), 2);
  assert_int_equal(ival(j, "tolerable_failed_checkpoints"), 4);
  assert_int_equal(ival(j, "aligned_checkpoint_timeout"), 7);
  json_t *e = json_object_get(j, "externalization");
  assert_true(json_is_true(json_object_get(e, "enabled")));
  assert_true(json_is_false(json_object_get(e, "delete_on_cancellation")));
  assert_true(json_is_true(json_object_get(j, "unaligned_checkpoints")));
  assert_true(json_is_true(json_object_get(j, "checkpoints_after_tasks_finish")));
  assert_true(json_is_false(json_object_get(j, "state_changelog_enabled")));
  assert_string_equal(sval(j, "state_backend"), "HashMapStateBackend");
  assert_string_equal(sval(j, "checkpoint_storage"), "FileSystemCheckpointStorage");
  json_decref(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_in_progress_checkpoint, setup, teardown),
      cmocka_unit_test_setup_teardown(test_completed_figures_and_percentiles, setup, teardown),
      cmocka_unit_test_setup_teardown(test_config, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_checkpoint_stats.c: a job's checkpoint statistics (checkpoint/checkpoint_stats.h, Flink's
 * CheckpointStatsTracker) through its interface, on a real job graph (a source at parallelism 2
 * -> a sink at parallelism 1, not chained: three subtasks):
 *  - quantiles as Flink's histograms estimate them, summaries of a series;
 *  - counts through trigger, acknowledgements, completion, failure, and what is in progress;
 *  - the history is newest first and bounded (web.checkpoints.history), while the latest
 *    completed, savepoint and failed entries stay readable after they left it;
 *  - failed and savepoint entries carry their message, type and path; discarded is recorded;
 *  - per-vertex figures and summaries over the subtasks, the derived start delay;
 *  - the restored checkpoint and the job-scope gauges;
 *  - a copy outlives the tracker (readers own what they read).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support/testkit.h"

#include "base/alloc.h"
#include "checkpoint/checkpoint_stats.h"
#include "graph/stream_graph.h"
#include "types/schema.h"

typedef struct fx {
  spate_schema *schema;
  stream_graph *sg;
  job_graph *jg;
  ckpt_stats *st;
} fx;

static int setup(void **state) {
  fx *f = sp_calloc(1, sizeof *f);
  assert_non_null(f);
  const char *names[] = {"n"};
  spate_type types[] = {SPATE_BIGINT};
  bool nullable[] = {false};
  f->schema = schema_new(1, names, types, nullable);
  f->sg = sg_new("stats");
  sg_node *src = sg_add_node(f->sg, OP_SRC_SEQUENCE, "Source: numbers");
  src->parallelism = 2;
  src->out_schema = schema_ref(f->schema);
  int src_id = src->id;
  sg_node *sink = sg_add_node(f->sg, OP_SINK_DISCARD, "Sink: Discard");
  sink->parallelism = 1;
  assert_non_null(sg_add_input(f->sg, sink->id, src_id, PART_REBALANCE));
  char err[512];
  if (jobgraph_build(f->sg, &f->jg, err, sizeof err) != 0) fail_msg("jobgraph_build: %s", err);
  assert_int_equal(f->jg->nvertices, 2);
  assert_int_equal(ckpt_stats_create(f->jg, 3, &f->st), 0);
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

/* Subtask t acknowledges checkpoint id at trigger + at with size bytes. */
static void ack(fx *f, int64_t id, int t, int64_t ack_ms, uint64_t size) {
  ckpt_stats_ack(f->st, id, t,
                 &(ckpt_subtask_stats){.ack_ms = ack_ms,
                                       .state_size = size,
                                       .checkpointed_size = size,
                                       .sync_ms = 1,
                                       .async_ms = 2,
                                       .align_ms = 3,
                                       .start_delay_ms = -1});
}

/* Checkpoint id triggered at trigger_ms, every subtask acknowledging after dur ms with size
 * bytes each, completed into "/ckpt/chk-<id>". */
static void complete(fx *f, int64_t id, ckpt_stats_type type, int64_t trigger_ms, int64_t dur,
                     uint64_t size) {
  ckpt_stats_triggered(f->st, id, type, trigger_ms);
  for (int t = 0; t < 3; t++) ack(f, id, t, trigger_ms + dur, size);
  char path[64];
  snprintf(path, sizeof path, "/ckpt/chk-%lld", (long long)id);
  ckpt_stats_completed(f->st, id, path);
}

static bool near(double a, double b) { return a - b < 1e-9 && b - a < 1e-9; }

static void test_quantiles_and_summaries(void **state) {
  (void)state;
  int64_t one[] = {7};
  assert_true(ckpt_quantile(one, 1, 0.5) == 7.0);
  assert_true(ckpt_quantile(one, 0, 0.5) == 0.0);
  /* 1..10: position q * 11, interpolated */
  int64_t ten[10];
  for (int i = 0; i < 10; i++) ten[i] = i + 1;
  assert_true(ckpt_quantile(ten, 10, 0.5) == 5.5);
  assert_true(near(ckpt_quantile(ten, 10, 0.9), 9.9));
  assert_true(ckpt_quantile(ten, 10, 0.95) == 10.0); /* position 10.45 >= n: the largest */
  assert_true(ckpt_quantile(ten, 10, 0.05) == 1.0);  /* position 0.55 < 1: the smallest */
  int64_t v[] = {40, 10, 30, 20};
  ckpt_summary s;
  ckpt_summary_of(v, 4, &s);
  assert_int_equal(s.count, 4);
  assert_int_equal(s.min, 10);
  assert_int_equal(s.max, 40);
  assert_int_equal(ckpt_summary_avg(&s), 25);
  assert_true(s.p50 == 25.0); /* position 2.5 between 20 and 30 */
  assert_true(s.p999 == 40.0);
  ckpt_summary_of(v, 0, &s);
  assert_int_equal(s.count, 0);
  assert_int_equal(ckpt_summary_avg(&s), 0);
}

static void test_counts_history_and_latest(void **state) {
  fx *f = *state;
  ckpt_stats_snapshot s;
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  assert_int_equal(s.counts.total, 0);
  assert_null(s.latest_completed);
  assert_int_equal(s.nhistory, 0);
  assert_int_equal(s.nvertices, 2);
  assert_int_equal(s.vertices[0].parallelism, 2);
  assert_int_equal(s.vertices[1].first, 2);
  char id[33];
  jobgraph_vertex_id(f->jg, 1, id);
  assert_string_equal(s.vertices[1].id, id);
  assert_int_equal(ckpt_stats_find_vertex(&s, id), 1);
  assert_int_equal(ckpt_stats_find_vertex(&s, "00000000000000000000000000000000"), -1);
  ckpt_stats_snapshot_free(&s);

  complete(f, 1, CKPT_TYPE_CHECKPOINT, 1000, 100, 10);
  complete(f, 2, CKPT_TYPE_SAVEPOINT, 2000, 300, 20);
  ckpt_stats_triggered(f->st, 3, CKPT_TYPE_UNALIGNED_CHECKPOINT, 3000);
  ack(f, 3, 0, 3050, 5);
  ckpt_stats_failed(f->st, 3, 3500, "Checkpoint expired before completing.");
  ckpt_stats_triggered(f->st, 4, CKPT_TYPE_CHECKPOINT, 4000);
  ack(f, 4, 2, 4010, 1);
  ack(f, 4, 2, 4999, 1000); /* repeated: ignored */
  ack(f, 99, 0, 4020, 1);   /* unknown: ignored */

  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  assert_int_equal(s.counts.total, 4);
  assert_int_equal(s.counts.completed, 2);
  assert_int_equal(s.counts.failed, 1);
  assert_int_equal(s.counts.in_progress, 1);
  assert_int_equal(s.counts.restored, 0);
  /* the history holds 3, newest first: 4 (in progress), 3 (failed), 2 (savepoint) */
  assert_int_equal(s.nhistory, 3);
  assert_int_equal(s.history[0].id, 4);
  assert_int_equal(s.history[0].status, CKPT_STATS_IN_PROGRESS);
  assert_int_equal(s.history[0].nacked, 1);
  assert_int_equal(s.history[0].latest_ack_ms, 4010);
  assert_int_equal(s.history[0].state_size, 1);
  assert_int_equal(ckpt_stats_duration(&s.history[0]), 10);
  assert_null(s.history[0].subtasks); /* history copies come without subtasks */
  assert_int_equal(s.history[1].id, 3);
  assert_int_equal(s.history[1].status, CKPT_STATS_FAILED);
  assert_int_equal(s.history[1].type, CKPT_TYPE_UNALIGNED_CHECKPOINT);
  assert_string_equal(s.history[1].failure_message, "Checkpoint expired before completing.");
  assert_int_equal(s.history[1].failure_ms, 3500);
  assert_int_equal(ckpt_stats_duration(&s.history[1]), 500);
  assert_int_equal(s.history[2].id, 2);
  assert_true(ckpt_stats_is_savepoint(&s.history[2]));
  assert_string_equal(ckpt_stats_type_name(s.history[2].type), "SAVEPOINT");
  /* checkpoint 1 left the history but is still the latest completed */
  assert_non_null(s.latest_completed);
  assert_int_equal(s.latest_completed->id, 1);
  assert_string_equal(s.latest_completed->external_path, "/ckpt/chk-1");
  assert_int_equal(s.latest_completed->state_size, 30);
  assert_int_equal(s.latest_completed->nsubtasks, 3);
  assert_int_equal(s.latest_completed->nacked, 3);
  assert_int_equal(s.latest_savepoint->id, 2);
  assert_int_equal(s.latest_failed->id, 3);
  /* the summary covers both completed ones */
  assert_int_equal(s.state_size.count, 2);
  assert_int_equal(s.state_size.min, 30);
  assert_int_equal(s.state_size.max, 60);
  assert_int_equal(ckpt_summary_avg(&s.state_size), 45);
  assert_int_equal(s.duration.min, 100);
  assert_int_equal(s.duration.max, 300);
  assert_true(s.duration.p50 == 200.0);
  assert_int_equal(s.alignment_buffered.max, 0);
  ckpt_stats_snapshot_free(&s);

  /* a detail read carries the subtasks; one not held is ENOENT */
  assert_int_equal(ckpt_stats_read_checkpoint(f->st, 1, &s), 0);
  assert_int_equal(s.nhistory, 1);
  assert_non_null(s.history[0].subtasks);
  assert_true(s.history[0].subtasks[2].acked);
  ckpt_stats_snapshot_free(&s);
  assert_int_equal(ckpt_stats_read_checkpoint(f->st, 77, &s), SPATE_ENOENT);

  /* the newest completed replaces the latest; discarded is recorded */
  complete(f, 5, CKPT_TYPE_CHECKPOINT, 5000, 50, 1);
  ckpt_stats_discarded(f->st, 5);
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  assert_int_equal(s.latest_completed->id, 5);
  assert_true(s.latest_completed->discarded);
  assert_int_equal(s.history[0].id, 5);
  assert_true(s.history[0].discarded);
  assert_int_equal(s.counts.in_progress, 1); /* 4 is pending, out of the history */
  ckpt_stats_snapshot_free(&s);
  /* a pending entry that left the history still completes */
  for (int t = 0; t < 2; t++) ack(f, 4, t, 4100, 2);
  ckpt_stats_completed(f->st, 4, "/ckpt/chk-4");
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  assert_int_equal(s.counts.completed, 4);
  assert_int_equal(s.counts.in_progress, 0);
  assert_int_equal(s.latest_completed->id, 4);
  assert_int_equal(s.latest_completed->state_size, 5);
  ckpt_stats_snapshot_free(&s);
  /* checkpoint 1 is gone now: no longer in the history nor a latest one */
  assert_int_equal(ckpt_stats_read_checkpoint(f->st, 1, &s), SPATE_ENOENT);
}

static void test_history_size_changes(void **state) {
  fx *f = *state;
  for (int i = 1; i <= 5; i++) complete(f, i, CKPT_TYPE_CHECKPOINT, i * 1000, 10, 1);
  ckpt_stats_snapshot s;
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  assert_int_equal(s.nhistory, 3);
  assert_int_equal(s.history[2].id, 3);
  ckpt_stats_snapshot_free(&s);
  ckpt_stats_set_history_size(f->st, 1);
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  assert_int_equal(s.nhistory, 1);
  assert_int_equal(s.history[0].id, 5);
  ckpt_stats_snapshot_free(&s);
  ckpt_stats_set_history_size(f->st, 10);
  for (int i = 6; i <= 12; i++) complete(f, i, CKPT_TYPE_CHECKPOINT, i * 1000, 10, 1);
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  assert_int_equal(s.nhistory, 8);
  assert_int_equal(s.history[0].id, 12);
  assert_int_equal(s.history[7].id, 5);
  assert_int_equal(s.counts.completed, 12);
  assert_int_equal(s.state_size.count, 12);
  ckpt_stats_snapshot_free(&s);
}

static void test_vertex_figures(void **state) {
  fx *f = *state;
  ckpt_stats_triggered(f->st, 1, CKPT_TYPE_CHECKPOINT, 1000);
  /* source subtasks 0 and 1; the sink (subtask index 2) has not acknowledged */
  ckpt_stats_ack(f->st, 1, 0,
                 &(ckpt_subtask_stats){.ack_ms = 1100,
                                       .state_size = 100,
                                       .checkpointed_size = 100,
                                       .sync_ms = 10,
                                       .async_ms = 20,
                                       .align_ms = 0,
                                       .start_delay_ms = -1});
  ckpt_stats_ack(f->st, 1, 1,
                 &(ckpt_subtask_stats){.ack_ms = 1300,
                                       .state_size = 300,
                                       .checkpointed_size = 300,
                                       .sync_ms = 30,
                                       .async_ms = 40,
                                       .align_ms = 5,
                                       .start_delay_ms = 7, /* measured: kept */
                                       .unaligned = true});
  ckpt_stats_snapshot s;
  assert_int_equal(ckpt_stats_read_checkpoint(f->st, 1, &s), 0);
  const ckpt_stats_entry *e = &s.history[0];
  /* derived start delay: 100 ms end to end minus 10 + 20 + 0 */
  assert_int_equal(e->subtasks[0].start_delay_ms, 70);
  assert_int_equal(e->subtasks[1].start_delay_ms, 7);
  assert_true(e->subtasks[1].unaligned);
  ckpt_task_stats t;
  ckpt_stats_task(&s, e, 0, &t);
  assert_int_equal(t.nsubtasks, 2);
  assert_int_equal(t.nacked, 2);
  assert_int_equal(t.latest_ack_ms, 1300);
  assert_int_equal(t.state_size, 400);
  ckpt_stats_task(&s, e, 1, &t);
  assert_int_equal(t.nsubtasks, 1);
  assert_int_equal(t.nacked, 0);
  assert_int_equal(t.latest_ack_ms, -1);
  ckpt_task_summary ts;
  assert_int_equal(ckpt_stats_task_summary(&s, e, 0, &ts), 0);
  assert_int_equal(ts.state_size.count, 2);
  assert_int_equal(ts.state_size.min, 100);
  assert_int_equal(ts.state_size.max, 300);
  assert_int_equal(ckpt_summary_avg(&ts.state_size), 200);
  assert_int_equal(ts.duration.min, 100);
  assert_int_equal(ts.duration.max, 300);
  assert_int_equal(ts.sync.max, 30);
  assert_int_equal(ts.async.min, 20);
  assert_int_equal(ts.align_duration.max, 5);
  assert_int_equal(ts.start_delay.min, 7);
  assert_int_equal(ts.start_delay.max, 70);
  assert_int_equal(ckpt_stats_task_summary(&s, e, 1, &ts), 0);
  assert_int_equal(ts.state_size.count, 0);
  ckpt_stats_snapshot_free(&s);
}

/* The start delay is the first barrier's arrival minus the trigger (Flink's
 * checkpointStartDelay), not what is left of end to end: the acknowledgement's travel stays out
 * of it. Clocks of other processes may disagree: clamped to [0, end to end]. */
static void test_measured_start_delay(void **state) {
  fx *f = *state;
  ckpt_stats_triggered(f->st, 1, CKPT_TYPE_CHECKPOINT, 1000);
  int64_t first_barrier[] = {1012, 990, 1500}; /* on time; clock behind; clock ahead */
  for (int t = 0; t < 3; t++)
    ckpt_stats_ack(f->st, 1, t,
                   &(ckpt_subtask_stats){.ack_ms = 1100,
                                         .sync_ms = 10,
                                         .async_ms = 20,
                                         .align_ms = 5,
                                         .first_barrier_ms = first_barrier[t],
                                         .start_delay_ms = -1});
  ckpt_stats_snapshot s;
  assert_int_equal(ckpt_stats_read_checkpoint(f->st, 1, &s), 0);
  const ckpt_stats_entry *e = &s.history[0];
  /* derived it would be 100 - 10 - 20 - 5 = 65 for every subtask */
  assert_int_equal(e->subtasks[0].start_delay_ms, 12);
  assert_int_equal(e->subtasks[1].start_delay_ms, 0);
  assert_int_equal(e->subtasks[2].start_delay_ms, 100);
  ckpt_stats_snapshot_free(&s);
}

static void test_restored_gauges_and_config(void **state) {
  fx *f = *state;
  ckpt_stats_gauges g;
  ckpt_stats_read_gauges(f->st, &g);
  assert_int_equal(g.last_completed_id, -1);
  assert_int_equal(g.last_duration_ms, -1);
  assert_int_equal(g.last_size, -1);
  assert_int_equal(g.last_restore_ms, -1);
  assert_string_equal(g.last_external_path, "n/a");
  ckpt_stats_restored r = {.id = 7, .restore_ms = 123, .savepoint = true};
  snprintf(r.external_path, sizeof r.external_path, "/sp/savepoint-1");
  ckpt_stats_restored_set(f->st, &r);
  complete(f, 8, CKPT_TYPE_CHECKPOINT, 1000, 40, 3);
  complete(f, 9, CKPT_TYPE_SYNC_SAVEPOINT, 2000, 60, 4);
  ckpt_stats_triggered(f->st, 10, CKPT_TYPE_CHECKPOINT, 3000);
  ckpt_stats_failed(f->st, 10, 3001, "declined");
  ckpt_stats_triggered(f->st, 11, CKPT_TYPE_CHECKPOINT, 4000);
  ckpt_stats_read_gauges(f->st, &g);
  assert_int_equal(g.last_completed_id, 9); /* the savepoint is the latest completed */
  assert_int_equal(g.last_duration_ms, 60);
  assert_int_equal(g.last_size, 12);
  assert_int_equal(g.last_full_size, 12);
  assert_int_equal(g.last_restore_ms, 123);
  assert_string_equal(g.last_external_path, "/ckpt/chk-9");
  assert_int_equal(g.completed, 2);
  assert_int_equal(g.failed, 1);
  assert_int_equal(g.in_progress, 1);
  assert_int_equal(g.total, 4);
  ckpt_stats_config c = {.exactly_once = false, .interval_ms = 5000, .max_concurrent = 2};
  ckpt_stats_set_config(f->st, &c);
  ckpt_stats_snapshot s;
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  assert_true(s.has_restored);
  assert_int_equal(s.restored.id, 7);
  assert_true(s.restored.savepoint);
  assert_string_equal(s.restored.external_path, "/sp/savepoint-1");
  assert_int_equal(s.counts.restored, 1);
  assert_false(s.config.exactly_once);
  assert_int_equal(s.config.interval_ms, 5000);
  assert_string_equal(ckpt_stats_type_name(s.latest_savepoint->type), "SYNC_SAVEPOINT");
  assert_string_equal(ckpt_stats_status_name(s.latest_failed->status), "FAILED");
  /* the copy is the reader's: it outlives the tracker */
  ckpt_stats_unref(f->st);
  f->st = NULL;
  assert_string_equal(s.latest_failed->failure_message, "declined");
  assert_int_equal(s.history[0].id, 11);
  ckpt_stats_snapshot_free(&s);
}

/* A second reference keeps the tracker; entries in several places are freed once. */
static void test_references(void **state) {
  fx *f = *state;
  ckpt_stats_ref(f->st);
  complete(f, 1, CKPT_TYPE_CHECKPOINT, 1000, 10, 1);
  ckpt_stats_triggered(f->st, 2, CKPT_TYPE_CHECKPOINT, 2000);
  ckpt_stats_unref(f->st);
  ckpt_stats_snapshot s;
  assert_int_equal(ckpt_stats_read(f->st, &s), 0);
  assert_int_equal(s.counts.total, 2);
  ckpt_stats_snapshot_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quantiles_and_summaries),
      cmocka_unit_test_setup_teardown(test_counts_history_and_latest, setup, teardown),
      cmocka_unit_test_setup_teardown(test_history_size_changes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_vertex_figures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_measured_start_delay, setup, teardown),
      cmocka_unit_test_setup_teardown(test_restored_gauges_and_config, setup, teardown),
      cmocka_unit_test_setup_teardown(test_references, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

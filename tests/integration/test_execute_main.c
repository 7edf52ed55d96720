/*
 * test_execute_main.c: a spate_main without error plumbing. spate_execute_main's exit codes and
 * what it writes on stderr (a finished job: 0 and nothing; a build error, a failed job, a job
 * without operators, a NULL environment: 1 and the reason), and every builder call taking a
 * NULL stream (the result of an earlier failed call) without crashing, so that the first error
 * is what the job reports.
 * UDFs have external linkage (the program is linked with -rdynamic) and an xm_ prefix.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "ERROR");
  return env;
}

/* spate_execute_main(env, name) with stderr captured into *err (caller frees). */
static int run_main(spate_env *env, const char *name, char **err) {
  char path[] = "/tmp/spate-execute-main-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  fflush(stderr);
  int saved = dup(2);
  assert_true(saved >= 0 && dup2(fd, 2) == 2);
  int code = spate_execute_main(env, name);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  off_t len = lseek(fd, 0, SEEK_END);
  *err = calloc(1, (size_t)len + 1);
  assert_int_equal(pread(fd, *err, (size_t)len, 0), len);
  close(fd);
  unlink(path);
  return code;
}

static void test_finished_job_exits_0(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  spate_stream *s = spate_from_sequence(env, 1, 100);
  spate_discard(spate_sum_name(spate_key_by_name(s, "value"), "value"));
  char *err;
  assert_int_equal(run_main(env, "sums", &err), 0);
  assert_null(strstr(err, "sums:"));
  free(err);
}

static void test_build_error_exits_1_with_message(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_stream *s = spate_from_sequence(env, 1, 100);
  spate_discard(spate_sum_name(spate_key_by_name(s, "value"), "amount")); /* no such field */
  char *err;
  assert_int_equal(run_main(env, "sums", &err), 1);
  tk_assert_contains(err,
                     "sums: the job failed: spate_sum_name: the stream has no field 'amount'; "
                     "its fields are (value BIGINT NOT NULL)\n");
  free(err);
}

int xm_explode(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  if (spate_row_bigint(in, 0) == 42) return spate_ctx_fail(ctx, "boom at %d", 42);
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  return 0;
}

static void test_failed_job_exits_1_with_message(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_stream *s = spate_from_sequence(env, 1, 100);
  spate_discard(spate_name(spate_map(s, xm_explode, spate_stream_schema(s)), "exploder"));
  char *err;
  assert_int_equal(run_main(env, "explosive", &err), 1);
  tk_assert_contains(err, "explosive: the job failed: ");
  tk_assert_contains(err, "'exploder' (subtask 1/1): boom at 42");
  free(err);
}

static void test_no_operators_and_no_env_exit_1(void **state) {
  (void)state;
  char *err;
  assert_int_equal(run_main(new_env(), "empty", &err), 1);
  tk_assert_contains(err, "empty: the job failed: No operators defined in streaming topology");
  free(err);
  assert_int_equal(run_main(NULL, "nothing", &err), 1);
  tk_assert_contains(err, "nothing: out of memory creating the execution environment\n");
  free(err);
  /* what a spate_main does with the NULL of a failed spate_env_create */
  spate_env_set_parallelism(NULL, 2);
  spate_env_set(NULL, "parallelism.default", "2");
  assert_null(spate_env_schema(NULL, "a INT"));
  assert_null(spate_from_sequence(NULL, 1, 2));
  assert_null(spate_generate(NULL, NULL, NULL, 1));
  assert_null(spate_read_text_file(NULL, "x"));
  spate_job_result *r = spate_execute(NULL, "x");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  spate_job_result_free(r);
}

/* Functions of every kind the builders take (never called). */
int xm_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) { return 0; }
int xm_flat(spate_ctx *ctx, const spate_row *in, spate_collector *out) { return 0; }
int xm_filter(spate_ctx *ctx, const spate_row *in) { return 1; }
int xm_key(spate_ctx *ctx, const spate_row *in, spate_row_builder *key) { return 0; }
int xm_reduce(spate_ctx *ctx, const spate_row *a, const spate_row *b, spate_row_builder *o) {
  return 0;
}
int xm_part(spate_ctx *ctx, const spate_row *key, int n) { return 0; }
int xm_ts(spate_ctx *ctx, const spate_row *in, int64_t *ts) { return 0; }
int xm_join(spate_ctx *ctx, const spate_row *l, const spate_row *r, spate_row_builder *o) {
  return 0;
}
int xm_window(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *e,
              spate_collector *out) {
  return 0;
}
int xm_cogroup(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *l,
               spate_window_elements *r, spate_collector *out) {
  return 0;
}
int xm_sink(spate_ctx *ctx, const spate_row *in) { return 0; }
int xm_txn(spate_ctx *ctx, spate_txn *t) { return 0; }
int xm_txn_invoke(spate_ctx *ctx, spate_txn *t, const spate_row *in) { return 0; }
int xm_agg_create(spate_ctx *ctx, spate_row_builder *acc) { return 0; }

/* Every builder call given a NULL stream (alone, or beside a good one) returns NULL and leaves
 * the environment's first error alone; the job then fails with that error. */
static void test_every_call_accepts_null_streams(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_stream *good = spate_key_by(spate_from_sequence(env, 1, 10), 0);
  spate_stream *n = spate_key_by_name(spate_from_sequence(env, 1, 10), "nope"); /* fails */
  assert_null(n);
  const char *first =
      "spate_key_by_name: the stream has no field 'nope'; its fields are "
      "(value BIGINT NOT NULL)";
  assert_string_equal(spate_env_error(env), first);
  const spate_schema *schema = spate_stream_schema(good);
  spate_window_assigner tw = spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0);
  spate_aggregate_fns agg = {.create = xm_agg_create, .add = xm_reduce};
  struct params {
    int x;
  } params = {1};
  void *results[] = {
      spate_window(n, tw),
      spate_window_all(n, tw),
      spate_allowed_lateness(n, 5),
      spate_late_output(n, "late"),
      spate_window_trigger(n, spate_count_trigger(2)),
      spate_window_evictor(n, spate_count_evictor(2, false)),
      spate_window_reduce(n, xm_reduce),
      spate_window_arrival_order(n),
      spate_window_apply(n, xm_window, schema),
      spate_window_aggregate(n, &agg, schema, schema),
      spate_window_reduce_apply(n, xm_reduce, xm_window, schema),
      spate_window_aggregate_apply(n, &agg, schema, schema, xm_window, schema),
      spate_side_output(n, "side", schema),
      spate_map(n, xm_map, schema),
      spate_flat_map(n, xm_flat, schema),
      spate_filter(n, xm_filter),
      spate_connect(n, good),
      spate_connect(good, n),
      spate_co_process(n, xm_flat, xm_flat, NULL, schema),
      spate_interval_join(n, good, -1, 1, false, false, xm_join, schema),
      spate_interval_join(good, n, -1, 1, false, false, xm_join, schema),
      spate_window_join(n, good, tw, xm_join, schema),
      spate_window_join(good, n, tw, xm_join, schema),
      spate_window_cogroup(n, good, tw, xm_cogroup, schema),
      spate_connect_broadcast(n, good),
      spate_connect_broadcast(good, n),
      spate_process(n, xm_flat, NULL, schema),
      spate_key_by(n, 0),
      spate_key_by_fields(n, (int[]){0}, 1),
      spate_key_by_fn(n, xm_key, schema),
      spate_reduce(n, xm_reduce),
      spate_sum(n, 0),
      spate_min(n, 0),
      spate_max(n, 0),
      spate_min_by(n, 0),
      spate_max_by(n, 0),
      spate_union(n, good),
      spate_union(good, n),
      spate_forward(n),
      spate_rebalance(n),
      spate_rescale(n),
      spate_shuffle(n),
      spate_broadcast(n),
      spate_global(n),
      spate_partition_custom(n, xm_part, 0),
      spate_assign_timestamps(n, 0, SPATE_WATERMARKS_NONE, 0),
      spate_assign_timestamps_fn(n, xm_ts, SPATE_WATERMARKS_NONE, 0),
      spate_assign_watermarks_custom(n, 0, NULL, NULL, NULL),
      spate_with_idleness(n, 10),
      spate_key_by_name(n, "value"),
      spate_key_by_names(n, (const char *const[]){"value"}, 1),
      spate_sum_name(n, "value"),
      spate_min_name(n, "value"),
      spate_max_name(n, "value"),
      spate_min_by_name(n, "value"),
      spate_max_by_name(n, "value"),
      spate_assign_timestamps_name(n, "value", SPATE_WATERMARKS_NONE, 0),
      spate_assign_watermarks_custom_name(n, "value", NULL, NULL),
      spate_partition_custom_name(n, xm_part, "value"),
      spate_name(n, "x"),
      spate_uid(n, "x"),
      spate_parallelism(n, 2),
      spate_max_parallelism(n, 2),
      spate_disable_chaining(n),
      spate_start_new_chain(n),
      spate_slot_sharing_group(n, "g"),
      spate_udf_arg(n, &params, sizeof params),
      SPATE_WITH_PARAMS(n, struct params, params),
      spate_udf_lifecycle(n, NULL, NULL),
      spate_print(n, NULL),
      spate_write_text(n, "/tmp/x"),
      spate_discard(n),
      spate_collect(n, "out"),
      spate_sink(n, xm_sink),
      spate_sink_file(n, "/tmp/x", NULL),
      spate_sink_two_phase(n, xm_txn, xm_txn_invoke, xm_txn, xm_txn, xm_txn),
      (void *)spate_stream_schema(n),
  };
  for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
    if (results[i]) fail_msg("call %zu returned a stream for a NULL input", i);
  assert_string_equal(spate_env_error(env), first);
  spate_job_result *r = spate_execute(env, "null chain");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_string_equal(spate_job_result_error(r), first);
  spate_job_result_free(r);
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_finished_job_exits_0),
      cmocka_unit_test(test_build_error_exits_1_with_message),
      cmocka_unit_test(test_failed_job_exits_1_with_message),
      cmocka_unit_test(test_no_operators_and_no_env_exit_1),
      cmocka_unit_test(test_every_call_accepts_null_streams),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

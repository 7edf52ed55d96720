/*
 * test_operator_semantics.c: operator behaviour found wanting in review, each pinned by a job on
 * the MiniCluster:
 *  - rolling min/max/min_by/max_by skip NULL values the same way (a NULL running value is
 *    replaced by the first non-NULL one, for all four);
 *  - a union of a custom-partitioned stream and another stream keeps the partitioner;
 *  - user open and close functions run on the task's own thread, and close runs before the job
 *    reports its end;
 *  - print with an empty identifier prints like print without one ("2> row"), as in Flink.
 * UDFs have external linkage (the program is linked with -rdynamic) and an os_ prefix.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
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
  spate_env_set(env, "log.level", "WARN");
  return env;
}

static void assert_finished(const spate_job_result *r) {
  assert_non_null(r);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job %s: %s", spate_job_status_name(spate_job_result_status(r)),
             spate_job_result_error(r) ? spate_job_result_error(r) : "");
}

/* ---- NULLs in rolling min/max ------------------------------------------------------------------ */
typedef spate_stream *(*agg_fn)(spate_stream *, int);

static void run_agg_with_nulls(agg_fn agg, const int64_t *expect, int nexpect) {
  spate_env *env = new_env();
  const spate_schema *s = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT");
  spate_row_builder *b = spate_rb_new(s);
  spate_row rows[3];
  const int64_t vals[3] = {-1 /* NULL */, 5, 3};
  for (int i = 0; i < 3; i++) {
    spate_rb_begin(b);
    spate_rb_set_bigint(b, 0, 1);
    if (vals[i] >= 0) spate_rb_set_bigint(b, 1, vals[i]);
    spate_row r;
    assert_int_equal(spate_rb_finish(b, &r), 0);
    assert_int_equal(spate_row_copy(&r, &rows[i]), 0);
  }
  spate_stream *src = spate_from_rows(env, s, rows, 3);
  spate_collect(agg(spate_key_by(src, 0), 1), "out");
  spate_job_result *res = tk_run(env, "nulls");
  assert_finished(res);
  const spate_row *out;
  size_t n = spate_job_result_collected(res, "out", &out, NULL);
  assert_int_equal(n, (size_t)nexpect);
  for (int i = 0; i < nexpect; i++) {
    if (expect[i] < 0)
      assert_true(spate_row_is_null(&out[i], 1));
    else
      assert_int_equal(spate_row_bigint(&out[i], 1), expect[i]);
  }
  spate_job_result_free(res);
  for (int i = 0; i < 3; i++) spate_row_free(&rows[i]);
  spate_rb_free(b);
  spate_env_free(env);
}

static void test_min_max_skip_nulls(void **state) {
  (void)state;
  const int64_t min_expect[3] = {-1, 5, 3}, max_expect[3] = {-1, 5, 5};
  run_agg_with_nulls(spate_min, min_expect, 3);
  run_agg_with_nulls(spate_min_by, min_expect, 3);
  run_agg_with_nulls(spate_max, max_expect, 3);
  run_agg_with_nulls(spate_max_by, max_expect, 3);
}

/* ---- union keeps a custom partitioner ------------------------------------------------------- */
int os_to_last(spate_ctx *ctx, const spate_row *key, int n) { return n - 1; }

int os_tag(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  spate_rb_set_int(out, 1, spate_ctx_subtask(ctx));
  return 0;
}

static void test_union_keeps_custom_partitioner(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 3);
  spate_stream *a = spate_partition_custom(spate_from_sequence(env, 1, 100), os_to_last, 0);
  spate_stream *b = spate_rebalance(spate_from_sequence(env, 1001, 1030));
  const spate_schema *tagged = spate_env_schema(env, "v BIGINT NOT NULL, subtask INT NOT NULL");
  spate_collect(spate_map(spate_union(a, b), os_tag, tagged), "out");
  spate_job_result *res = tk_run(env, "union custom");
  assert_finished(res);
  const spate_row *out;
  size_t n = spate_job_result_collected(res, "out", &out, NULL);
  assert_int_equal(n, 130);
  int from_a = 0;
  for (size_t i = 0; i < n; i++)
    if (spate_row_bigint(&out[i], 0) <= 100) {
      assert_int_equal(spate_row_int(&out[i], 1), 2); /* the custom partitioner's choice */
      from_a++;
    }
  assert_int_equal(from_a, 100);
  spate_job_result_free(res);
  spate_env_free(env);
}

/* ---- open and close on the task thread ---------------------------------------------------- */
static _Atomic int closes_on_own_thread, closes_elsewhere;

int os_open(spate_ctx *ctx, void **user) {
  pthread_t *self = malloc(sizeof *self);
  if (!self) return spate_ctx_fail(ctx, "out of memory");
  *self = pthread_self();
  *user = self;
  return 0;
}

void os_close(spate_ctx *ctx, void *user) {
  pthread_t *opened_on = user;
  if (pthread_equal(*opened_on, pthread_self()))
    atomic_fetch_add(&closes_on_own_thread, 1);
  else
    atomic_fetch_add(&closes_elsewhere, 1);
  free(opened_on);
}

int os_identity(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  return 0;
}

static void test_close_on_task_thread(void **state) {
  (void)state;
  atomic_store(&closes_on_own_thread, 0);
  atomic_store(&closes_elsewhere, 0);
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  spate_stream *src = spate_from_sequence(env, 1, 1000);
  spate_stream *m = spate_map(src, os_identity, spate_stream_schema(src));
  spate_udf_lifecycle(m, os_open, os_close);
  spate_discard(m);
  spate_job_result *res = tk_run(env, "close thread");
  assert_finished(res);
  /* both closes happened before the result arrived, each on the thread that opened */
  assert_int_equal(atomic_load(&closes_on_own_thread), 2);
  assert_int_equal(atomic_load(&closes_elsewhere), 0);
  spate_job_result_free(res);
  spate_env_free(env);
}

/* ---- print with an empty identifier ----------------------------------------------------------- */
static void test_print_empty_identifier(void **state) {
  (void)state;
  char path[] = "/tmp/spate_print_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  fflush(stdout);
  int saved = dup(1);
  assert_true(dup2(fd, 1) >= 0);
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  spate_print(spate_rebalance(spate_from_sequence(env, 1, 4)), "");
  spate_job_result *res = tk_run(env, "print empty id");
  fflush(stdout);
  dup2(saved, 1);
  close(saved);
  assert_finished(res);
  spate_job_result_free(res);
  spate_env_free(env);
  char buf[256] = "";
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  close(fd);
  unlink(path);
  assert_true(n > 0);
  buf[n] = 0;
  int lines = 0;
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    lines++;
    assert_true((line[0] == '1' || line[0] == '2') && line[1] == '>' && line[2] == ' ');
  }
  assert_int_equal(lines, 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_min_max_skip_nulls),
      cmocka_unit_test(test_union_keeps_custom_partitioner),
      cmocka_unit_test(test_close_on_task_thread),
      cmocka_unit_test(test_print_empty_identifier),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

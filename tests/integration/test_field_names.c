/*
 * test_field_names.c: the _name twins of the calls that take a field index (spate_key_by_name,
 * spate_key_by_names, spate_sum_name, min, max, min_by, max_by, spate_assign_timestamps_name,
 * spate_partition_custom_name) give the same results as their index twins in jobs at
 * parallelism 2; an unknown name fails the build with a message naming the call, the name and
 * the stream's fields, and the calls after it keep that first error.
 * UDFs have external linkage (the program is linked with -rdynamic) and an fn_ prefix.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

#define SPEC "k STRING NOT NULL, ts BIGINT NOT NULL, v BIGINT, d DOUBLE, g INT NOT NULL"
#define NROWS 60

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "WARN");
  spate_env_set_parallelism(env, 2);
  return env;
}

/* NROWS rows over 3 keys and 2 groups; v NULL every 11th row; ascending ts. */
static spate_stream *source(spate_env *env) {
  const spate_schema *s = spate_env_schema(env, SPEC);
  spate_row_builder *b = spate_rb_new(s);
  spate_row rows[NROWS];
  for (int i = 0; i < NROWS; i++) {
    char k[4];
    snprintf(k, sizeof k, "k%d", i % 3);
    spate_rb_begin(b);
    spate_rb_set_string(b, 0, k, strlen(k));
    spate_rb_set_bigint(b, 1, 1000 + 10 * i);
    if (i % 11) spate_rb_set_bigint(b, 2, (i * 37) % 23 - 11);
    spate_rb_set_double(b, 3, (double)((i * 13) % 17) / 4);
    spate_rb_set_int(b, 4, i % 2);
    spate_row r;
    assert_int_equal(spate_rb_finish(b, &r), 0);
    assert_int_equal(spate_row_copy(&r, &rows[i]), 0);
  }
  spate_stream *out = spate_from_rows(env, s, rows, NROWS);
  for (int i = 0; i < NROWS; i++) spate_row_free(&rows[i]);
  spate_rb_free(b);
  return out;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The job's collected rows "out", formatted and sorted, joined by newlines (caller frees). */
static char *run_sorted(spate_env *env) {
  spate_job_result *res = tk_run(env, "by name");
  if (spate_job_result_status(res) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(res));
  const spate_row *rows;
  const spate_schema *schema;
  size_t n = spate_job_result_collected(res, "out", &rows, &schema);
  assert_true(n > 0);
  char **lines = calloc(n, sizeof *lines);
  size_t total = 1;
  for (size_t i = 0; i < n; i++) {
    char buf[256];
    spate_row_format(&rows[i], schema, buf, sizeof buf);
    lines[i] = strdup(buf);
    total += strlen(buf) + 1;
  }
  qsort(lines, n, sizeof *lines, cmp_str);
  char *all = calloc(1, total);
  for (size_t i = 0; i < n; i++) {
    strcat(all, lines[i]);
    strcat(all, "\n");
    free(lines[i]);
  }
  free(lines);
  spate_job_result_free(res);
  spate_env_free(env);
  return all;
}

typedef spate_stream *(*by_index)(spate_stream *, int);
typedef spate_stream *(*by_name)(spate_stream *, const char *);

static void same_aggregation(by_index fi, by_name fn, int field, const char *name) {
  spate_env *a = new_env();
  spate_collect(fi(spate_key_by(source(a), 0), field), "out");
  char *want = run_sorted(a);
  spate_env *b = new_env();
  spate_collect(fn(spate_key_by_name(source(b), "k"), name), "out");
  char *got = run_sorted(b);
  assert_string_equal(got, want);
  free(want);
  free(got);
}

static void test_aggregations_by_name(void **state) {
  (void)state;
  same_aggregation(spate_sum, spate_sum_name, 2, "v");
  same_aggregation(spate_sum, spate_sum_name, 3, "d");
  same_aggregation(spate_min, spate_min_name, 2, "v");
  same_aggregation(spate_max, spate_max_name, 3, "d");
  same_aggregation(spate_min_by, spate_min_by_name, 2, "v");
  same_aggregation(spate_max_by, spate_max_by_name, 3, "d");
}

static void test_key_by_names(void **state) {
  (void)state;
  spate_env *a = new_env();
  const int fields[2] = {0, 4};
  spate_collect(spate_sum(spate_key_by_fields(source(a), fields, 2), 2), "out");
  char *want = run_sorted(a);
  spate_env *b = new_env();
  const char *const names[2] = {"k", "g"};
  spate_collect(spate_sum_name(spate_key_by_names(source(b), names, 2), "v"), "out");
  char *got = run_sorted(b);
  assert_string_equal(got, want);
  free(want);
  free(got);
}

/* (ts, timestamp the operator sees) */
int fn_event_time(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 1));
  spate_rb_set_bigint(out, 1, spate_ctx_timestamp(ctx));
  return 0;
}

static void test_timestamps_by_name(void **state) {
  (void)state;
  char *runs[2];
  for (int by = 0; by < 2; by++) {
    spate_env *env = new_env();
    const spate_schema *out = spate_env_schema(env, "ts BIGINT, seen BIGINT");
    spate_stream *s =
        by ? spate_assign_timestamps_name(source(env), "ts", SPATE_WATERMARKS_BOUNDED, 5)
           : spate_assign_timestamps(source(env), 1, SPATE_WATERMARKS_BOUNDED, 5);
    spate_collect(spate_map(s, fn_event_time, out), "out");
    runs[by] = run_sorted(env);
  }
  assert_string_equal(runs[1], runs[0]);
  assert_non_null(strstr(runs[0], "(1590,1590)")); /* the timestamps are the field's */
  free(runs[0]);
  free(runs[1]);
}

int fn_by_group(spate_ctx *ctx, const spate_row *key, int n) { return spate_row_int(key, 0) % n; }

int fn_tag_subtask(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_int(out, 0, spate_row_int(in, 4));
  spate_rb_set_int(out, 1, spate_ctx_subtask(ctx));
  return 0;
}

static void test_partition_custom_by_name(void **state) {
  (void)state;
  char *runs[2];
  for (int by = 0; by < 2; by++) {
    spate_env *env = new_env();
    const spate_schema *out = spate_env_schema(env, "g INT, subtask INT");
    spate_stream *s = by ? spate_partition_custom_name(source(env), fn_by_group, "g")
                         : spate_partition_custom(source(env), fn_by_group, 4);
    spate_collect(spate_map(s, fn_tag_subtask, out), "out");
    runs[by] = run_sorted(env);
  }
  assert_string_equal(runs[1], runs[0]);
  assert_null(strstr(runs[0], "(0,1)")); /* group 0 on subtask 0, group 1 on subtask 1 */
  assert_null(strstr(runs[0], "(1,0)"));
  free(runs[0]);
  free(runs[1]);
}

static void test_unknown_name_fails_naming_fields(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_stream *other = source(env);
  spate_stream *keyed = spate_key_by_name(source(env), "k");
  assert_non_null(keyed);
  spate_stream *s = spate_sum_name(keyed, "value");
  assert_null(s);
  const char *want =
      "spate_sum_name: the stream has no field 'value'; its fields are (k STRING "
      "NOT NULL, ts BIGINT NOT NULL, v BIGINT, d DOUBLE, g INT NOT NULL)";
  assert_string_equal(spate_env_error(env), want);
  /* later calls take the NULL stream and keep the first error */
  assert_null(spate_print(spate_max_name(s, "nope"), NULL));
  assert_null(spate_key_by_name(other, "nope"));
  assert_null(spate_from_sequence(env, 1, 2));
  assert_string_equal(spate_env_error(env), want);
  spate_job_result *res = spate_execute(env, "unknown field");
  assert_int_equal(spate_job_result_status(res), SPATE_JOB_FAILED);
  assert_string_equal(spate_job_result_error(res), want);
  spate_job_result_free(res);
  spate_env_free(env);

  env = new_env();
  assert_null(spate_assign_timestamps_name(source(env), "time", SPATE_WATERMARKS_NONE, 0));
  assert_non_null(strstr(spate_env_error(env),
                         "spate_assign_timestamps_name: the stream has no "
                         "field 'time'"));
  spate_env_free(env);
  env = new_env();
  const char *const names[2] = {"k", "G"}; /* names are case-sensitive */
  assert_null(spate_key_by_names(source(env), names, 2));
  assert_non_null(strstr(spate_env_error(env), "spate_key_by_name: the stream has no field 'G'"));
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aggregations_by_name),
      cmocka_unit_test(test_key_by_names),
      cmocka_unit_test(test_timestamps_by_name),
      cmocka_unit_test(test_partition_custom_by_name),
      cmocka_unit_test(test_unknown_name_fails_naming_fields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

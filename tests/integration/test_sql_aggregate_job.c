/*
 * test_sql_aggregate_job.c: SQL's aggregation operators as whole jobs on the MiniCluster, at
 * parallelism 2 behind a HASH edge on their key (the graph travels encoded, the TaskExecutor
 * finds the operators through the registry, records arrive with their producer's key group):
 *  - OP_SQL_GROUP_AGG on Flink's "Dynamic Tables" clicks example: SELECT user, COUNT(url) ...
 *    GROUP BY user, its changelog compared as a sorted set (the order across keys depends on the
 *    subtasks, within a key it is the harness test's);
 *  - OP_SQL_WINDOW_AGG: TUMBLE over Flink's Bid table per supplier, watermarks bidtime - 1 s
 *    from the timestamps operator, the end of input firing the last windows (the page's GROUPING
 *    SETS example, its supplier rows).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/testkit.h"
#include "unit/harness.h"
#include "unit/sql_agg_harness.h"

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the environment's job, then returns the collected rows of "out", formatted like
 * sql_agg_changelog's entries, sorted and joined with "; " (caller frees). */
static char *run_sorted(spate_env *env, const spate_schema *out) {
  if (spate_env_error(env)) fail_msg("build: %s", spate_env_error(env));
  spate_job_result *r = tk_run(env, "sql aggregate");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job %s: %s", spate_job_status_name(spate_job_result_status(r)),
             spate_job_result_error(r) ? spate_job_result_error(r) : "");
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  bool kinds = strcmp(out->fields[out->nfields - 1].name, ROW_KIND_FIELD_NAME) == 0;
  int nf = kinds ? out->nfields - 1 : out->nfields;
  char **v = calloc(n + 1, sizeof *v);
  for (size_t i = 0; i < n; i++) {
    sp_strbuf sb = {0};
    if (kinds) sp_strbuf_add(&sb, row_kind_short(spate_row_tinyint(&rows[i], out->nfields - 1)));
    sp_strbuf_add(&sb, "[");
    for (int f = 0; f < nf; f++) {
      if (f) sp_strbuf_add(&sb, ", ");
      row_format_field(&sb, &rows[i], f, out);
    }
    sp_strbuf_add(&sb, "]");
    v[i] = sb.data;
  }
  qsort(v, n, sizeof *v, cmp_str);
  sp_strbuf all = {0};
  sp_strbuf_add(&all, "");
  for (size_t i = 0; i < n; i++) {
    if (i) sp_strbuf_add(&all, "; ");
    sp_strbuf_add(&all, v[i]);
    sp_free(v[i]);
  }
  free(v);
  spate_job_result_free(r);
  return all.data;
}

static void test_group_agg_job(void **state) {
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 2);
  const spate_schema *in = spate_env_schema(env, "user STRING NOT NULL, url STRING");
  const spate_schema *out = spate_env_schema(
      env, "user STRING NOT NULL, cnt BIGINT NOT NULL, `$row_kind` TINYINT NOT NULL");
  const char *clicks[][2] = {{"Mary", "./home"},
                             {"Bob", "./cart"},
                             {"Mary", "./prod?id=1"},
                             {"Liz", "./home"},
                             {"Bob", "./prod?id=3"}};
  spate_row rows[5];
  spate_row_builder *b = spate_rb_new(in);
  for (int i = 0; i < 5; i++) {
    spate_rb_begin(b);
    spate_rb_set_string(b, 0, clicks[i][0], strlen(clicks[i][0]));
    spate_rb_set_string(b, 1, clicks[i][1], strlen(clicks[i][1]));
    spate_row r;
    assert_int_equal(spate_rb_finish(b, &r), 0);
    assert_int_equal(spate_row_copy(&r, &rows[i]), 0);
  }
  spate_rb_free(b);
  op_sql_group_agg_params p = {.group_fields = SQL_LIST(0),
                               .agg_kinds = SQL_LIST(SQL_AGG_COUNT),
                               .agg_args = SQL_LIST(1),
                               .agg_distinct = SQL_LIST(0),
                               .agg_filters = SQL_LIST(-1),
                               .update_before = true};
  spate_stream *src = spate_from_rows(env, in, rows, 5);
  spate_collect(sql_agg_node(spate_key_by(src, 0), OP_SQL_GROUP_AGG, &p, out), "out");
  char *got = run_sorted(env, out);
  assert_string_equal(got,
                      "+I[Bob, 1]; +I[Liz, 1]; +I[Mary, 1]; +U[Bob, 2]; +U[Mary, 2]; "
                      "-U[Bob, 1]; -U[Mary, 1]");
  sp_free(got);
  for (int i = 0; i < 5; i++) spate_row_free(&rows[i]);
  spate_env_free(env);
}

static void test_window_agg_job(void **state) {
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 2);
  const spate_schema *in = spate_env_schema(
      env, "bidtime TIMESTAMP(3) NOT NULL, price DECIMAL(10, 2), item STRING, supplier_id STRING");
  const spate_schema *out = spate_env_schema(
      env,
      "supplier_id STRING, window_start TIMESTAMP(3) NOT NULL, window_end TIMESTAMP(3) NOT "
      "NULL, total_price DECIMAL(38, 2)");
  const struct {
    int minute;
    int64_t cents;
    const char *item, *supplier;
  } bids[] = {{5, 400, "C", "supplier1"},  {7, 200, "A", "supplier1"},
              {9, 500, "D", "supplier2"},  {11, 300, "B", "supplier2"},
              {13, 100, "E", "supplier1"}, {17, 600, "F", "supplier2"}};
  spate_row rows[6];
  spate_row_builder *b = spate_rb_new(in);
  for (int i = 0; i < 6; i++) {
    spate_rb_begin(b);
    spate_rb_set_timestamp(b, 0, 1586937600000LL + bids[i].minute * 60000LL);
    spate_rb_set_decimal(b, 1, bids[i].cents);
    spate_rb_set_string(b, 2, bids[i].item, 1);
    spate_rb_set_string(b, 3, bids[i].supplier, strlen(bids[i].supplier));
    spate_row r;
    assert_int_equal(spate_rb_finish(b, &r), 0);
    assert_int_equal(spate_row_copy(&r, &rows[i]), 0);
  }
  spate_rb_free(b);
  op_sql_window_agg_params p = {.window = SQL_WINDOW_TUMBLE,
                                .size = 10 * 60000LL,
                                .time_field = 0,
                                .group_fields = SQL_LIST(3),
                                .agg_kinds = SQL_LIST(SQL_AGG_SUM),
                                .agg_args = SQL_LIST(1),
                                .agg_distinct = SQL_LIST(0),
                                .agg_filters = SQL_LIST(-1),
                                .emit_start = true,
                                .emit_end = true};
  spate_stream *src = spate_from_rows(env, in, rows, 6);
  spate_stream *ts = spate_assign_timestamps(src, 0, SPATE_WATERMARKS_BOUNDED, 1000);
  spate_collect(sql_agg_node(spate_key_by(ts, 3), OP_SQL_WINDOW_AGG, &p, out), "out");
  char *got = run_sorted(env, out);
  assert_string_equal(got,
                      "[supplier1, 2020-04-15T08:00, 2020-04-15T08:10, 6.00]; "
                      "[supplier1, 2020-04-15T08:10, 2020-04-15T08:20, 1.00]; "
                      "[supplier2, 2020-04-15T08:00, 2020-04-15T08:10, 5.00]; "
                      "[supplier2, 2020-04-15T08:10, 2020-04-15T08:20, 9.00]");
  sp_free(got);
  for (int i = 0; i < 6; i++) spate_row_free(&rows[i]);
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_group_agg_job),
      cmocka_unit_test(test_window_agg_job),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

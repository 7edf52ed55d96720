/*
 * test_window_all.c: windows over whole streams and global windows on the MiniCluster:
 *  - spate_window_all (Flink's windowAll): records of every key, coming from a map at
 *    parallelism 3, meet in one window per time range (one operator of parallelism 1), with
 *    reduce and with a window function;
 *  - keyed global windows with a count trigger at parallelism 2: every third element of a key
 *    fires its window (purging or not), a partial window never fires;
 *  - build errors: spate_window_all on a windowed stream.
 * Events come from a table at parallelism 1 with per-event watermarks taken from the table, so
 * firings are exact; results are compared as sorted sets of strings "k:sum@ts". UDFs have
 * external linkage (the program is linked with -rdynamic) and a wa_ prefix.
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

#include "spate/spate.h"
#include "support/testkit.h"

#define NOWM INT64_MIN

typedef struct wa_event {
  int64_t k, ts, v, wm; /* wm: the watermark emitted after this event (NOWM: none) */
} wa_event;

/* keys 1..3; windows [0,10) holds 1+2+4+8, [10,20) 16+32+64 */
static const wa_event events[] = {
    {1, 1, 1, NOWM},    {2, 2, 2, NOWM},    {3, 5, 4, NOWM},   {1, 9, 8, 9},
    {2, 10, 16, NOWM},  {3, 12, 32, NOWM},  {1, 15, 64, NOWM}, {2, 16, 128, NOWM},
    {1, 17, 256, NOWM}, {1, 18, 512, NOWM},
};
#define NEV (sizeof events / sizeof events[0])

int wa_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  const wa_event *e = &events[i];
  spate_rb_set_bigint(out, 0, e->k);
  spate_rb_set_bigint(out, 1, e->ts);
  spate_rb_set_bigint(out, 2, e->v);
  spate_rb_set_bigint(out, 3, e->wm);
  return 0;
}

int64_t wa_wm(spate_ctx *ctx, const spate_row *in, int64_t ts) { return spate_row_bigint(in, 3); }

int wa_id(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  for (int i = 0; i < 4; i++) spate_rb_set_field(out, i, in, i);
  return 0;
}

int wa_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  for (int i = 0; i < 4; i++) spate_rb_set_field(out, i, acc, i);
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + spate_row_bigint(in, 2));
  return 0;
}

/* (number of elements, window start, sum of v, 0) */
int wa_apply(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *el,
             spate_collector *out) {
  spate_row r;
  int64_t n = 0, sum = 0;
  while (spate_window_next(el, &r)) {
    n++;
    sum += spate_row_bigint(&r, 2);
  }
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, n);
  spate_rb_set_bigint(b, 1, w->start);
  spate_rb_set_bigint(b, 2, sum);
  spate_rb_set_bigint(b, 3, 0);
  return spate_collect_emit(out);
}

int wa_fmt(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  char s[128];
  int n = snprintf(s, sizeof s, "%lld:%lld@%lld", (long long)spate_row_bigint(in, 0),
                   (long long)spate_row_bigint(in, 2), (long long)spate_ctx_timestamp(ctx));
  spate_rb_set_string(out, 0, s, (size_t)n);
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void expect(const spate_job_result *r, const char *want) {
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  char **v = calloc(n + 1, sizeof *v);
  char got[4096] = "";
  for (size_t i = 0; i < n; i++) {
    spate_bytes b = spate_row_string(&rows[i], 0);
    v[i] = strndup(b.ptr, b.len);
  }
  qsort(v, n, sizeof *v, cmp_str);
  for (size_t i = 0; i < n; i++) {
    if (i) strcat(got, " ");
    strncat(got, v[i], sizeof got - strlen(got) - 1);
    free(v[i]);
  }
  free(v);
  if (strcmp(got, want) != 0) fail_msg("got  '%s'\nwant '%s'", got, want);
}

static const char *IN =
    "k BIGINT NOT NULL, ts BIGINT NOT NULL, v BIGINT NOT NULL, wm BIGINT NOT NULL";

/* events -> watermarks (parallelism 1) -> with `spread`, a map at parallelism 3 */
static spate_stream *input(spate_env *env, bool spread) {
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 3);
  const spate_schema *in = spate_env_schema(env, IN);
  spate_stream *src = spate_parallelism(spate_generate(env, in, wa_gen, (int64_t)NEV), 1);
  spate_stream *ts =
      spate_parallelism(spate_assign_watermarks_custom(src, 1, NULL, wa_wm, NULL), 1);
  return spread ? spate_map(spate_rebalance(ts), wa_id, in) : ts;
}

static void run_and_expect(spate_env *env, spate_stream *res, const char *want) {
  spate_collect(spate_map(res, wa_fmt, spate_env_schema(env, "s STRING NOT NULL")), "out");
  if (spate_env_error(env)) fail_msg("build: %s", spate_env_error(env));
  spate_job_result *r = tk_run(env, "window all");
  assert_non_null(r);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job: %s", spate_job_result_error(r) ? spate_job_result_error(r) : "?");
  expect(r, want);
  spate_job_result_free(r);
}

/* The key field with 0 (which key a window's sum keeps depends on arrival order). */
int wa_unkey(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  for (int i = 1; i < 4; i++) spate_rb_set_field(out, i, in, i);
  spate_rb_set_bigint(out, 0, 0);
  return 0;
}

static void test_window_all(void **state) {
  /* reduce: one sum per window over all keys (a parallel window would give partial sums) */
  spate_env *env = spate_env_create();
  spate_stream *w =
      spate_window_all(input(env, true), spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0));
  spate_stream *res =
      spate_map(spate_window_reduce(w, wa_sum), wa_unkey, spate_env_schema(env, IN));
  run_and_expect(env, res, "0:1008@19 0:15@9");
  spate_env_free(env);
  /* window function: (number of elements, sum) */
  env = spate_env_create();
  w = spate_window_all(input(env, true), spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0));
  run_and_expect(env, spate_window_apply(w, wa_apply, spate_env_schema(env, IN)),
                 "4:15@9 6:1008@19");
  spate_env_free(env);
  /* global window, count trigger 4 over all keys: 1+2+4+8, 16+32+64+128; 256, 512 pending */
  env = spate_env_create();
  w = spate_window_all(input(env, false), spate_global_windows());
  w = spate_window_trigger(w, spate_purging(spate_count_trigger(4)));
  res = spate_map(spate_window_reduce(w, wa_sum), wa_unkey, spate_env_schema(env, IN));
  run_and_expect(env, res, "0:15@9223372036854775807 0:240@9223372036854775807");
  spate_env_free(env);
}

/* Keyed global windows, count trigger 3, at parallelism 2. */
static void count_global(bool purging, const char *want) {
  spate_env *env = spate_env_create();
  spate_stream *in = input(env, false); /* keeps each key's order */
  spate_stream *w = spate_window(spate_key_by(in, 0), spate_global_windows());
  spate_trigger t = spate_count_trigger(3);
  t.purging = purging;
  w = spate_window_trigger(w, t);
  run_and_expect(env, spate_parallelism(spate_window_reduce(w, wa_sum), 2), want);
  spate_env_free(env);
}

static void test_global_count_trigger(void **state) {
  /* key 1: 1, 8, 64 | 256, 512 (partial: never fires); key 2: 2, 16, 128; key 3: two only */
  count_global(false, "1:73@9223372036854775807 2:146@9223372036854775807");
  count_global(true, "1:73@9223372036854775807 2:146@9223372036854775807");
}

static void test_window_all_errors(void **state) {
  spate_env *env = spate_env_create();
  spate_stream *in = input(env, false);
  spate_stream *w = spate_window(spate_key_by(in, 0), spate_global_windows());
  assert_null(spate_window_all(w, spate_global_windows()));
  assert_non_null(strstr(spate_env_error(env), "spate_window_all"));
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_window_all),
      cmocka_unit_test(test_global_count_trigger),
      cmocka_unit_test(test_window_all_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_window_join.c: window joins against a brute-force join made here: every (left, right)
 * pair of one key inside a common tumbling or sliding event-time window comes out exactly once
 * per such window, stamped with the window's max timestamp (window bounds are recovered from
 * it). coGroup hands each (window, key) both sides' elements. Unsupported assigners are
 * rejected at build time.
 * UDFs have external linkage and a wj_ prefix.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

#define NL 120
#define NR 90
#define KEYS 3

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "OFF");
  return env;
}

static int64_t lts(int64_t i) { return 2 * i - 40; } /* negative timestamps too */
static int64_t rts(int64_t i) { return 3 * i - 41; }

int wj_gen_l(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i % KEYS);
  spate_rb_set_bigint(out, 1, lts(i));
  return 0;
}
int wj_gen_r(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, (i + 1) % KEYS);
  spate_rb_set_bigint(out, 1, rts(i));
  return 0;
}
int64_t wj_wm(spate_ctx *ctx, const spate_row *in, int64_t ts) { return ts - 1000; }

int wj_join(spate_ctx *ctx, const spate_row *l, const spate_row *r, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(l, 1));
  spate_rb_set_bigint(out, 1, spate_row_bigint(r, 1));
  spate_rb_set_bigint(out, 2, spate_row_bigint(l, 0));
  return 0;
}

/* adds the output timestamp (the window's max timestamp) as a field */
int wj_stamp(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  for (int i = 0; i < 3; i++) spate_rb_set_field(out, i, in, i);
  spate_rb_set_bigint(out, 3, spate_ctx_timestamp(ctx));
  return 0;
}

static int64_t floor_mod(int64_t x, int64_t m) { return ((x % m) + m) % m; }

static void run(int64_t size, int64_t slide, int parallelism) {
  spate_env *env = new_env();
  spate_env_set_parallelism(env, parallelism);
  const spate_schema *s = spate_env_schema(env, "key BIGINT NOT NULL, ts BIGINT NOT NULL");
  const spate_schema *j =
      spate_env_schema(env, "l BIGINT NOT NULL, r BIGINT NOT NULL, key BIGINT NOT NULL");
  const spate_schema *o = spate_env_schema(
      env, "l BIGINT NOT NULL, r BIGINT NOT NULL, key BIGINT NOT NULL, wmax BIGINT NOT NULL");
  spate_stream *l = spate_parallelism(spate_generate(env, s, wj_gen_l, NL), 1);
  l = spate_parallelism(spate_assign_watermarks_custom(l, 1, NULL, wj_wm, NULL), 1);
  spate_stream *r = spate_parallelism(spate_generate(env, s, wj_gen_r, NR), 1);
  r = spate_parallelism(spate_assign_watermarks_custom(r, 1, NULL, wj_wm, NULL), 1);
  spate_window_assigner a = slide == size ? spate_tumbling_windows(SPATE_EVENT_TIME, size, 0)
                                          : spate_sliding_windows(SPATE_EVENT_TIME, size, slide, 0);
  spate_stream *joined = spate_window_join(spate_key_by(l, 0), spate_key_by(r, 0), a, wj_join, j);
  spate_collect(spate_map(joined, wj_stamp, o), "pairs");
  spate_job_result *res = tk_run(env, "window join");
  if (spate_job_result_status(res) != SPATE_JOB_FINISHED)
    fail_msg("%s", spate_job_result_error(res));
  const spate_row *rows;
  size_t n = spate_job_result_collected(res, "pairs", &rows, NULL);
  /* brute force: count, per (left, right, window start) triple, the pairs expected */
  size_t expected = 0;
  for (int64_t a1 = 0; a1 < NL; a1++)
    for (int64_t b1 = 0; b1 < NR; b1++) {
      if (a1 % KEYS != (b1 + 1) % KEYS) continue;
      int64_t t1 = lts(a1), t2 = rts(b1);
      for (int64_t st = t1 - floor_mod(t1, slide); st > t1 - size; st -= slide)
        if (t2 >= st && t2 < st + size) expected++;
    }
  assert_true(expected > 20);
  assert_int_equal(n, expected);
  for (size_t i = 0; i < n; i++) {
    int64_t t1 = spate_row_bigint(&rows[i], 0), t2 = spate_row_bigint(&rows[i], 1);
    int64_t wmax = spate_row_bigint(&rows[i], 3), start = wmax + 1 - size;
    assert_int_equal(floor_mod(start, slide), 0);                        /* a real window */
    assert_true(t1 >= start && t1 <= wmax && t2 >= start && t2 <= wmax); /* both inside */
    assert_int_equal(floor_mod(t1 + 40, 2), 0);
    assert_int_equal(floor_mod(t2 + 41, 3), 0);
    assert_int_equal((((t1 + 40) / 2) % KEYS), spate_row_bigint(&rows[i], 2));
    assert_int_equal((((t2 + 41) / 3) + 1) % KEYS, spate_row_bigint(&rows[i], 2)); /* same key */
  }
  spate_job_result_free(res);
  spate_env_free(env);
}

static void test_tumbling(void **state) { run(10, 10, 1); }
static void test_sliding_parallel(void **state) { run(12, 4, 2); }

/* coGroup: (key, window start, #left, #right) for every window and key with elements */
int wj_cogroup(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *l,
               spate_window_elements *r, spate_collector *out) {
  spate_row row;
  int64_t nl = 0, nr = 0, key = -1;
  while (spate_window_next(l, &row)) {
    nl++;
    key = spate_row_bigint(&row, 0);
  }
  while (spate_window_next(r, &row)) {
    nr++;
    key = spate_row_bigint(&row, 0);
  }
  if (spate_ctx_timestamp(ctx) != w->end - 1) return spate_ctx_fail(ctx, "timestamp");
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, key);
  spate_rb_set_bigint(b, 1, w->start);
  spate_rb_set_bigint(b, 2, nl);
  spate_rb_set_bigint(b, 3, nr);
  return spate_collect_emit(out);
}

static void test_cogroup(void **state) {
  const int64_t size = 10;
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  const spate_schema *s = spate_env_schema(env, "key BIGINT NOT NULL, ts BIGINT NOT NULL");
  const spate_schema *o = spate_env_schema(
      env, "key BIGINT NOT NULL, start BIGINT NOT NULL, nl BIGINT NOT NULL, nr BIGINT NOT NULL");
  spate_stream *l = spate_parallelism(spate_generate(env, s, wj_gen_l, NL), 1);
  l = spate_parallelism(spate_assign_watermarks_custom(l, 1, NULL, wj_wm, NULL), 1);
  spate_stream *r = spate_parallelism(spate_generate(env, s, wj_gen_r, NR), 1);
  r = spate_parallelism(spate_assign_watermarks_custom(r, 1, NULL, wj_wm, NULL), 1);
  spate_collect(
      spate_window_cogroup(spate_key_by(l, 0), spate_key_by(r, 0),
                           spate_tumbling_windows(SPATE_EVENT_TIME, size, 0), wj_cogroup, o),
      "groups");
  spate_job_result *res = tk_run(env, "window cogroup");
  if (spate_job_result_status(res) != SPATE_JOB_FINISHED)
    fail_msg("%s", spate_job_result_error(res));
  const spate_row *rows;
  size_t n = spate_job_result_collected(res, "groups", &rows, NULL);
  /* brute force over windows [-50, 300) of size 10 and keys */
  int64_t cl[40][KEYS] = {{0}}, cr[40][KEYS] = {{0}};
  for (int64_t a = 0; a < NL; a++) cl[(lts(a) + 50) / size][a % KEYS]++;
  for (int64_t b = 0; b < NR; b++) cr[(rts(b) + 50) / size][(b + 1) % KEYS]++;
  size_t expected = 0;
  for (int wi = 0; wi < 40; wi++)
    for (int k = 0; k < KEYS; k++) expected += cl[wi][k] + cr[wi][k] > 0;
  assert_int_equal(n, expected);
  for (size_t i = 0; i < n; i++) {
    int64_t k = spate_row_bigint(&rows[i], 0), st = spate_row_bigint(&rows[i], 1);
    int wi = (int)((st + 50) / size);
    assert_int_equal(floor_mod(st, size), 0);
    assert_int_equal(spate_row_bigint(&rows[i], 2), cl[wi][k]);
    assert_int_equal(spate_row_bigint(&rows[i], 3), cr[wi][k]);
    cl[wi][k] = cr[wi][k] = -1; /* each (window, key) once */
  }
  spate_job_result_free(res);
  spate_env_free(env);
}

/* Session windows: per key, all elements of both sides sorted by time form sessions where
 * consecutive timestamps are at most `gap` apart (windows [ts, ts + gap) that touch merge);
 * the join emits |left| x |right| pairs per session. */
static void run_sessions(int64_t gap, int parallelism) {
  spate_env *env = new_env();
  spate_env_set_parallelism(env, parallelism);
  const spate_schema *s = spate_env_schema(env, "key BIGINT NOT NULL, ts BIGINT NOT NULL");
  const spate_schema *j =
      spate_env_schema(env, "l BIGINT NOT NULL, r BIGINT NOT NULL, key BIGINT NOT NULL");
  const spate_schema *o = spate_env_schema(
      env, "l BIGINT NOT NULL, r BIGINT NOT NULL, key BIGINT NOT NULL, wmax BIGINT NOT NULL");
  spate_stream *l = spate_parallelism(spate_generate(env, s, wj_gen_l, NL), 1);
  l = spate_parallelism(spate_assign_watermarks_custom(l, 1, NULL, wj_wm, NULL), 1);
  spate_stream *r = spate_parallelism(spate_generate(env, s, wj_gen_r, NR), 1);
  r = spate_parallelism(spate_assign_watermarks_custom(r, 1, NULL, wj_wm, NULL), 1);
  spate_stream *joined =
      spate_window_join(spate_key_by(l, 0), spate_key_by(r, 0),
                        spate_session_windows(SPATE_EVENT_TIME, gap), wj_join, j);
  spate_collect(spate_map(joined, wj_stamp, o), "pairs");
  spate_job_result *res = tk_run(env, "session join");
  if (spate_job_result_status(res) != SPATE_JOB_FINISHED)
    fail_msg("%s", spate_job_result_error(res));
  const spate_row *rows;
  size_t n = spate_job_result_collected(res, "pairs", &rows, NULL);
  /* brute force: for each pair of one key, the session end (max ts + gap) of the session holding
   * both, or none */
  size_t expected = 0;
  for (int k = 0; k < KEYS; k++) {
    int64_t ts[NL + NR];
    int m = 0;
    for (int64_t a = 0; a < NL; a++)
      if (a % KEYS == k) ts[m++] = lts(a);
    for (int64_t b = 0; b < NR; b++)
      if ((b + 1) % KEYS == k) ts[m++] = rts(b);
    for (int i = 1; i < m; i++) /* insertion sort: small */
      for (int q = i; q > 0 && ts[q - 1] > ts[q]; q--) {
        int64_t t = ts[q];
        ts[q] = ts[q - 1];
        ts[q - 1] = t;
      }
    for (int i = 0; i < m;) { /* one session: count its left and right elements */
      int q = i;
      while (q + 1 < m && ts[q + 1] - ts[q] <= gap) q++;
      int64_t nl = 0, nr = 0;
      for (int64_t a = 0; a < NL; a++)
        if (a % KEYS == k && lts(a) >= ts[i] && lts(a) <= ts[q]) nl++;
      for (int64_t b = 0; b < NR; b++)
        if ((b + 1) % KEYS == k && rts(b) >= ts[i] && rts(b) <= ts[q]) nr++;
      expected += (size_t)(nl * nr);
      for (size_t x = 0; x < n; x++) /* every emitted pair of this session ends it right */
        if (spate_row_bigint(&rows[x], 2) == k && spate_row_bigint(&rows[x], 0) >= ts[i] &&
            spate_row_bigint(&rows[x], 0) <= ts[q])
          assert_int_equal(spate_row_bigint(&rows[x], 3), ts[q] + gap - 1);
      i = q + 1;
    }
  }
  assert_true(expected > 10);
  assert_int_equal(n, expected);
  spate_job_result_free(res);
  spate_env_free(env);
}

static void test_sessions(void **state) {
  run_sessions(4, 1);
  run_sessions(10, 2);
}

static void test_unsupported(void **state) {
  spate_env *env = new_env();
  spate_stream *a = spate_key_by(spate_from_sequence(env, 1, 3), 0);
  spate_stream *b = spate_key_by(spate_from_sequence(env, 1, 3), 0);
  spate_window_join(a, b, spate_count_windows(5, 0), wj_join, spate_stream_schema(a));
  assert_non_null(strstr(spate_env_error(env), "only tumbling, sliding and"));
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tumbling),    cmocka_unit_test(test_sliding_parallel),
      cmocka_unit_test(test_cogroup),     cmocka_unit_test(test_sessions),
      cmocka_unit_test(test_unsupported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

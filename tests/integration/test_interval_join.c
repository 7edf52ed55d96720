/*
 * test_interval_join.c: interval joins against a brute-force join computed here. Two keyed
 * streams with ascending timestamps, several elements of a key sharing each (per-event
 * watermarks lagging by a second, so nothing is late) are joined with bounds [lower, upper] (inclusive, or exclusive on request); every pair
 * of one key with lower <= r.ts - l.ts <= upper must come out exactly once, stamped with the
 * larger timestamp. Bounds with lower > upper are rejected when the job is built.
 * UDFs have external linkage and an ij_ prefix.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

#define NL 300
#define NR 200
#define KEYS 4

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "OFF");
  return env;
}

/* Eight elements in a row share a timestamp, two of each key: a key's elements of one time are
 * buffered and cleaned up together. */
static int64_t left_ts(int64_t i) { return 3 * (i / 8); }      /* 0 x8, 3 x8, 6 x8, ... */
static int64_t right_ts(int64_t i) { return 5 * (i / 8) + 1; } /* 1 x8, 6 x8, 11 x8, ... */

int ij_left(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i % KEYS);
  spate_rb_set_bigint(out, 1, left_ts(i));
  spate_rb_set_bigint(out, 2, i);
  return 0;
}
int ij_right(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, (i * 3) % KEYS);
  spate_rb_set_bigint(out, 1, right_ts(i));
  spate_rb_set_bigint(out, 2, i);
  return 0;
}
int64_t ij_wm(spate_ctx *ctx, const spate_row *in, int64_t ts) { return ts - 1000; }

int ij_join(spate_ctx *ctx, const spate_row *l, const spate_row *r, spate_row_builder *out) {
  if (spate_row_bigint(l, 0) != spate_row_bigint(r, 0)) return spate_ctx_fail(ctx, "keys differ");
  spate_rb_set_bigint(out, 0, spate_row_bigint(l, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(l, 2)); /* the elements' numbers */
  spate_rb_set_bigint(out, 2, spate_row_bigint(r, 2));
  return 0;
}

static _Atomic int wrong_ts;
int ij_check_ts(spate_ctx *ctx, const spate_row *in) {
  int64_t l = left_ts(spate_row_bigint(in, 1)), r = right_ts(spate_row_bigint(in, 2));
  if (spate_ctx_timestamp(ctx) != (l > r ? l : r)) atomic_fetch_add(&wrong_ts, 1);
  return 1;
}

static void run(int64_t lower, int64_t upper, bool lo_ex, bool hi_ex, int parallelism) {
  atomic_store(&wrong_ts, 0);
  spate_env *env = new_env();
  spate_env_set_parallelism(env, parallelism);
  const spate_schema *s =
      spate_env_schema(env, "key BIGINT NOT NULL, ts BIGINT NOT NULL, i BIGINT NOT NULL");
  const spate_schema *out =
      spate_env_schema(env, "key BIGINT NOT NULL, l BIGINT NOT NULL, r BIGINT NOT NULL");
  spate_stream *l = spate_parallelism(spate_generate(env, s, ij_left, NL), 1);
  l = spate_parallelism(spate_assign_watermarks_custom(l, 1, NULL, ij_wm, NULL), 1);
  spate_stream *r = spate_parallelism(spate_generate(env, s, ij_right, NR), 1);
  r = spate_parallelism(spate_assign_watermarks_custom(r, 1, NULL, ij_wm, NULL), 1);
  spate_stream *j = spate_interval_join(spate_key_by(l, 0), spate_key_by(r, 0), lower, upper, lo_ex,
                                        hi_ex, ij_join, out);
  spate_collect(spate_filter(j, ij_check_ts), "pairs");
  spate_job_result *res = tk_run(env, "interval join");
  if (spate_job_result_status(res) != SPATE_JOB_FINISHED)
    fail_msg("%s", spate_job_result_error(res));
  const spate_row *rows;
  size_t n = spate_job_result_collected(res, "pairs", &rows, NULL);
  /* brute force */
  int64_t lo = lo_ex ? lower + 1 : lower, hi = hi_ex ? upper - 1 : upper;
  static bool want[NL][NR];
  size_t expected = 0;
  for (int64_t a = 0; a < NL; a++)
    for (int64_t b = 0; b < NR; b++) {
      int64_t d = right_ts(b) - left_ts(a);
      want[a][b] = a % KEYS == (b * 3) % KEYS && d >= lo && d <= hi;
      expected += want[a][b];
    }
  assert_true(expected > 50);
  assert_int_equal(n, expected);
  for (size_t i = 0; i < n; i++) {
    int64_t a = spate_row_bigint(&rows[i], 1), b = spate_row_bigint(&rows[i], 2);
    assert_true(a >= 0 && a < NL && b >= 0 && b < NR);
    assert_true(want[a][b]); /* a real pair, and only once */
    want[a][b] = false;
  }
  assert_int_equal(atomic_load(&wrong_ts), 0);
  spate_job_result_free(res);
  spate_env_free(env);
}

static void test_inclusive(void **state) { run(-2, 10, false, false, 1); }
static void test_exclusive_parallel(void **state) { run(-5, 7, true, true, 3); }
static void test_negative_window(void **state) { run(-20, -4, false, false, 2); }

static void test_bad_bounds(void **state) {
  spate_env *env = new_env();
  spate_stream *a = spate_key_by(spate_from_sequence(env, 1, 3), 0);
  spate_stream *b = spate_key_by(spate_from_sequence(env, 1, 3), 0);
  const spate_schema *s = spate_stream_schema(a);
  spate_interval_join(a, b, 5, 2, false, false, ij_join, s);
  assert_non_null(
      strstr(spate_env_error(env), "lower bound (5) is greater than the upper bound (2)"));
  spate_env_free(env);
  env = new_env();
  a = spate_key_by(spate_from_sequence(env, 1, 3), 0);
  b = spate_key_by(spate_from_sequence(env, 1, 3), 0);
  spate_interval_join(a, b, 3, 3, true, false, ij_join, spate_stream_schema(a));
  assert_non_null(strstr(spate_env_error(env), "exclusive"));
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_inclusive),
      cmocka_unit_test(test_exclusive_parallel),
      cmocka_unit_test(test_negative_window),
      cmocka_unit_test(test_bad_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_udf_params.c: typed UDF parameters (SPATE_WITH_PARAMS / SPATE_PARAMS). The struct the
 * job passes reaches every subtask of the operator at parallelism 2, read in the open function
 * and in the map function; parameters of another type (name or size), none at all, or an
 * untyped spate_udf_arg fail the job with a message naming both types, also when the UDF
 * ignores the NULL and returns 0.
 * UDFs have external linkage (the program is linked with -rdynamic) and a pm_ prefix.
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

struct thresholds {
  int64_t limit;
  double factor;
  char label[8];
};
struct other {
  int64_t limit;
};
/* the same size as struct thresholds, another name */
struct lookalike {
  int64_t a;
  double b;
  char c[8];
};

SPATE_RECORD(scaled, (value, BIGINT), (scaled, DOUBLE), (label, STRING));

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "WARN");
  spate_env_set_parallelism(env, 2);
  return env;
}

int pm_open(spate_ctx *ctx, void **user) {
  const struct thresholds *p = SPATE_PARAMS(ctx, struct thresholds);
  if (!p) return SPATE_EUDF;
  *user = (void *)p; /* the parameters live as long as the operator */
  return 0;
}

/* keeps values <= limit, scaled by factor, labelled */
int pm_scale(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  const struct thresholds *p = SPATE_PARAMS(ctx, struct thresholds);
  if (!p) return SPATE_EUDF;
  if (p != spate_ctx_user(ctx)) return spate_ctx_fail(ctx, "the parameters moved");
  int64_t v = spate_row_bigint(in, 0);
  if (v > p->limit) return 0;
  struct scaled s = {v, (double)v * p->factor, {p->label, (uint32_t)strlen(p->label)}};
  return scaled_emit(out, &s);
}

static void test_params_reach_every_subtask(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_stream *s = spate_flat_map(spate_from_sequence(env, 1, 1000), pm_scale, scaled_schema());
  SPATE_WITH_PARAMS(s, struct thresholds, {.limit = 500, .factor = 1.5, .label = "low"});
  spate_udf_lifecycle(s, pm_open, NULL);
  spate_collect(s, "out");
  spate_job_result *res = tk_run(env, "params");
  if (spate_job_result_status(res) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(res));
  const spate_row *rows;
  size_t n = spate_job_result_collected(res, "out", &rows, NULL);
  assert_int_equal(n, 500);
  int64_t sum = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t v = scaled_value(&rows[i]);
    assert_true(v >= 1 && v <= 500);
    assert_true(scaled_scaled(&rows[i]) == (double)v * 1.5);
    spate_bytes label = scaled_label(&rows[i]);
    assert_int_equal(label.len, 3);
    assert_memory_equal(label.ptr, "low", 3);
    sum += v;
  }
  assert_int_equal(sum, 500 * 501 / 2);
  spate_job_result_free(res);
  spate_env_free(env);
}

/* Ignores the NULL and returns 0: the job fails all the same. */
int pm_careless(spate_ctx *ctx, const spate_row *in) {
  const struct thresholds *p = SPATE_PARAMS(ctx, struct thresholds);
  return p ? spate_row_bigint(in, 0) <= p->limit : 0;
}

/* Runs sequence -> filter(pm_careless) with the setting `how` and returns the job's error. */
static char *run_mismatch(int how) {
  spate_env *env = new_env();
  spate_stream *s = spate_name(spate_filter(spate_from_sequence(env, 1, 100), pm_careless), "gate");
  struct other o = {.limit = 3};
  struct lookalike l = {0};
  int64_t raw = 3;
  if (how == 0) SPATE_WITH_PARAMS(s, struct other, o);
  if (how == 1) SPATE_WITH_PARAMS(s, struct lookalike, l);
  if (how == 2) spate_udf_arg(s, &raw, sizeof raw);
  spate_collect(s, "out");
  return tk_run_failing(env, "params mismatch");
}

static void test_mismatch_fails_naming_both_types(void **state) {
  (void)state;
  char *err = run_mismatch(0);
  tk_assert_contains(err, "'gate'");
  tk_assert_contains(err,
                     "the function expects parameters of type 'struct thresholds' (24 bytes), "
                     "but the job passed 'struct other' (8 bytes)");
  free(err);
  err = run_mismatch(1); /* same size, another name */
  tk_assert_contains(err,
                     "'struct thresholds' (24 bytes), but the job passed 'struct lookalike' "
                     "(24 bytes)");
  free(err);
  err = run_mismatch(2);
  tk_assert_contains(err, "but the job passed an untyped argument (spate_udf_arg");
  free(err);
  err = run_mismatch(3);
  tk_assert_contains(err, "but the job passed none (give them with SPATE_WITH_PARAMS)");
  free(err);
}

static void test_bad_settings(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_stream *k = spate_key_by(spate_from_sequence(env, 1, 2), 0);
  struct other o = {1};
  SPATE_WITH_PARAMS(k, struct other, o); /* a key by has no operator of its own */
  assert_non_null(strstr(spate_env_error(env), "SPATE_WITH_PARAMS: applies to an operator"));
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_params_reach_every_subtask),
      cmocka_unit_test(test_mismatch_fails_naming_both_types),
      cmocka_unit_test(test_bad_settings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

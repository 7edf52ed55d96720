/*
 * test_side_outputs.c: side outputs (Flink's OutputTag). A process function sends odd numbers to
 * the side output "odd" (with its own schema) and even ones to its main output; readers of the
 * side output get exactly those rows, chained (same parallelism) or across an exchange; a tag
 * nobody reads is dropped; watermarks reach side-output readers too.
 * UDFs have external linkage and an so_ prefix.
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

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "OFF");
  return env;
}

typedef struct so_state {
  spate_row_builder *odd;
} so_state;

int so_open(spate_ctx *ctx, void **user) {
  spate_schema *s = NULL;
  char err[64];
  if (spate_schema_parse("odd BIGINT NOT NULL, doubled BIGINT NOT NULL", &s, err, sizeof err) < 0)
    return -1;
  so_state *st = calloc(1, sizeof *st);
  st->odd = spate_rb_new(s);
  spate_schema_free(s);
  *user = st;
  return 0;
}

void so_close(spate_ctx *ctx, void *user) {
  so_state *st = user;
  spate_rb_free(st->odd);
  free(st);
}

int so_split(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  int64_t v = spate_row_bigint(in, 0);
  if (v % 2 == 0) {
    spate_rb_set_bigint(spate_collect_begin(out), 0, v);
    return spate_collect_emit(out);
  }
  so_state *st = spate_ctx_user(ctx);
  spate_rb_begin(st->odd);
  spate_rb_set_bigint(st->odd, 0, v);
  spate_rb_set_bigint(st->odd, 1, 2 * v);
  spate_row r;
  if (spate_rb_finish(st->odd, &r) < 0) return -1;
  int rc = spate_ctx_output(ctx, "odd", &r);
  if (rc < 0) return rc;
  return spate_ctx_output(ctx, "nobody-reads-this", &r); /* dropped */
}

static _Atomic int64_t side_max_wm_at_close;

void so_side_close(spate_ctx *ctx, void *user) {
  if (spate_ctx_current_watermark(ctx) == INT64_MAX) atomic_fetch_add(&side_max_wm_at_close, 1);
}

int so_keep(spate_ctx *ctx, const spate_row *in) { return 1; }

static void run(int side_parallelism) {
  atomic_store(&side_max_wm_at_close, 0);
  spate_env *env = new_env();
  const spate_schema *odd = spate_env_schema(env, "odd BIGINT NOT NULL, doubled BIGINT NOT NULL");
  spate_stream *src = spate_from_sequence(env, 1, 1001);
  spate_stream *p = spate_process(src, so_split, NULL, spate_stream_schema(src));
  spate_udf_lifecycle(p, so_open, so_close);
  spate_collect(p, "even");
  spate_stream *side = spate_filter(spate_side_output(p, "odd", odd), so_keep);
  spate_parallelism(side, side_parallelism);
  spate_udf_lifecycle(side, NULL, so_side_close);
  spate_collect(side, "odd");
  spate_job_result *r = tk_run(env, "side outputs");
  assert_non_null(r);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED) fail_msg("%s", spate_job_result_error(r));
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "even", &rows, NULL);
  assert_int_equal(n, 500);
  int64_t sum = 0;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(spate_row_bigint(&rows[i], 0) % 2, 0);
    sum += spate_row_bigint(&rows[i], 0);
  }
  assert_int_equal(sum, 500 * 501); /* 2 + 4 + ... + 1000 */
  n = spate_job_result_collected(r, "odd", &rows, NULL);
  assert_int_equal(n, 501);
  sum = 0;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(spate_row_bigint(&rows[i], 0) % 2, 1);
    assert_int_equal(spate_row_bigint(&rows[i], 1), 2 * spate_row_bigint(&rows[i], 0));
    sum += spate_row_bigint(&rows[i], 0);
  }
  assert_int_equal(sum, 501 * 501); /* 1 + 3 + ... + 1001 */
  assert_int_equal(atomic_load(&side_max_wm_at_close), side_parallelism);
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_side_output_chained(void **state) { run(1); }
static void test_side_output_across_exchange(void **state) { run(3); }

static void test_side_output_misuse(void **state) {
  spate_env *env = new_env();
  spate_stream *src = spate_from_sequence(env, 1, 3);
  spate_side_output(spate_rebalance(src), "x", spate_stream_schema(src));
  assert_non_null(strstr(spate_env_error(env), "applies to an operator"));
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_side_output_chained),
      cmocka_unit_test(test_side_output_across_exchange),
      cmocka_unit_test(test_side_output_misuse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

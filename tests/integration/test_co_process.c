/*
 * test_co_process.c: connect + co-process (Flink's CoProcessFunction and
 * KeyedCoProcessFunction). Two streams of different schemas keyed by the same key share keyed
 * state per key: each side counts into its own value state, and a timer registered by either
 * side fires once per key at the end of input (the operator's watermark is the minimum of its
 * two inputs', so it only reaches the end when both have), emitting both counts. Unkeyed
 * connects route each record to its side's function. Bad connects fail at build time.
 * UDFs have external linkage and a cp_ prefix.
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

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "OFF");
  return env;
}

typedef struct cp_state {
  spate_state *a, *b;
  spate_row_builder *rb;
} cp_state;

int cp_open(spate_ctx *ctx, void **user) {
  cp_state *s = calloc(1, sizeof *s);
  *user = s;
  spate_schema *n = NULL;
  char err[64];
  if (spate_schema_parse("n BIGINT NOT NULL", &n, err, sizeof err) < 0) return -1;
  spate_state_desc da = {.name = "a", .kind = SPATE_STATE_VALUE, .schema = n};
  spate_state_desc db = {.name = "b", .kind = SPATE_STATE_VALUE, .schema = n};
  s->a = spate_ctx_state(ctx, &da);
  s->b = spate_ctx_state(ctx, &db);
  s->rb = spate_rb_new(n);
  spate_schema_free(n);
  return s->a && s->b ? 0 : -1;
}

void cp_close(spate_ctx *ctx, void *user) {
  cp_state *s = user;
  spate_rb_free(s->rb);
  free(s);
}

static int bump(spate_ctx *ctx, spate_state *st) {
  cp_state *s = spate_ctx_user(ctx);
  spate_row cur, next;
  int64_t n = spate_value_get(st, &cur) == 1 ? spate_row_bigint(&cur, 0) : 0;
  spate_rb_begin(s->rb);
  spate_rb_set_bigint(s->rb, 0, n + 1);
  if (spate_rb_finish(s->rb, &next) < 0 || spate_value_update(st, &next) < 0) return -1;
  return spate_ctx_register_event_timer(ctx, 0); /* de-duplicated: one per key */
}

/* first stream: (key BIGINT, name STRING); second: (v DOUBLE, key BIGINT) */
int cp_first(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return bump(ctx, ((cp_state *)spate_ctx_user(ctx))->a);
}
int cp_second(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return bump(ctx, ((cp_state *)spate_ctx_user(ctx))->b);
}

int cp_report(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  cp_state *s = spate_ctx_user(ctx);
  spate_row a, b;
  int64_t na = spate_value_get(s->a, &a) == 1 ? spate_row_bigint(&a, 0) : 0;
  int64_t nb = spate_value_get(s->b, &b) == 1 ? spate_row_bigint(&b, 0) : 0;
  spate_row_builder *rb = spate_collect_begin(out);
  spate_rb_set_field(rb, 0, spate_ctx_current_key(ctx), 0);
  spate_rb_set_bigint(rb, 1, na);
  spate_rb_set_bigint(rb, 2, nb);
  return spate_collect_emit(out);
}

int cp_gen_a(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i % 10);
  spate_rb_set_string(out, 1, "x", 1);
  return 0;
}
int cp_gen_b(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_double(out, 0, 0.5 * (double)i);
  spate_rb_set_bigint(out, 1, i % 7); /* keys 0..6 */
  return 0;
}

static void test_keyed_co_process(void **state) {
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 3);
  const spate_schema *sa = spate_env_schema(env, "key BIGINT NOT NULL, name STRING");
  const spate_schema *sb = spate_env_schema(env, "v DOUBLE, key BIGINT NOT NULL");
  const spate_schema *out =
      spate_env_schema(env, "key BIGINT NOT NULL, a BIGINT NOT NULL, b BIGINT NOT NULL");
  spate_stream *a = spate_key_by(spate_generate(env, sa, cp_gen_a, 1000), 0);
  spate_stream *b = spate_key_by(spate_generate(env, sb, cp_gen_b, 700), 1);
  spate_stream *p = spate_co_process(spate_connect(a, b), cp_first, cp_second, cp_report, out);
  spate_udf_lifecycle(p, cp_open, cp_close);
  spate_collect(p, "out");
  spate_job_result *r = tk_run(env, "keyed co-process");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED) fail_msg("%s", spate_job_result_error(r));
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  assert_int_equal(n, 10); /* one report per key 0..9 */
  bool seen[10] = {false};
  for (size_t i = 0; i < n; i++) {
    int64_t k = spate_row_bigint(&rows[i], 0);
    assert_true(k >= 0 && k < 10 && !seen[k]);
    seen[k] = true;
    assert_int_equal(spate_row_bigint(&rows[i], 1), 100);             /* 1000 rows over 10 keys */
    assert_int_equal(spate_row_bigint(&rows[i], 2), k < 7 ? 100 : 0); /* 700 rows over 7 keys */
  }
  spate_job_result_free(r);
  spate_env_free(env);
}

int cp_tag_a(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_rb_set_string(spate_collect_begin(out), 0, "a", 1);
  return spate_collect_emit(out);
}
int cp_tag_b(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_rb_set_string(spate_collect_begin(out), 0, "b", 1);
  return spate_collect_emit(out);
}

static void test_unkeyed_co_process(void **state) {
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  const spate_schema *sa = spate_env_schema(env, "key BIGINT NOT NULL, name STRING");
  const spate_schema *side = spate_env_schema(env, "side STRING NOT NULL");
  spate_stream *a = spate_generate(env, sa, cp_gen_a, 30);
  spate_stream *b = spate_from_sequence(env, 1, 20);
  spate_collect(spate_co_process(spate_connect(a, b), cp_tag_a, cp_tag_b, NULL, side), "out");
  spate_job_result *r = tk_run(env, "co-process");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED) fail_msg("%s", spate_job_result_error(r));
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  assert_int_equal(n, 50);
  int na = 0;
  for (size_t i = 0; i < n; i++) na += spate_row_string(&rows[i], 0).ptr[0] == 'a';
  assert_int_equal(na, 30);
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_bad_connects(void **state) {
  spate_env *env = new_env();
  spate_stream *a = spate_from_sequence(env, 1, 3), *b = spate_from_sequence(env, 1, 3);
  spate_connect(spate_key_by(a, 0), b);
  assert_non_null(strstr(spate_env_error(env), "key both streams or neither"));
  spate_env_free(env);

  env = new_env();
  const spate_schema *sa = spate_env_schema(env, "key BIGINT NOT NULL, name STRING");
  a = spate_key_by(spate_generate(env, sa, cp_gen_a, 3), 1); /* keyed by a STRING */
  b = spate_key_by(spate_from_sequence(env, 1, 3), 0);       /* keyed by a BIGINT */
  spate_connect(a, b);
  assert_non_null(strstr(spate_env_error(env), "different schemas"));
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keyed_co_process),
      cmocka_unit_test(test_unkeyed_co_process),
      cmocka_unit_test(test_bad_connects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

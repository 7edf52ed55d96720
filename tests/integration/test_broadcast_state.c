/*
 * test_broadcast_state.c: Flink's broadcast state pattern. A stream of rules (word -> weight) is
 * broadcast to every subtask of a KeyedBroadcastProcessFunction over a keyed stream of words.
 * Reads are made deterministic by doing them in event-time timers at the end of input: the
 * operator's watermark is the minimum of both inputs', so those timers fire only when every
 * rule has arrived. Every subtask must then see every rule; the keyed side may not write the
 * broadcast state; an unkeyed BroadcastProcessFunction sees the rules too.
 * UDFs have external linkage and a bs_ prefix.
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

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "OFF");
  return env;
}

static spate_schema *schema(const char *spec) {
  spate_schema *s = NULL;
  char err[64];
  assert_int_equal(spate_schema_parse(spec, &s, err, sizeof err), 0);
  return s;
}

typedef struct bs_state {
  spate_state *rules, *count;
  spate_row_builder *one, *word;
} bs_state;

int bs_open(spate_ctx *ctx, void **user) {
  bs_state *s = calloc(1, sizeof *s);
  *user = s;
  spate_schema *w = schema("word STRING NOT NULL"), *n = schema("n BIGINT NOT NULL");
  spate_state_desc rules = {.name = "rules", .kind = SPATE_STATE_MAP, .schema = n, .key_schema = w};
  s->rules = spate_ctx_broadcast_state(ctx, &rules);
  spate_state_desc count = {.name = "count", .kind = SPATE_STATE_VALUE, .schema = n};
  s->count = spate_ctx_state(ctx, &count); /* NULL (with an error) when not keyed */
  s->one = spate_rb_new(n);
  s->word = spate_rb_new(w);
  spate_schema_free(w);
  spate_schema_free(n);
  return s->rules ? 0 : -1;
}

void bs_close(spate_ctx *ctx, void *user) {
  bs_state *s = user;
  spate_rb_free(s->one);
  spate_rb_free(s->word);
  free(s);
}

/* broadcast side: (word STRING, weight BIGINT) -> rules[word] = weight */
int bs_rule(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  bs_state *s = spate_ctx_user(ctx);
  spate_rb_begin(s->word);
  spate_rb_set_field(s->word, 0, in, 0);
  spate_row k, v;
  spate_rb_finish(s->word, &k);
  spate_rb_begin(s->one);
  spate_rb_set_field(s->one, 0, in, 1);
  spate_rb_finish(s->one, &v);
  return spate_map_put(s->rules, &k, &v);
}

/* keyed side: (word STRING) -> count per word, and a timer for the end of input */
int bs_word(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  bs_state *s = spate_ctx_user(ctx);
  spate_row cur, next;
  int64_t n = spate_value_get(s->count, &cur) == 1 ? spate_row_bigint(&cur, 0) : 0;
  spate_rb_begin(s->one);
  spate_rb_set_bigint(s->one, 0, n + 1);
  spate_rb_finish(s->one, &next);
  if (spate_value_update(s->count, &next) < 0) return -1;
  return spate_ctx_register_event_timer(ctx, 0);
}

/* at the end: (word, count, weight or -1) */
int bs_report(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  bs_state *s = spate_ctx_user(ctx);
  const spate_row *key = spate_ctx_current_key(ctx);
  spate_row cur, w;
  int64_t n = spate_value_get(s->count, &cur) == 1 ? spate_row_bigint(&cur, 0) : 0;
  int found = spate_map_get(s->rules, key, &w);
  if (found < 0) return found;
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, key, 0);
  spate_rb_set_bigint(b, 1, n);
  spate_rb_set_bigint(b, 2, found ? spate_row_bigint(&w, 0) : -1);
  return spate_collect_emit(out);
}

static const char *const WORDS[] = {"a", "b", "c", "a", "d", "a", "b", "e", "f", "g", "a", "c"};

static void test_keyed_broadcast(void **state) {
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 3);
  const spate_schema *rule = spate_env_schema(env, "word STRING NOT NULL, weight BIGINT NOT NULL");
  const spate_schema *out =
      spate_env_schema(env, "word STRING NOT NULL, n BIGINT NOT NULL, weight BIGINT NOT NULL");
  spate_row_builder *b = spate_rb_new(rule);
  spate_row rules[4];
  const char *rw[4] = {"a", "b", "c", "g"};
  for (int i = 0; i < 4; i++) {
    spate_rb_begin(b);
    spate_rb_set_string(b, 0, rw[i], 1);
    spate_rb_set_bigint(b, 1, 10 * (i + 1));
    spate_row r;
    assert_int_equal(spate_rb_finish(b, &r), 0);
    assert_int_equal(spate_row_copy(&r, &rules[i]), 0);
  }
  spate_stream *words = spate_key_by(spate_from_strings(env, WORDS, 12), 0);
  spate_stream *rs = spate_from_rows(env, rule, rules, 4);
  spate_stream *p =
      spate_co_process(spate_connect_broadcast(words, rs), bs_word, bs_rule, bs_report, out);
  spate_udf_lifecycle(p, bs_open, bs_close);
  spate_collect(p, "out");
  spate_job_result *r = tk_run(env, "keyed broadcast");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED) fail_msg("%s", spate_job_result_error(r));
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  assert_int_equal(n, 7); /* a b c d e f g */
  for (size_t i = 0; i < n; i++) {
    char w = spate_row_string(&rows[i], 0).ptr[0];
    int64_t cnt = spate_row_bigint(&rows[i], 1), weight = spate_row_bigint(&rows[i], 2);
    int expect_n = 0;
    for (int k = 0; k < 12; k++) expect_n += WORDS[k][0] == w;
    assert_int_equal(cnt, expect_n);
    int64_t expect_w = w == 'a' ? 10 : w == 'b' ? 20 : w == 'c' ? 30 : w == 'g' ? 40 : -1;
    assert_int_equal(weight, expect_w); /* whichever subtask owns the word saw every rule */
  }
  spate_job_result_free(r);
  for (int i = 0; i < 4; i++) spate_row_free(&rules[i]);
  spate_rb_free(b);
  spate_env_free(env);
}

/* the keyed side tries to write the broadcast state */
int bs_bad_word(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  bs_state *s = spate_ctx_user(ctx);
  spate_rb_begin(s->one);
  spate_rb_set_bigint(s->one, 0, 1);
  spate_row v;
  spate_rb_finish(s->one, &v);
  return spate_map_put(s->rules, in, &v);
}

static void test_keyed_side_cannot_write(void **state) {
  spate_env *env = new_env();
  const spate_schema *rule = spate_env_schema(env, "word STRING NOT NULL, weight BIGINT NOT NULL");
  spate_stream *words = spate_key_by(spate_from_strings(env, WORDS, 12), 0);
  spate_stream *rs = spate_from_rows(env, rule, NULL, 0);
  spate_stream *p =
      spate_co_process(spate_connect_broadcast(words, rs), bs_bad_word, bs_rule, bs_report, rule);
  spate_udf_lifecycle(p, bs_open, bs_close);
  spate_discard(p);
  spate_job_result *r = tk_run(env, "read-only");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "read-only"));
  spate_job_result_free(r);
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keyed_broadcast),
      cmocka_unit_test(test_keyed_side_cannot_write),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

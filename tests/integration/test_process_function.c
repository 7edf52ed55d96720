/*
 * test_process_function.c: spate_process with keyed state and timers on the MiniCluster.
 *  - value state counts per key at parallelism 1, 2 and 4 against counts made here (keys reach
 *    the subtask owning their key group, or the state backend would refuse them);
 *  - list, map and reducing state per key;
 *  - event-time timers: fire in timestamp order with their key current and their timestamp on
 *    the output, once per (key, timestamp) however often registered, not at all when deleted,
 *    and all by the end of input;
 *  - a processing-time timer fires while the job runs;
 *  - misuse fails the job with a message: state on a non-keyed stream, a timer without a timer
 *    function.
 * UDFs have external linkage (the program is linked with -rdynamic) and a pf_ prefix.
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
#include <time.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

static spate_env *new_env(void) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "OFF");
  return env;
}

static void assert_finished(const spate_job_result *r) {
  assert_non_null(r);
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job %s: %s", spate_job_status_name(spate_job_result_status(r)),
             spate_job_result_error(r) ? spate_job_result_error(r) : "");
}

static spate_schema *schema(const char *spec) {
  spate_schema *s = NULL;
  char err[128];
  assert_int_equal(spate_schema_parse(spec, &s, err, sizeof err), 0);
  return s;
}

/* ---- value, list, map and reducing state ------------------------------------------------------ */
typedef struct pf_states {
  spate_state *count, *list, *map, *sum;
  spate_row_builder *one, *mkey;
} pf_states;

int pf_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0) + spate_row_bigint(in, 0));
  return 0;
}

int pf_open(spate_ctx *ctx, void **user) {
  pf_states *s = calloc(1, sizeof *s);
  *user = s;
  spate_schema *n = schema("n BIGINT NOT NULL"), *k = schema("k BIGINT NOT NULL");
  spate_state_desc count = {.name = "count", .kind = SPATE_STATE_VALUE, .schema = n};
  spate_state_desc list = {.name = "list", .kind = SPATE_STATE_LIST, .schema = n};
  spate_state_desc map = {.name = "map", .kind = SPATE_STATE_MAP, .schema = n, .key_schema = k};
  spate_state_desc sum = {
      .name = "sum", .kind = SPATE_STATE_REDUCING, .schema = n, .reduce = pf_sum};
  s->count = spate_ctx_state(ctx, &count);
  s->list = spate_ctx_state(ctx, &list);
  s->map = spate_ctx_state(ctx, &map);
  s->sum = spate_ctx_state(ctx, &sum);
  s->one = spate_rb_new(n);
  s->mkey = spate_rb_new(k);
  spate_schema_free(n);
  spate_schema_free(k);
  return s->count && s->list && s->map && s->sum ? 0 : -1;
}

void pf_close(spate_ctx *ctx, void *user) {
  pf_states *s = user;
  spate_rb_free(s->one);
  spate_rb_free(s->mkey);
  free(s);
}

static spate_row bigint_row(spate_row_builder *b, int64_t v) {
  spate_row r;
  spate_rb_begin(b);
  spate_rb_set_bigint(b, 0, v);
  spate_rb_finish(b, &r);
  return r;
}

/* Input (key BIGINT, v BIGINT). Output (key, count, list length, map size, sum of v). */
int pf_all_states(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  pf_states *s = spate_ctx_user(ctx);
  int64_t v = spate_row_bigint(in, 1);
  spate_row cur;
  int64_t count = spate_value_get(s->count, &cur) == 1 ? spate_row_bigint(&cur, 0) : 0;
  spate_row r = bigint_row(s->one, count + 1);
  if (spate_value_update(s->count, &r) < 0) return -1;
  r = bigint_row(s->one, v);
  if (spate_list_add(s->list, &r) < 0 || spate_reducing_add(s->sum, &r) < 0) return -1;
  spate_row mk = bigint_row(s->mkey, v % 3);
  if (spate_map_put(s->map, &mk, &r) < 0) return -1;
  int64_t len = 0, msize = 0;
  spate_state_iter it;
  spate_row e, ek;
  if (spate_list_iter(s->list, &it) < 0) return -1;
  while (spate_list_next(&it, &e)) len++;
  if (spate_map_iter(s->map, &it) < 0) return -1;
  while (spate_map_next(&it, &ek, &e)) msize++;
  spate_row sum;
  if (spate_reducing_get(s->sum, &sum) != 1) return spate_ctx_fail(ctx, "no sum");
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, in, 0);
  spate_rb_set_bigint(b, 1, count + 1);
  spate_rb_set_bigint(b, 2, len);
  spate_rb_set_bigint(b, 3, msize);
  spate_rb_set_bigint(b, 4, spate_row_bigint(&sum, 0));
  return spate_collect_emit(out);
}

#define NKEYS 37
#define NROWS 3000

int pf_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, (i * 7919) % NKEYS);
  spate_rb_set_bigint(out, 1, i);
  return 0;
}

static void run_states(int parallelism) {
  spate_env *env = new_env();
  spate_env_set_parallelism(env, parallelism);
  const spate_schema *in = spate_env_schema(env, "key BIGINT NOT NULL, v BIGINT NOT NULL");
  const spate_schema *out =
      spate_env_schema(env,
                       "key BIGINT NOT NULL, n BIGINT NOT NULL, len BIGINT NOT NULL, msize BIGINT "
                       "NOT NULL, sum BIGINT NOT NULL");
  spate_stream *src = spate_parallelism(spate_generate(env, in, pf_gen, NROWS), 1);
  spate_stream *p = spate_process(spate_key_by(src, 0), pf_all_states, NULL, out);
  spate_udf_lifecycle(p, pf_open, pf_close);
  spate_collect(p, "out");
  spate_job_result *r = tk_run(env, "states");
  assert_finished(r);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  assert_int_equal(n, NROWS);
  /* expected, computed here: per key the values in order (the source is one subtask, so each
   * key's rows arrive in generation order) */
  int64_t count[NKEYS] = {0}, sum[NKEYS] = {0};
  int mseen[NKEYS][3] = {{0}};
  int64_t final_n[NKEYS] = {0}, final_sum[NKEYS] = {0}, final_len[NKEYS] = {0},
          final_ms[NKEYS] = {0};
  for (int64_t i = 0; i < NROWS; i++) {
    int k = (int)((i * 7919) % NKEYS);
    count[k]++;
    sum[k] += i;
    mseen[k][i % 3] = 1;
  }
  for (size_t i = 0; i < n; i++) { /* a key's rows come out in order: keep the largest */
    int k = (int)spate_row_bigint(&rows[i], 0);
    assert_true(k >= 0 && k < NKEYS);
    assert_int_equal(spate_row_bigint(&rows[i], 1), spate_row_bigint(&rows[i], 2)); /* n == len */
    if (spate_row_bigint(&rows[i], 1) > final_n[k]) {
      final_n[k] = spate_row_bigint(&rows[i], 1);
      final_len[k] = spate_row_bigint(&rows[i], 2);
      final_ms[k] = spate_row_bigint(&rows[i], 3);
      final_sum[k] = spate_row_bigint(&rows[i], 4);
    }
  }
  for (int k = 0; k < NKEYS; k++) {
    assert_int_equal(final_n[k], count[k]);
    assert_int_equal(final_len[k], count[k]);
    assert_int_equal(final_sum[k], sum[k]);
    assert_int_equal(final_ms[k], mseen[k][0] + mseen[k][1] + mseen[k][2]);
  }
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_states_p1(void **state) { run_states(1); }
static void test_states_p2(void **state) { run_states(2); }
static void test_states_p4(void **state) { run_states(4); }

/* ---- event-time timers --------------------------------------------------------------------- */
/* Input (key BIGINT, ts BIGINT): registers a timer at ts + 100 (twice: de-duplicated) and, for
 * odd ts, one at ts + 50 that it deletes again. Output (key, fired ts, watermark at firing). */
int pf_timers(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  int64_t ts = spate_row_bigint(in, 1);
  if (spate_ctx_register_event_timer(ctx, ts + 100) < 0) return -1;
  if (spate_ctx_register_event_timer(ctx, ts + 100) < 0) return -1;
  if (ts % 2) {
    if (spate_ctx_register_event_timer(ctx, ts + 50) < 0) return -1;
    if (spate_ctx_delete_event_timer(ctx, ts + 50) < 0) return -1;
  }
  return 0;
}

int pf_on_timer(spate_ctx *ctx, int64_t timestamp, spate_time_domain domain, spate_collector *out) {
  if (domain != SPATE_EVENT_TIME) return spate_ctx_fail(ctx, "wrong domain");
  if (spate_ctx_timestamp(ctx) != timestamp) return spate_ctx_fail(ctx, "output timestamp");
  const spate_row *key = spate_ctx_current_key(ctx);
  if (!key) return spate_ctx_fail(ctx, "no key");
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, spate_row_bigint(key, 0));
  spate_rb_set_bigint(b, 1, timestamp);
  spate_rb_set_bigint(b, 2, spate_ctx_current_watermark(ctx));
  return spate_collect_emit(out);
}

int pf_ts_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i % 5);
  spate_rb_set_bigint(out, 1, 10 * (i / 2)); /* each (key, ts) twice for some keys */
  return 0;
}

int64_t pf_every_event(spate_ctx *ctx, const spate_row *in, int64_t ts) { return ts - 1; }

static void test_event_timers(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  const spate_schema *in = spate_env_schema(env, "key BIGINT NOT NULL, ts BIGINT NOT NULL");
  const spate_schema *out =
      spate_env_schema(env, "key BIGINT NOT NULL, t BIGINT NOT NULL, wm BIGINT NOT NULL");
  spate_stream *src = spate_parallelism(spate_generate(env, in, pf_ts_gen, 200), 1);
  spate_stream *ts =
      spate_parallelism(spate_assign_watermarks_custom(src, 1, NULL, pf_every_event, NULL), 1);
  spate_collect(spate_process(spate_key_by(ts, 0), pf_timers, pf_on_timer, out), "fired");
  spate_job_result *r = tk_run(env, "timers");
  assert_finished(r);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "fired", &rows, NULL);
  /* expected: one timer per distinct (key, ts + 100) */
  bool want[5][1200] = {{false}};
  size_t distinct = 0;
  for (int64_t i = 0; i < 200; i++) {
    int k = (int)(i % 5), t = (int)(10 * (i / 2) + 100);
    if (!want[k][t]) distinct++;
    want[k][t] = true;
  }
  assert_int_equal(n, distinct);
  int64_t last_by_key[5] = {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN};
  for (size_t i = 0; i < n; i++) {
    int k = (int)spate_row_bigint(&rows[i], 0);
    int64_t t = spate_row_bigint(&rows[i], 1), wm = spate_row_bigint(&rows[i], 2);
    assert_true(k >= 0 && k < 5 && t >= 0 && t < 1200);
    assert_true(want[k][t]);         /* never a deleted (ts + 50) timer */
    want[k][t] = false;              /* and never twice */
    assert_true(wm >= t);            /* fired by a watermark at or past it */
    assert_true(t > last_by_key[k]); /* in timestamp order */
    last_by_key[k] = t;
  }
  spate_job_result_free(r);
  spate_env_free(env);
}

/* ---- processing-time timers ----------------------------------------------------------------- */
/* On a manual clock at 1000: the record of key 0 registers a processing-time timer at 1010. It
 * must fire once the clock reaches 1010, exactly once, with the key current and processing time
 * at or past its timestamp; then the job is stopped (timers pending at the end of input would
 * not fire). */
static _Atomic int proc_registered, proc_fired, proc_bad;

int pf_proc_register(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  if (spate_row_bigint(in, 0) != 0) return 0;
  int rc = spate_ctx_register_processing_timer(ctx, spate_ctx_processing_time(ctx) + 10);
  atomic_fetch_add(&proc_registered, 1);
  tk_notify();
  return rc;
}

int pf_proc_fire(spate_ctx *ctx, int64_t timestamp, spate_time_domain domain,
                 spate_collector *out) {
  if (domain == SPATE_PROCESSING_TIME && timestamp == 1010 && spate_ctx_current_key(ctx) &&
      spate_row_bigint(spate_ctx_current_key(ctx), 0) == 0 &&
      spate_ctx_processing_time(ctx) >= timestamp)
    atomic_fetch_add(&proc_fired, 1);
  else
    atomic_fetch_add(&proc_bad, 1);
  tk_notify();
  return 0;
}

int pf_index(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, i);
  return 0;
}

static void test_processing_timer(void **state) {
  (void)state;
  atomic_store(&proc_registered, 0);
  atomic_store(&proc_fired, 0);
  atomic_store(&proc_bad, 0);
  static tk_events ev;
  tk_events_reset(&ev);
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_pf_");
  spate_clock *clock = spate_manual_clock_create(1000);
  spate_env *env = new_env();
  spate_env_set_clock(env, clock);
  spate_env_set_buffer_timeout(env, 0);
  spate_env_set(env, "state.savepoints.dir", dir);
  spate_env_set_job_listener(env, tk_listener, &ev);
  const spate_schema *in = spate_env_schema(env, "v BIGINT NOT NULL");
  /* 100 records, then nothing until a checkpoint: the job stays up until it is stopped */
  spate_stream *src = spate_generate_per_checkpoint(env, in, pf_index, -1, 100);
  spate_discard(spate_process(spate_key_by(src, 0), pf_proc_register, pf_proc_fire, in));
  spate_job_client *c = spate_execute_async(env, "processing timer");
  TK_AWAIT(atomic_load(&proc_registered) == 1, "the timer registration");
  spate_manual_clock_set(clock, 1009);
  spate_manual_clock_set(clock, 1010);
  TK_AWAIT(atomic_load(&proc_fired) + atomic_load(&proc_bad) == 1, "the timer firing");
  TK_AWAIT(tk_all_running(&ev), "all subtasks running"); /* a savepoint needs them */
  char path[4096], err[512];
  if (spate_job_client_savepoint(c, NULL, true, path, sizeof path, err, sizeof err) < 0)
    fail_msg("stop with savepoint: %s", err);
  spate_job_result *r = tk_wait(c, "processing timer");
  assert_finished(r);
  assert_int_equal(atomic_load(&proc_fired), 1);
  assert_int_equal(atomic_load(&proc_bad), 0);
  spate_job_result_free(r);
  spate_env_free(env);
  spate_manual_clock_free(clock);
  tk_rm_rf(dir);
}

/* ---- aggregating state: an average per key (Flink's AggregateFunction) ------------------------ */
int pf_avg_create(spate_ctx *ctx, spate_row_builder *acc) {
  spate_rb_set_bigint(acc, 0, 0);
  spate_rb_set_bigint(acc, 1, 0);
  return 0;
}
int pf_avg_add(spate_ctx *ctx, const spate_row *acc, const spate_row *v, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0) + spate_row_bigint(v, 1));
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + 1);
  return 0;
}
int pf_avg_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out) {
  spate_rb_set_double(out, 0, (double)spate_row_bigint(acc, 0) / (double)spate_row_bigint(acc, 1));
  return 0;
}

typedef struct pf_avg_user {
  spate_state *avg;
} pf_avg_user;

int pf_avg_open(spate_ctx *ctx, void **user) {
  static const spate_aggregate_fns fns = {
      .create = pf_avg_create, .add = pf_avg_add, .result = pf_avg_result};
  pf_avg_user *u = calloc(1, sizeof *u);
  *user = u;
  spate_schema *in = schema("key BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_schema *acc = schema("sum BIGINT NOT NULL, n BIGINT NOT NULL");
  spate_schema *res = schema("avg DOUBLE NOT NULL");
  spate_state_desc d = {.name = "avg",
                        .kind = SPATE_STATE_AGGREGATING,
                        .schema = in,
                        .aggregate = &fns,
                        .acc_schema = acc,
                        .result_schema = res};
  u->avg = spate_ctx_state(ctx, &d);
  spate_schema_free(in);
  spate_schema_free(acc);
  spate_schema_free(res);
  return u->avg ? 0 : -1;
}

void pf_avg_close(spate_ctx *ctx, void *user) { free(user); }

/* emits (key, running average) */
int pf_avg(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  pf_avg_user *u = spate_ctx_user(ctx);
  if (spate_aggregating_add(u->avg, in) < 0) return -1;
  spate_row r;
  if (spate_aggregating_get(u->avg, &r) != 1) return spate_ctx_fail(ctx, "no average");
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, in, 0);
  spate_rb_set_double(b, 1, spate_row_double(&r, 0));
  return spate_collect_emit(out);
}

static void test_aggregating_state(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_env_set_parallelism(env, 2);
  const spate_schema *in = spate_env_schema(env, "key BIGINT NOT NULL, v BIGINT NOT NULL");
  const spate_schema *out = spate_env_schema(env, "key BIGINT NOT NULL, avg DOUBLE NOT NULL");
  spate_stream *src = spate_parallelism(spate_generate(env, in, pf_gen, NROWS), 1);
  spate_stream *p = spate_process(spate_key_by(src, 0), pf_avg, NULL, out);
  spate_udf_lifecycle(p, pf_avg_open, pf_avg_close);
  spate_collect(p, "avg");
  spate_job_result *r = tk_run(env, "aggregating");
  assert_finished(r);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "avg", &rows, NULL);
  assert_int_equal(n, NROWS);
  /* the last average per key (rows of a key come out in order): sum / count computed here */
  int64_t sum[NKEYS] = {0}, cnt[NKEYS] = {0};
  for (int64_t i = 0; i < NROWS; i++) {
    sum[(i * 7919) % NKEYS] += i;
    cnt[(i * 7919) % NKEYS]++;
  }
  double last[NKEYS];
  int64_t seen[NKEYS] = {0};
  for (size_t i = 0; i < n; i++) {
    int k = (int)spate_row_bigint(&rows[i], 0);
    last[k] = spate_row_double(&rows[i], 1);
    seen[k]++;
  }
  for (int k = 0; k < NKEYS; k++) {
    assert_int_equal(seen[k], cnt[k]);
    assert_true(last[k] == (double)sum[k] / (double)cnt[k]);
  }
  spate_job_result_free(r);
  spate_env_free(env);
}

/* ---- misuse ---------------------------------------------------------------------------------- */
int pf_timers_no_fn(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return spate_ctx_register_event_timer(ctx, 5);
}

int pf_state_open(spate_ctx *ctx, void **user) {
  spate_schema *n = schema("n BIGINT");
  spate_state_desc d = {.name = "x", .kind = SPATE_STATE_VALUE, .schema = n};
  spate_state *s = spate_ctx_state(ctx, &d);
  spate_schema_free(n);
  return s ? 0 : -1;
}

int pf_noop(spate_ctx *ctx, const spate_row *in, spate_collector *out) { return 0; }

static void test_misuse(void **state) {
  (void)state;
  spate_env *env = new_env();
  spate_stream *src = spate_from_sequence(env, 1, 10);
  spate_stream *p = spate_process(src, pf_noop, NULL, spate_stream_schema(src)); /* not keyed */
  spate_discard(spate_udf_lifecycle(p, pf_state_open, NULL));
  spate_job_result *r = tk_run(env, "state without key");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "keyed"));
  assert_non_null(strstr(spate_job_result_error(r), "Process"));
  spate_job_result_free(r);
  spate_env_free(env);

  env = new_env();
  src = spate_from_sequence(env, 1, 10);
  spate_discard(
      spate_process(spate_key_by(src, 0), pf_timers_no_fn, NULL, spate_stream_schema(src)));
  r = tk_run(env, "timer without function");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  assert_non_null(strstr(spate_job_result_error(r), "no timer function"));
  spate_job_result_free(r);
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_states_p1),         cmocka_unit_test(test_states_p2),
      cmocka_unit_test(test_states_p4),         cmocka_unit_test(test_event_timers),
      cmocka_unit_test(test_processing_timer),  cmocka_unit_test(test_misuse),
      cmocka_unit_test(test_aggregating_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_keyed_functions.c: every function on a keyed stream runs in a keyed context (Flink's rich
 * functions after keyBy), on the MiniCluster:
 *  - spate_ctx_current_key is the record's key in map, flat map, filter, keyed reduce, window
 *    reduce and aggregate functions, a custom trigger's callbacks and the older window function
 *    form (each UDF fails the job when it is not), at parallelism 2;
 *  - map and filter on a keyed stream keep keyed state (the map declares it lazily with a
 *    scalar shortcut, the filter in its open function with a descriptor), checkpointed and
 *    restored: a job stopped with a savepoint after its first batch and resumed from it at
 *    another parallelism ends with counts per key as if never stopped, and its filter (first
 *    record of each key) keeps nothing, since every key was seen before the savepoint;
 *  - the scalar shortcuts (spate/state_shortcuts.h): value, list and map state of BIGINT,
 *    DOUBLE and STRING in a keyed process function, compared with values computed here; a read
 *    with another type fails the job naming the state, a typed walk of another type yields
 *    nothing;
 *  - keyed state in a map on a stream that is not keyed fails with a clear message.
 * UDFs have external linkage (the program is linked with -rdynamic) and a kf_ prefix.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spate/spate.h"
#include "support/testkit.h"

#define KEYS 7

/* Fails unless the current key is the one BIGINT field 0 of in. */
static int key_is(spate_ctx *ctx, const spate_row *in, const char *where) {
  const spate_row *k = spate_ctx_current_key(ctx);
  if (!k) return spate_ctx_fail(ctx, "%s: no current key", where);
  if (k->nfields != 1 || spate_row_bigint(k, 0) != spate_row_bigint(in, 0))
    return spate_ctx_fail(ctx, "%s: current key %lld, record key %lld", where,
                          (long long)spate_row_bigint(k, 0), (long long)spate_row_bigint(in, 0));
  return 0;
}

/* ---- the current key everywhere ------------------------------------------------------------ */
#define NK 1000

int kf_gen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, (i * 3) % KEYS);
  spate_rb_set_bigint(out, 1, i); /* timestamp */
  spate_rb_set_bigint(out, 2, 1);
  return 0;
}

int kf_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  int rc = key_is(ctx, in, "map");
  for (int i = 0; rc == 0 && i < 3; i++) spate_rb_set_field(out, i, in, i);
  return rc;
}
int kf_filter(spate_ctx *ctx, const spate_row *in) {
  int rc = key_is(ctx, in, "filter");
  return rc < 0 ? rc : 1;
}
int kf_flat_map(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  int rc = key_is(ctx, in, "flat map");
  if (rc < 0) return rc;
  spate_row_builder *b = spate_collect_begin(out);
  for (int i = 0; i < 3; i++) spate_rb_set_field(b, i, in, i);
  return spate_collect_emit(out);
}
int kf_reduce(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  int rc = key_is(ctx, in, "reduce");
  if (rc == 0) rc = key_is(ctx, acc, "reduce (accumulator)");
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_field(out, 1, in, 1);
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + spate_row_bigint(in, 2));
  return rc;
}
int kf_wreduce(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  int rc = key_is(ctx, in, "window reduce");
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_field(out, 1, acc, 1);
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2) + spate_row_bigint(in, 2));
  return rc;
}
int kf_agg_create(spate_ctx *ctx, spate_row_builder *acc) {
  spate_rb_set_bigint(acc, 0, 0);
  return 0;
}
int kf_agg_add(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0) + 1);
  return key_is(ctx, in, "aggregate add");
}
int kf_agg_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out) {
  if (!spate_ctx_current_key(ctx)) return spate_ctx_fail(ctx, "aggregate result: no key");
  spate_rb_set_field(out, 0, spate_ctx_current_key(ctx), 0);
  spate_rb_set_bigint(out, 1, 0);
  spate_rb_set_field(out, 2, acc, 0);
  return 0;
}
/* the older window function form: no key parameter, but the current key */
int kf_apply(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *el,
             spate_collector *out) {
  spate_row e;
  int64_t n = 0;
  while (spate_window_next(el, &e)) {
    int rc = key_is(ctx, &e, "window function");
    if (rc < 0) return rc;
    n++;
  }
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, spate_ctx_current_key(ctx), 0);
  spate_rb_set_bigint(b, 1, w->start);
  spate_rb_set_bigint(b, 2, n);
  return spate_collect_emit(out);
}
/* custom trigger: fire at the window's end, checking the key on each element and timer */
int kf_on_element(spate_ctx *ctx, const spate_row *e, int64_t ts, const spate_time_window *w) {
  int rc = key_is(ctx, e, "trigger on_element");
  if (rc == 0) rc = spate_trigger_register_event_timer(ctx, w->end - 1);
  return rc < 0 ? rc : SPATE_TRIGGER_CONTINUE;
}
int kf_on_event_time(spate_ctx *ctx, int64_t t, const spate_time_window *w) {
  const spate_row *k = spate_ctx_current_key(ctx);
  if (!k || spate_row_bigint(k, 0) < 0 || spate_row_bigint(k, 0) >= KEYS)
    return spate_ctx_fail(ctx, "trigger on_event_time: no key");
  return t == w->end - 1 ? SPATE_TRIGGER_FIRE_AND_PURGE : SPATE_TRIGGER_CONTINUE;
}

static void test_current_key_everywhere(void **state) {
  (void)state;
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 2);
  const spate_schema *s = spate_env_schema(env, "k BIGINT, ts BIGINT, v BIGINT");
  spate_stream *src = spate_generate(env, s, kf_gen, NK);
  src = spate_assign_timestamps(src, 1, SPATE_WATERMARKS_BOUNDED, 0);
  spate_stream *keyed = spate_key_by(src, 0);
  spate_collect(spate_map(keyed, kf_map, s), "map");
  spate_collect(spate_filter(keyed, kf_filter), "filter");
  spate_collect(spate_flat_map(keyed, kf_flat_map, s), "flat_map");
  spate_collect(spate_reduce(keyed, kf_reduce), "reduce");
  spate_window_assigner tw = spate_tumbling_windows(SPATE_EVENT_TIME, 100, 0);
  spate_collect(spate_window_reduce(spate_window(keyed, tw), kf_wreduce), "wreduce");
  static const spate_aggregate_fns agg = {
      .create = kf_agg_create, .add = kf_agg_add, .result = kf_agg_result};
  spate_collect(
      spate_window_aggregate(spate_window(keyed, tw), &agg, spate_env_schema(env, "n BIGINT"), s),
      "agg");
  spate_stream *trig = spate_window_trigger(
      spate_window(keyed, tw), spate_custom_trigger(kf_on_element, kf_on_event_time, NULL));
  spate_collect(spate_window_apply(trig, kf_apply, s), "trigger");
  spate_job_result *r = tk_run(env, "current-key");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  assert_int_equal(spate_job_result_collected(r, "map", NULL, NULL), NK);
  assert_int_equal(spate_job_result_collected(r, "filter", NULL, NULL), NK);
  assert_int_equal(spate_job_result_collected(r, "flat_map", NULL, NULL), NK);
  assert_int_equal(spate_job_result_collected(r, "reduce", NULL, NULL), NK);
  /* every key has elements in each of the NK / 100 windows */
  assert_int_equal(spate_job_result_collected(r, "wreduce", NULL, NULL), KEYS * NK / 100);
  assert_int_equal(spate_job_result_collected(r, "agg", NULL, NULL), KEYS * NK / 100);
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "trigger", &rows, NULL);
  assert_int_equal(n, KEYS * NK / 100);
  int64_t total = 0;
  for (size_t i = 0; i < n; i++) total += spate_row_bigint(&rows[i], 2);
  assert_int_equal(total, NK);
  spate_job_result_free(r);
  spate_env_free(env);
}

/* ---- keyed state in map and filter, stopped with a savepoint and resumed ----------------- */
#define N 20000
#define BATCH 2000 /* the gated source's first batch, over both subtasks */

static _Atomic int64_t g_seen; /* records the map counted */

int kf_sgen(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, (i * 5) % KEYS);
  spate_rb_set_bigint(out, 1, 0);
  spate_rb_set_bigint(out, 2, i);
  return 0;
}

/* (k, running count of k): state declared on first use with a shortcut */
int kf_count(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  int rc = key_is(ctx, in, "map");
  spate_state *count = spate_value_state_bigint(ctx, "count");
  if (rc < 0 || !count) return rc < 0 ? rc : SPATE_EUDF;
  int64_t n = 0;
  if ((rc = spate_value_get_bigint(count, &n)) < 0 ||
      (rc = spate_value_set_bigint(count, n + 1)) < 0)
    return rc;
  spate_rb_set_field(out, 0, in, 0);
  spate_rb_set_bigint(out, 1, n + 1);
  spate_rb_set_bigint(out, 2, 0);
  atomic_fetch_add(&g_seen, 1);
  tk_notify();
  return 0;
}

static const spate_schema *g_flag;

/* first record of each key: state declared in open with a descriptor */
int kf_first_open(spate_ctx *ctx, void **user) {
  spate_state_desc d = {.name = "seen", .kind = SPATE_STATE_VALUE, .schema = g_flag};
  spate_state *s = spate_ctx_state(ctx, &d);
  spate_row_builder *b = spate_rb_new(g_flag);
  void **u = calloc(2, sizeof *u);
  u[0] = s;
  u[1] = b;
  *user = u;
  return s && b ? 0 : SPATE_EUDF;
}
void kf_first_close(spate_ctx *ctx, void *user) {
  void **u = user;
  spate_rb_free(u[1]);
  free(u);
}
int kf_first(spate_ctx *ctx, const spate_row *in) {
  void **u = spate_ctx_user(ctx);
  spate_row v;
  int rc = spate_value_get(u[0], &v);
  if (rc != 0) return rc < 0 ? rc : 0;
  spate_rb_begin(u[1]);
  spate_rb_set_bool(u[1], 0, true);
  if (spate_rb_finish(u[1], &v) < 0 || (rc = spate_value_update(u[0], &v)) < 0)
    return rc < 0 ? rc : SPATE_EINVAL;
  return 1;
}

static spate_env *stateful_job(int parallelism, const char *restore) {
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, parallelism);
  if (restore) spate_env_set(env, "execution.savepoint.path", restore);
  const spate_schema *s = spate_env_schema(env, "k BIGINT, n BIGINT, i BIGINT");
  g_flag = spate_env_schema(env, "seen BOOLEAN");
  spate_stream *src = spate_uid(restore ? spate_generate(env, s, kf_sgen, N)
                                        : spate_generate_per_checkpoint(env, s, kf_sgen, N, BATCH),
                                "src");
  spate_stream *keyed = spate_key_by(src, 0);
  spate_collect(spate_uid(spate_map(keyed, kf_count, s), "count"), "counts");
  spate_stream *first =
      spate_udf_lifecycle(spate_filter(keyed, kf_first), kf_first_open, kf_first_close);
  spate_collect(spate_uid(first, "first"), "firsts");
  return env;
}

static void test_keyed_state_in_map_and_filter_restored(void **state) {
  (void)state;
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_kf_");
  atomic_store(&g_seen, 0);
  spate_env *env = stateful_job(2, NULL);
  static tk_events ev;
  tk_events_reset(&ev);
  spate_env_set_job_listener(env, tk_listener, &ev);
  spate_job_client *c = spate_execute_async(env, "keyed-state");
  if (!c) fail_msg("not submitted: %s", spate_env_error(env));
  TK_AWAIT(atomic_load(&g_seen) == BATCH && tk_all_running(&ev),
           "the first batch counted (%lld of %d) with every task running",
           (long long)atomic_load(&g_seen), BATCH);
  char path[4096], err[512];
  if (tk_savepoint(c, dir, true, path, sizeof path, err, sizeof err) < 0)
    fail_msg("savepoint failed: %s", err);
  spate_job_result *r = tk_wait(c, "keyed-state");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  assert_int_equal(spate_job_result_collected(r, "firsts", NULL, NULL), KEYS);
  spate_job_result_free(r);
  spate_env_free(env);

  atomic_store(&g_seen, 0);
  env = stateful_job(3, path);
  r = tk_run(env, "keyed-state-restored");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("restored job failed: %s", spate_job_result_error(r));
  assert_int_equal(atomic_load(&g_seen), N - BATCH);
  int64_t want[KEYS] = {0}, got[KEYS] = {0}, least[KEYS];
  for (int64_t i = 0; i < N; i++) want[(i * 5) % KEYS]++;
  for (int k = 0; k < KEYS; k++) least[k] = INT64_MAX;
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "counts", &rows, NULL);
  assert_int_equal(n, N - BATCH);
  for (size_t i = 0; i < n; i++) {
    int64_t k = spate_row_bigint(&rows[i], 0), cnt = spate_row_bigint(&rows[i], 1);
    if (cnt > got[k]) got[k] = cnt;
    if (cnt < least[k]) least[k] = cnt;
  }
  for (int k = 0; k < KEYS; k++) {
    if (got[k] != want[k])
      fail_msg("key %d: count %lld, want %lld", k, (long long)got[k], (long long)want[k]);
    if (least[k] <= 1) fail_msg("key %d started from nothing after the restore", k);
  }
  /* every key was seen before the savepoint: the restored filter keeps nothing */
  assert_int_equal(spate_job_result_collected(r, "firsts", NULL, NULL), 0);
  spate_job_result_free(r);
  spate_env_free(env);
  tk_rm_rf(dir);
}

/* ---- scalar shortcuts --------------------------------------------------------------------- */
#define NS 600

int kf_words(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  static const char *const words[] = {"ant", "bee", "cat"};
  spate_rb_set_bigint(out, 0, i % 3);
  spate_rb_set_string(out, 1, words[(i / 3) % 3], 3);
  spate_rb_set_double(out, 2, (double)i / 2);
  spate_rb_set_bigint(out, 3, i);
  return 0;
}

/* The states kf_scalars keeps and kf_summary reads (both declare them alike). */
typedef struct {
  spate_state *count, *sum, *last, *list, *nums, *per_word, *per_mod, *word_of;
} kf_states;

static bool kf_states_of(spate_ctx *ctx, kf_states *st) {
  st->count = spate_value_state_bigint(ctx, "count");
  st->sum = spate_value_state_double(ctx, "sum");
  st->last = spate_value_state_string(ctx, "last");
  st->list = spate_list_state_string(ctx, "words");
  st->nums = spate_list_state_bigint(ctx, "nums");
  st->per_word =
      spate_scalar_state(ctx, "per-word", SPATE_STATE_MAP, SPATE_STRING, SPATE_BIGINT, false);
  st->per_mod =
      spate_scalar_state(ctx, "per-mod", SPATE_STATE_MAP, SPATE_BIGINT, SPATE_DOUBLE, false);
  st->word_of =
      spate_scalar_state(ctx, "word-of", SPATE_STATE_MAP, SPATE_BIGINT, SPATE_STRING, false);
  return st->count && st->sum && st->last && st->list && st->nums && st->per_word && st->per_mod &&
         st->word_of;
}

/* per key: count, sum of d, last word, words in a list, counts per word and per i % 4, word per
 * i % 5; at the end of input a timer emits a summary computed from all of them */
int kf_scalars(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  kf_states st;
  if (!kf_states_of(ctx, &st)) return SPATE_EUDF;
  spate_state *count = st.count, *sum = st.sum, *last = st.last, *list = st.list, *nums = st.nums,
              *per_word = st.per_word, *per_mod = st.per_mod, *word_of = st.word_of;
  spate_bytes w = spate_row_string(in, 1);
  int64_t i = spate_row_bigint(in, 3), n = 0, wc = 0;
  double s = 0, m = 0;
  int rc;
  if ((rc = spate_value_get_bigint(count, &n)) < 0 || (rc = spate_value_get_double(sum, &s)) < 0 ||
      (rc = spate_value_set_bigint(count, n + 1)) < 0 ||
      (rc = spate_value_set_double(sum, s + spate_row_double(in, 2))) < 0 ||
      (rc = spate_value_set_string(last, w.ptr, w.len)) < 0 ||
      (rc = spate_list_add_string(list, w.ptr, w.len)) < 0 ||
      (rc = spate_list_add_bigint(nums, i)) < 0 ||
      (rc = spate_map_get_string_bigint(per_word, w.ptr, w.len, &wc)) < 0 ||
      (rc = spate_map_put_string_bigint(per_word, w.ptr, w.len, wc + 1)) < 0 ||
      (rc = spate_map_get_bigint_double(per_mod, i % 4, &m)) < 0 ||
      (rc = spate_map_put_bigint_double(per_mod, i % 4, m + 0.5)) < 0 ||
      (rc = spate_map_put_bigint_string(word_of, i % 5, w.ptr, w.len)) < 0)
    return rc;
  return spate_ctx_register_event_timer(ctx, INT64_MAX - 1);
}

int kf_summary(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  kf_states st;
  (void)kf_states_of(ctx, &st); /* unchecked, as before: a NULL state's reads fail below */
  spate_state *count = st.count, *sum = st.sum, *last = st.last, *list = st.list, *nums = st.nums,
              *per_word = st.per_word, *per_mod = st.per_mod, *word_of = st.word_of;
  int64_t n = -1, nums_sum = 0, v, k;
  double s = -1, dv;
  spate_bytes lw = {0, 0}, b;
  if (spate_value_get_bigint(count, &n) != 1 || spate_value_get_double(sum, &s) != 1)
    return spate_ctx_fail(ctx, "count or sum absent");
  char text[256];
  int len = snprintf(text, sizeof text, "n=%lld sum=%.1f", (long long)n, s);
  if (spate_value_get_string(last, &lw) != 1) return spate_ctx_fail(ctx, "last absent");
  len += snprintf(text + len, sizeof text - (size_t)len, " last=%.*s", (int)lw.len, lw.ptr);
  spate_state_iter it;
  int64_t nw = 0, nbee = 0;
  if (spate_list_iter(list, &it) < 0) return SPATE_EUDF;
  while (spate_list_next_string(&it, &b)) {
    nw++;
    nbee += b.len == 3 && memcmp(b.ptr, "bee", 3) == 0;
  }
  if (spate_list_iter(nums, &it) < 0) return SPATE_EUDF;
  while (spate_list_next_bigint(&it, &v)) nums_sum += v;
  len += snprintf(text + len, sizeof text - (size_t)len, " words=%lld bee=%lld nums=%lld",
                  (long long)nw, (long long)nbee, (long long)nums_sum);
  int64_t bee = -1;
  if (spate_map_get_string_bigint(per_word, "bee", SPATE_STRLEN, &bee) < 0) return SPATE_EUDF;
  int64_t words_total = 0;
  if (spate_map_iter(per_word, &it) < 0) return SPATE_EUDF;
  while (spate_map_next_string_bigint(&it, &b, &v)) words_total += v;
  double mods = 0;
  if (spate_map_iter(per_mod, &it) < 0) return SPATE_EUDF;
  while (spate_map_next_bigint_double(&it, &k, &dv)) mods += dv;
  int64_t nkeys = 0;
  if (spate_map_iter(word_of, &it) < 0) return SPATE_EUDF;
  while (spate_map_next_bigint_string(&it, &k, &b)) nkeys++;
  int has2 = spate_map_contains_bigint(word_of, 2), gone = spate_map_remove_bigint(word_of, 2),
      again = spate_map_remove_bigint(word_of, 2);
  len +=
      snprintf(text + len, sizeof text - (size_t)len,
               " map-bee=%lld map-total=%lld mods=%.1f mod-keys=%lld removed=%d%d%d",
               (long long)bee, (long long)words_total, mods, (long long)nkeys, has2, gone, again);
  spate_row_builder *rb = spate_collect_begin(out);
  spate_rb_set_field(rb, 0, spate_ctx_current_key(ctx), 0);
  spate_rb_set_string(rb, 1, text, (size_t)len);
  return spate_collect_emit(out);
}

static void test_scalar_shortcuts(void **state) {
  (void)state;
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 2);
  const spate_schema *s = spate_env_schema(env, "k BIGINT, w STRING, d DOUBLE, i BIGINT");
  /* one source subtask: each key's rows then reach its keyed subtask in index order, so the
   * last word a key saw is that of its highest index (two source subtasks would interleave) */
  spate_stream *src = spate_parallelism(spate_generate(env, s, kf_words, NS), 1);
  src = spate_parallelism(spate_assign_timestamps(src, 3, SPATE_WATERMARKS_BOUNDED, 0), 1);
  spate_collect(spate_process(spate_key_by(src, 0), kf_scalars, kf_summary,
                              spate_env_schema(env, "k BIGINT, text STRING")),
                "out");
  spate_job_result *r = tk_run(env, "scalar-shortcuts");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("job failed: %s", spate_job_result_error(r));
  const spate_row *rows;
  size_t n = spate_job_result_collected(r, "out", &rows, NULL);
  assert_int_equal(n, 3);
  for (size_t j = 0; j < n; j++) {
    int64_t k = spate_row_bigint(&rows[j], 0);
    static const char *const words[] = {"ant", "bee", "cat"};
    int64_t cnt = 0, nbee = 0, nums = 0, lasti = -1;
    double sum = 0, mods = 0;
    bool mod_seen[5] = {false};
    int64_t nmod = 0;
    for (int64_t i = 0; i < NS; i++) {
      if (i % 3 != k) continue;
      cnt++;
      sum += (double)i / 2;
      nbee += (i / 3) % 3 == 1;
      nums += i;
      lasti = i;
      mods += 0.5;
      if (!mod_seen[i % 5]) nmod++;
      mod_seen[i % 5] = true;
    }
    char want[256];
    snprintf(want, sizeof want,
             "n=%lld sum=%.1f last=%s words=%lld bee=%lld nums=%lld map-bee=%lld map-total=%lld "
             "mods=%.1f mod-keys=%lld removed=%d%d%d",
             (long long)cnt, sum, words[(lasti / 3) % 3], (long long)cnt, (long long)nbee,
             (long long)nums, (long long)nbee, (long long)cnt, mods, (long long)nmod, mod_seen[2],
             mod_seen[2], 0);
    spate_bytes got = spate_row_string(&rows[j], 1);
    if (got.len != strlen(want) || memcmp(got.ptr, want, got.len) != 0)
      fail_msg("key %lld: '%.*s'\nwant '%s'", (long long)k, (int)got.len, got.ptr, want);
  }
  spate_job_result_free(r);
  spate_env_free(env);
}

/* A read or walk with another type than the state's is refused, naming the state. */
int kf_wrong_type(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_state *count = spate_value_state_bigint(ctx, "count");
  spate_state *nums = spate_list_state_bigint(ctx, "nums");
  spate_state_iter it;
  spate_bytes b;
  double d;
  if (!count || !nums || spate_list_add_bigint(nums, 1) < 0 || spate_list_iter(nums, &it) < 0)
    return SPATE_EUDF;
  if (spate_list_next_string(&it, &b)) return spate_ctx_fail(ctx, "a STRING walk of a BIGINT list");
  int rc = spate_value_get_double(count, &d);
  return rc < 0 ? rc : spate_ctx_fail(ctx, "a DOUBLE read of a BIGINT state succeeded");
}

static void test_scalar_type_checked(void **state) {
  (void)state;
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 1);
  const spate_schema *s = spate_env_schema(env, "k BIGINT, ts BIGINT, v BIGINT");
  spate_discard(
      spate_process(spate_key_by(spate_generate(env, s, kf_gen, 10), 0), kf_wrong_type, NULL, s));
  spate_job_result *r = tk_run(env, "wrong-type");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  if (!strstr(spate_job_result_error(r),
              "spate_value_get_double: state 'count' is a VALUE of BIGINT"))
    fail_msg("error: %s", spate_job_result_error(r));
  spate_job_result_free(r);
  spate_env_free(env);
}

/* ---- not keyed ---------------------------------------------------------------------------- */
int kf_unkeyed(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  if (spate_ctx_current_key(ctx)) return spate_ctx_fail(ctx, "a key on a stream without keys");
  spate_state *s = spate_value_state_bigint(ctx, "count");
  return s ? 0 : SPATE_EUDF;
}

static void test_state_needs_a_keyed_stream(void **state) {
  (void)state;
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, 1);
  const spate_schema *s = spate_env_schema(env, "k BIGINT, ts BIGINT, v BIGINT");
  spate_discard(spate_map(spate_generate(env, s, kf_gen, 10), kf_unkeyed, s));
  spate_job_result *r = tk_run(env, "not-keyed");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FAILED);
  if (!strstr(spate_job_result_error(r), "keyed state needs a keyed stream (spate_key_by)"))
    fail_msg("error: %s", spate_job_result_error(r));
  spate_job_result_free(r);
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_current_key_everywhere),
      cmocka_unit_test(test_keyed_state_in_map_and_filter_restored),
      cmocka_unit_test(test_scalar_shortcuts),
      cmocka_unit_test(test_scalar_type_checked),
      cmocka_unit_test(test_state_needs_a_keyed_stream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * bench_session_length.c: `session-apply` and `session-evictor`: event-time session windows
 * with a full window function (over every element of the session), without or with an evictor,
 * run at two session lengths with the same number of tuples, to show that an element costs the
 * same however long its session is (time linear in session length: the session keeps its state
 * window as it grows, so its contents are appended to, never copied per element).
 *
 *   generate i in [0, n): key = i % KEYS, round r = i / KEYS (every key gets one element per
 *   round, so timestamps ascend), session s = r / L, ts = r + s * GAP (a key's elements 1 ms
 *   apart within a session, GAP more between sessions, so sessions of exactly L elements)
 *   at parallelism 1 -> monotonous timestamps -> key by key -> session windows (gap GAP)
 *   [--evictor: count evictor keeping the last EVICT_KEEP elements, before the function]
 *   -> window function: count and sum of the values it is given, emits (key, count, sum)
 *   -> sink folding (key, window max timestamp, count, sum) into a checksum
 *
 * L is 10 and 100. The baseline is a hand-written loop over the same tuples keeping each key's
 * open session (count and sum, or the last EVICT_KEEP values), closing it when the next element
 * comes more than GAP after the last; both sides' checksums must agree at each length. The log
 * gives events/s and ns per element at both lengths and their ratio; the BENCH line's figure is
 * the events/s at L = 100 (the case that was quadratic), its baseline the loop's at L = 100.
 *
 *   bench_session_length [build_dir] (--apply | --evictor) [-n tuples] [-r runs]
 */
#include <stdatomic.h>
#include <string.h>

#include "bench_util.h"

#define DEFAULT_ROWS 2000000LL
#define KEYS 10000
#define GAP 1000
#define EVICT_KEEP 8
#define SEED 0x5e55a99ULL

int bsl_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int bsl_apply(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *e,
              spate_collector *out);
int bsl_sink(spate_ctx *ctx, const spate_row *in);

static int64_t session_len = 10; /* L of the current run (read by the generator) */
static _Atomic uint64_t engine_checksum, engine_sessions;

static int64_t key_of(int64_t i) { return i % KEYS; }
static int64_t ts_of(int64_t i) {
  int64_t r = i / KEYS;
  return r + (r / session_len) * GAP;
}
#define value_of(i) bench_tuple_value(SEED, i)

static uint64_t session_mix(int64_t key, int64_t max_ts, int64_t count, int64_t sum) {
  return bench_window_mix(key, max_ts, sum) * 31u + (uint64_t)count;
}

int bsl_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, key_of(i));
  spate_rb_set_bigint(out, 1, value_of(i));
  spate_rb_set_bigint(out, 2, ts_of(i));
  return 0;
}

int bsl_apply(spate_ctx *ctx, const spate_time_window *w, spate_window_elements *e,
              spate_collector *out) {
  spate_row r;
  int64_t key = 0, count = 0, sum = 0;
  while (spate_window_next(e, &r)) {
    key = spate_row_bigint(&r, 0);
    sum += spate_row_bigint(&r, 1);
    count++;
  }
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_bigint(b, 0, key);
  spate_rb_set_bigint(b, 1, count);
  spate_rb_set_bigint(b, 2, sum);
  return spate_collect_emit(out);
}

int bsl_sink(spate_ctx *ctx, const spate_row *in) {
  atomic_fetch_add(&engine_checksum, session_mix(spate_row_bigint(in, 0), spate_ctx_timestamp(ctx),
                                                 spate_row_bigint(in, 1), spate_row_bigint(in, 2)));
  atomic_fetch_add(&engine_sessions, 1);
  return 0;
}

static double run_engine(bool evictor, int64_t rows, bool verbose, uint64_t *checksum,
                         uint64_t *n) {
  atomic_store(&engine_checksum, 0);
  atomic_store(&engine_sessions, 0);
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "WARN");
  spate_env_set_parallelism(env, 1);
  const spate_schema *s =
      spate_env_schema(env, "key BIGINT NOT NULL, value BIGINT NOT NULL, ts BIGINT NOT NULL");
  const spate_schema *os =
      spate_env_schema(env, "key BIGINT NOT NULL, n BIGINT NOT NULL, sum BIGINT NOT NULL");
  spate_stream *src = spate_name(spate_generate(env, s, bsl_generate, rows), "gen");
  src = spate_assign_timestamps(src, 2, SPATE_WATERMARKS_MONOTONOUS, 0);
  spate_stream *w =
      spate_window(spate_key_by(src, 0), spate_session_windows(SPATE_EVENT_TIME, GAP));
  if (evictor) w = spate_window_evictor(w, spate_count_evictor(EVICT_KEEP, false));
  spate_sink(spate_name(spate_window_apply(w, bsl_apply, os), "session-apply"), bsl_sink);
  double t = bench_execute(env, "bench session length", t0, verbose);
  *checksum = atomic_load(&engine_checksum);
  *n = atomic_load(&engine_sessions);
  return t;
}

typedef struct open_session {
  int64_t last; /* INT64_MIN: none */
  int64_t count, sum;
  int64_t kept[EVICT_KEEP]; /* the evictor's last values, a ring (kept[count % KEEP] next) */
} open_session;

static uint64_t close_session(int64_t k, const open_session *o, bool evictor) {
  int64_t count = o->count, sum = o->sum;
  if (evictor && count > EVICT_KEEP) {
    count = EVICT_KEEP;
    sum = 0;
    for (int j = 0; j < EVICT_KEEP; j++) sum += o->kept[j];
  }
  return session_mix(k, o->last + GAP - 1, count, sum);
}

static double run_baseline(bool evictor, int64_t rows, uint64_t *checksum, uint64_t *n) {
  open_session *open = malloc(sizeof *open * KEYS);
  if (!open) abort();
  for (int k = 0; k < KEYS; k++) open[k].last = INT64_MIN;
  uint64_t sum = 0, count = 0;
  double t0 = bench_now();
  for (int64_t i = 0; i < rows; i++) {
    int64_t k = key_of(i), v = value_of(i), ts = ts_of(i);
    open_session *o = &open[k];
    if (o->last != INT64_MIN && ts > o->last + GAP) { /* [ts, ts + gap) misses the session */
      sum += close_session(k, o, evictor);
      count++;
      o->last = INT64_MIN;
    }
    if (o->last == INT64_MIN) o->count = o->sum = 0;
    if (evictor) o->kept[o->count % EVICT_KEEP] = v;
    o->last = ts;
    o->count++;
    o->sum += v;
  }
  for (int k = 0; k < KEYS; k++)
    if (open[k].last != INT64_MIN) {
      sum += close_session(k, &open[k], evictor);
      count++;
    }
  double t = bench_now() - t0;
  free(open);
  *checksum = sum;
  *n = count;
  return t;
}

int main(int argc, char **argv) {
  bool evictor = false, mode = false;
  int nargs = 0;
  char *args[16];
  if (argc > 16) {
    fprintf(stderr, "%s: too many arguments\n", argv[0]);
    return 2;
  }
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--apply") == 0 || strcmp(argv[i], "--evictor") == 0) {
      evictor = strcmp(argv[i], "--evictor") == 0;
      mode = true;
      continue;
    }
    args[nargs++] = argv[i];
  }
  if (!mode) {
    fprintf(stderr, "usage: %s [build_dir] (--apply | --evictor) [-n tuples] [-r runs]\n", argv[0]);
    return 2;
  }
  bench_opts o = bench_parse_args(nargs, args);
  int64_t rows = o.count ? o.count : DEFAULT_ROWS;
  const char *name = evictor ? "session-evictor" : "session-apply";
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf(
      "%s: %lld tuples over %d keys, event-time session windows (gap %d ms) of 10 and 100 "
      "elements, window function over %s (p=1)\n",
      name, (long long)rows, KEYS, GAP, evictor ? "the last 8 (count evictor)" : "all elements");
  static const int64_t lengths[2] = {10, 100};
  double eng_s[2], base_s[2];
  for (int l = 0; l < 2; l++) {
    session_len = lengths[l];
    printf("-- %lld elements per session\n", (long long)session_len);
    uint64_t ce = 0, cb = 0, ne = 0, nb = 0;
    bench_best base = {0}, eng = {0};
    while (bench_again(&base, &o) || bench_again(&eng, &o)) {
      if (bench_again(&base, &o))
        bench_record(&base, "baseline", run_baseline(evictor, rows, &cb, &nb));
      if (bench_again(&eng, &o)) {
        double t = run_engine(evictor, rows, eng.done == 0, &ce, &ne);
        if (t < 0) return 1;
        bench_record(&eng, "engine", t);
      }
    }
    printf("sessions: engine %llu, baseline %llu; checksum: engine %llu, baseline %llu\n",
           (unsigned long long)ne, (unsigned long long)nb, (unsigned long long)ce,
           (unsigned long long)cb);
    if (ce != cb || ne != nb) {
      fprintf(stderr, "FAIL: the engine's sessions differ from the baseline's\n");
      return 1;
    }
    eng_s[l] = eng.best_s;
    base_s[l] = base.best_s;
  }
  for (int l = 0; l < 2; l++)
    printf("L=%-3lld engine %.0f events/s = %.0f ns per element; baseline %.0f events/s\n",
           (long long)lengths[l], (double)rows / eng_s[l], eng_s[l] * 1e9 / (double)rows,
           (double)rows / base_s[l]);
  printf(
      "per-element cost at L=100 / at L=10: %.2f (1.00: linear in session length; "
      "quadratic would be ~10)\n",
      eng_s[1] / eng_s[0]);
  bench_report(name, rows, eng_s[1], base_s[1]);
  return 0;
}

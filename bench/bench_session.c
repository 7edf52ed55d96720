/*
 * bench_session.c: `session`: event-time session windows over 1,000,000 keys with a 10 s gap.
 *
 *   generate (key uniform in 0..999,999, value in [-1000, 1000], ts = i / 1000 ms) at
 *   parallelism 1 -> monotonous timestamps -> key by key -> session windows (gap 10 s)
 *   -> reduce: sum of value (parallelism -p) -> sink adding to a checksum
 *
 * The baseline is a hand-written loop over the same tuples keeping one open session per key
 * (Flink's merging rule for ascending timestamps: a new element joins the open session when it
 * comes no later than its end, i.e. last + gap; otherwise the session is emitted and a new one
 * starts); at the end every open session is emitted. Both sides fold each emitted
 * (key, window max timestamp, sum) into an order-independent checksum, which must agree.
 *
 *   bench_session [build_dir] [-p parallelism] [-n tuples] [-r runs]
 */
#include <stdatomic.h>

#include "bench_util.h"

#define DEFAULT_ROWS 10000000LL
#define KEYS 1000000
#define GAP 10000
#define SEED 0x5e5510aULL

int bs_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int bs_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out);
int bs_sink(spate_ctx *ctx, const spate_row *in);

static _Atomic uint64_t engine_checksum, engine_sessions;

#define key_of(i) bench_tuple_key(SEED, i, KEYS)
#define value_of(i) bench_tuple_value(SEED, i)
#define mix bench_window_mix

int bs_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, key_of(i));
  spate_rb_set_bigint(out, 1, value_of(i));
  spate_rb_set_bigint(out, 2, i / 1000);
  return 0;
}

int bs_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2));
  return 0;
}

int bs_sink(spate_ctx *ctx, const spate_row *in) {
  atomic_fetch_add(&engine_checksum,
                   mix(spate_row_bigint(in, 0), spate_ctx_timestamp(ctx), spate_row_bigint(in, 1)));
  atomic_fetch_add(&engine_sessions, 1);
  return 0;
}

static double run_engine(int p, int64_t rows, bool verbose, uint64_t *checksum, uint64_t *n) {
  atomic_store(&engine_checksum, 0);
  atomic_store(&engine_sessions, 0);
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "WARN");
  spate_env_set_parallelism(env, p);
  const spate_schema *s =
      spate_env_schema(env, "key BIGINT NOT NULL, value BIGINT NOT NULL, ts BIGINT NOT NULL");
  spate_stream *src =
      spate_parallelism(spate_name(spate_generate(env, s, bs_generate, rows), "gen"), 1);
  src = spate_parallelism(spate_assign_timestamps(src, 2, SPATE_WATERMARKS_MONOTONOUS, 0), 1);
  spate_stream *w =
      spate_window(spate_key_by(src, 0), spate_session_windows(SPATE_EVENT_TIME, GAP));
  spate_sink(spate_name(spate_window_reduce(w, bs_sum), "session-sum"), bs_sink);
  double t = bench_execute(env, "bench session", t0, verbose);
  *checksum = atomic_load(&engine_checksum);
  *n = atomic_load(&engine_sessions);
  return t;
}

typedef struct open_session {
  int64_t start, last, sum; /* last == INT64_MIN: none */
} open_session;

static double run_baseline(int64_t rows, uint64_t *checksum, uint64_t *n) {
  open_session *open = malloc(sizeof *open * KEYS);
  if (!open) abort();
  for (int k = 0; k < KEYS; k++) open[k].last = INT64_MIN;
  uint64_t sum = 0, count = 0;
  double t0 = bench_now();
  for (int64_t i = 0; i < rows; i++) {
    int64_t k = key_of(i), v = value_of(i), ts = i / 1000;
    open_session *o = &open[k];
    if (o->last != INT64_MIN && ts <= o->last + GAP) { /* [ts, ts+gap) touches [start, last+gap) */
      o->last = ts;
      o->sum += v;
      continue;
    }
    if (o->last != INT64_MIN) {
      sum += mix(k, o->last + GAP - 1, o->sum);
      count++;
    }
    o->start = ts;
    o->last = ts;
    o->sum = v;
  }
  for (int k = 0; k < KEYS; k++)
    if (open[k].last != INT64_MIN) {
      sum += mix(k, open[k].last + GAP - 1, open[k].sum);
      count++;
    }
  double t = bench_now() - t0;
  free(open);
  *checksum = sum;
  *n = count;
  return t;
}

int main(int argc, char **argv) {
  bench_opts o = bench_parse_args(argc, argv);
  int p = o.parallelism ? o.parallelism : 1;
  int64_t rows = o.count ? o.count : DEFAULT_ROWS;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("session: %lld tuples over %d keys, event-time session windows (gap %d ms), sum (p=%d)\n",
         (long long)rows, KEYS, GAP, p);
  uint64_t ce = 0, cb = 0, ne = 0, nb = 0;
  bench_best base = {0}, eng = {0};
  while (bench_again(&base, &o) || bench_again(&eng, &o)) {
    if (bench_again(&base, &o)) bench_record(&base, "baseline", run_baseline(rows, &cb, &nb));
    if (bench_again(&eng, &o)) {
      double t = run_engine(p, rows, eng.done == 0, &ce, &ne);
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
  bench_report("session", rows, eng.best_s, base.best_s);
  return 0;
}

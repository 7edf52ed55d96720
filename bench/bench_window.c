/*
 * bench_window.c: `window-tumbling` and `window-sliding`: an event-time window sum per key.
 *
 *   generate (key uniform in 0..keys-1, value in [-1000, 1000], ts = i / 1000 ms) at
 *   parallelism 1 (or --src-p) -> monotonous timestamps -> key by key -> window (1 s tumbling,
 *   or 10 s sliding by 1 s) -> reduce: sum of value (parallelism -p) -> sink adding to a
 *   checksum
 *
 * Keys and values are pure functions of the index (splitmix64), so the baseline (a hand-written
 * loop over the same tuples, one table of sums per open window in a ring) must produce the same
 * windows. The checksum adds, for every emitted (key, window max timestamp, sum), a hash of key
 * and window plus the sum: order-independent, so it does not depend on the parallelism.
 *
 * keys is 10,000, or --keys N (window-tumbling-1m: 1,000,000, about one element per key and
 * window). A source at parallelism 2 (--src-p 2: window-*-src2) splits the indexes between
 * two generators, each ascending in time; the watermark is their minimum, so the windows and
 * the checksum are the same.
 *
 *   bench_window [build_dir] [--sliding] [--keys N] [--src-p N] [-p parallelism] [-n tuples]
 *                [-r runs]
 */
#include <stdatomic.h>

#include "bench_state_memory.h"
#include "bench_util.h"

#define DEFAULT_ROWS 20000000LL
#define DEFAULT_KEYS 10000
#define SEED 0x3a17d0e5ULL

int bw_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int bw_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out);
int bw_sink(spate_ctx *ctx, const spate_row *in);

static _Atomic uint64_t engine_checksum;
static _Atomic uint64_t engine_windows;
static int64_t nkeys = DEFAULT_KEYS; /* --keys */

#define key_of(i) bench_tuple_key(SEED, i, nkeys)
#define value_of(i) bench_tuple_value(SEED, i)
#define mix bench_window_mix

int bw_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, key_of(i));
  spate_rb_set_bigint(out, 1, value_of(i));
  spate_rb_set_bigint(out, 2, i / 1000);
  return 0;
}

int bw_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2));
  return 0;
}

int bw_sink(spate_ctx *ctx, const spate_row *in) {
  atomic_fetch_add(&engine_checksum,
                   mix(spate_row_bigint(in, 0), spate_ctx_timestamp(ctx), spate_row_bigint(in, 1)));
  atomic_fetch_add(&engine_windows, 1);
  return 0;
}

static double run_engine(int p, int src_p, int64_t rows, int64_t size, int64_t slide, bool verbose,
                         uint64_t *checksum, uint64_t *windows) {
  atomic_store(&engine_checksum, 0);
  atomic_store(&engine_windows, 0);
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "WARN");
  spate_env_set_parallelism(env, p);
  const spate_schema *schema =
      spate_env_schema(env, "key BIGINT NOT NULL, value BIGINT NOT NULL, ts BIGINT NOT NULL");
  spate_stream *s =
      spate_parallelism(spate_name(spate_generate(env, schema, bw_generate, rows), "gen"), src_p);
  s = spate_parallelism(spate_assign_timestamps(s, 2, SPATE_WATERMARKS_MONOTONOUS, 0), src_p);
  spate_window_assigner a = slide == size ? spate_tumbling_windows(SPATE_EVENT_TIME, size, 0)
                                          : spate_sliding_windows(SPATE_EVENT_TIME, size, slide, 0);
  s = spate_name(spate_window_reduce(spate_window(spate_key_by(s, 0), a), bw_sum), "window-sum");
  spate_sink(s, bw_sink);
  double t = bench_execute(env, "bench window", t0, verbose);
  *checksum = atomic_load(&engine_checksum);
  *windows = atomic_load(&engine_windows);
  return t;
}

/* One table of per-key sums for each of the size/slide windows open at a time, in a ring;
 * timestamps ascend, so a slot is flushed when a later window claims it. */
typedef struct slot {
  int64_t start; /* INT64_MIN: unused */
  int64_t *sums; /* [nkeys] */
  bool *has;     /* [nkeys] */
} slot;

static void flush(slot *s, int64_t size, uint64_t *sum, uint64_t *windows) {
  if (s->start == INT64_MIN) return;
  for (int64_t k = 0; k < nkeys; k++)
    if (s->has[k]) {
      *sum += mix(k, s->start + size - 1, s->sums[k]);
      (*windows)++;
    }
  memset(s->sums, 0, (size_t)nkeys * sizeof *s->sums);
  memset(s->has, 0, (size_t)nkeys * sizeof *s->has);
  s->start = INT64_MIN;
}

static double run_baseline(int64_t rows, int64_t size, int64_t slide, uint64_t *checksum,
                           uint64_t *windows) {
  int nslots = (int)(size / slide);
  slot *ring = calloc((size_t)nslots, sizeof *ring);
  if (!ring) abort();
  for (int i = 0; i < nslots; i++) {
    ring[i].start = INT64_MIN;
    ring[i].sums = calloc((size_t)nkeys, sizeof *ring[i].sums);
    ring[i].has = calloc((size_t)nkeys, sizeof *ring[i].has);
    if (!ring[i].sums || !ring[i].has) abort();
  }
  uint64_t sum = 0, nw = 0;
  double t0 = bench_now();
  for (int64_t i = 0; i < rows; i++) {
    int64_t ts = i / 1000, k = key_of(i), v = value_of(i);
    int64_t last = ts - ts % slide; /* ts >= 0 */
    for (int64_t st = last; st > ts - size; st -= slide) {
      int64_t q = st / slide, idx = q % nslots;
      if (idx < 0) idx += nslots;
      slot *s = &ring[idx];
      if (s->start != st) {
        flush(s, size, &sum, &nw);
        s->start = st;
      }
      s->sums[k] += v;
      s->has[k] = true;
    }
  }
  /* the end of input fires the rest */
  for (int i = 0; i < nslots; i++) flush(&ring[i], size, &sum, &nw);
  double t = bench_now() - t0;
  for (int i = 0; i < nslots; i++) {
    free(ring[i].sums);
    free(ring[i].has);
  }
  free(ring);
  *checksum = sum;
  *windows = nw;
  return t;
}

int main(int argc, char **argv) {
  bool sliding = false;
  int n = 0, src_p = 1;
  for (int i = 0; i < argc; i++) { /* drop our options before the shared parser sees them */
    long long v = 0;
    bool valued = (strcmp(argv[i], "--keys") == 0 || strcmp(argv[i], "--src-p") == 0);
    if (valued) {
      char *end = NULL;
      if (i + 1 < argc) v = strtoll(argv[i + 1], &end, 10);
      if (i + 1 >= argc || *end || v <= 0 || v > 100000000) {
        fprintf(stderr, "bench_window: %s needs a positive number\n", argv[i]);
        return 2;
      }
    }
    if (strcmp(argv[i], "--sliding") == 0)
      sliding = true;
    else if (strcmp(argv[i], "--keys") == 0)
      nkeys = v, i++;
    else if (strcmp(argv[i], "--src-p") == 0)
      src_p = (int)v, i++;
    else
      argv[n++] = argv[i];
  }
  argc = n;
  bench_opts o = bench_parse_args(argc, argv);
  int p = o.parallelism ? o.parallelism : 1;
  int64_t rows = o.count ? o.count : DEFAULT_ROWS;
  int64_t size = sliding ? 10000 : 1000, slide = 1000;
  char name[64];
  snprintf(name, sizeof name, "%s%s%s", sliding ? "window-sliding" : "window-tumbling",
           nkeys == 1000000        ? "-1m"
           : nkeys == DEFAULT_KEYS ? ""
                                   : "-keys",
           src_p == 2   ? "-src2"
           : src_p == 1 ? ""
                        : "-srcp");
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf(
      "%s: %lld tuples over %lld keys, ts = i/1000 ms, window %lld ms slide %lld ms, sum per "
      "key and window (source p=%d, window p=%d)\n",
      name, (long long)rows, (long long)nkeys, (long long)size, (long long)slide, src_p, p);
  /* memory of the reduce's state: one entry per key and open window (size / slide of them) */
  if (bench_state_memory(name, KS_REDUCING, (int)nkeys, (int)(size / slide), 3) < 0) return 1;
  uint64_t ce = 0, cb = 0, we = 0, wb = 0;
  bench_best base = {0}, eng = {0};
  while (bench_again(&base, &o) || bench_again(&eng, &o)) {
    if (bench_again(&base, &o))
      bench_record(&base, "baseline", run_baseline(rows, size, slide, &cb, &wb));
    if (bench_again(&eng, &o)) {
      double t = run_engine(p, src_p, rows, size, slide, eng.done == 0, &ce, &we);
      if (t < 0) return 1;
      bench_record(&eng, "engine", t);
    }
  }
  printf("windows: engine %llu, baseline %llu; checksum: engine %llu, baseline %llu\n",
         (unsigned long long)we, (unsigned long long)wb, (unsigned long long)ce,
         (unsigned long long)cb);
  if (ce != cb || we != wb) {
    fprintf(stderr, "FAIL: results differ\n");
    return 1;
  }
  bench_report(name, rows, eng.best_s, base.best_s);
  return 0;
}

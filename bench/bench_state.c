/*
 * bench_state.c: `state-value`: a keyed process function that reads and updates one value
 * state per record over 1,000,000 keys.
 *
 *   generate (key BIGINT uniform in 0..999,999 by a fixed-seed hash, 1) at parallelism 1
 *   -> key by key -> process: count = state.get() + 1; state.update(count)   (parallelism -p)
 *   -> (emits nothing)
 *
 * Before the runs it prints what one value-state entry of this shape costs in memory (MEMORY line,
 * bench_state_memory.h).
 *
 * Every subtask adds its records' counts into a checksum at close: the sum over keys of
 * count*(count+1)/2 is order-independent, so the baseline (an open-addressing table of the
 * same counts, one loop) must print the same number.
 *
 *   bench_state [build_dir] [-p parallelism] [-n rows] [-r runs]
 */
#include <stdatomic.h>

#include "bench_state_memory.h"
#include "bench_util.h"

#define DEFAULT_ROWS 10000000LL
#define KEYS 1000000ULL
#define SEED 0x57a7e5eedULL

int st_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int st_open(spate_ctx *ctx, void **user);
void st_close(spate_ctx *ctx, void *user);
int st_count(spate_ctx *ctx, const spate_row *in, spate_collector *out);

static _Atomic uint64_t engine_checksum;

int st_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, (int64_t)(bench_splitmix64(SEED + (uint64_t)index) % KEYS));
  return 0;
}

typedef struct st_user {
  spate_state *count;
  spate_row_builder *rb;
  uint64_t checksum;
} st_user;

int st_open(spate_ctx *ctx, void **user) {
  st_user *u = calloc(1, sizeof *u);
  spate_schema *n = NULL;
  char err[64];
  if (!u || spate_schema_parse("n BIGINT NOT NULL", &n, err, sizeof err) < 0) return -1;
  spate_state_desc d = {.name = "count", .kind = SPATE_STATE_VALUE, .schema = n};
  u->count = spate_ctx_state(ctx, &d);
  u->rb = spate_rb_new(n);
  spate_schema_free(n);
  *user = u;
  return u->count && u->rb ? 0 : -1;
}

void st_close(spate_ctx *ctx, void *user) {
  st_user *u = user;
  atomic_fetch_add(&engine_checksum, u->checksum);
  spate_rb_free(u->rb);
  free(u);
}

int st_count(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  st_user *u = spate_ctx_user(ctx);
  spate_row cur, next;
  int found = spate_value_get(u->count, &cur);
  if (found < 0) return found;
  int64_t n = (found ? spate_row_bigint(&cur, 0) : 0) + 1;
  spate_rb_begin(u->rb);
  spate_rb_set_bigint(u->rb, 0, n);
  if (spate_rb_finish(u->rb, &next) < 0) return -1;
  u->checksum += (uint64_t)n; /* summed per record: sum of 1..count per key */
  return spate_value_update(u->count, &next);
}

static double run_engine(int p, int64_t rows, bool verbose, uint64_t *checksum) {
  atomic_store(&engine_checksum, 0);
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", "WARN");
  spate_env_set_parallelism(env, p);
  const spate_schema *schema = spate_env_schema(env, "key BIGINT NOT NULL");
  spate_stream *s =
      spate_parallelism(spate_name(spate_generate(env, schema, st_generate, rows), "gen"), 1);
  s = spate_process(spate_key_by(s, 0), st_count, NULL, schema);
  spate_udf_lifecycle(spate_name(s, "count"), st_open, st_close);
  spate_discard(s);
  double t = bench_execute(env, "bench state", t0, verbose);
  *checksum = atomic_load(&engine_checksum);
  return t;
}

/* The same counting with a hand-written open-addressing table (key -> count). */
static double run_baseline(int64_t rows, uint64_t *checksum) {
  size_t cap = 1u << 21; /* > 2 x KEYS */
  int64_t *keys = malloc(cap * sizeof *keys), *counts = calloc(cap, sizeof *counts);
  if (!keys || !counts) abort();
  for (size_t i = 0; i < cap; i++) keys[i] = -1;
  uint64_t sum = 0;
  double t0 = bench_now();
  for (int64_t i = 0; i < rows; i++) {
    int64_t k = (int64_t)(bench_splitmix64(SEED + (uint64_t)i) % KEYS);
    size_t h = (size_t)(bench_splitmix64((uint64_t)k) & (cap - 1));
    while (keys[h] != -1 && keys[h] != k) h = (h + 1) & (cap - 1);
    keys[h] = k;
    sum += (uint64_t)++counts[h];
  }
  double t = bench_now() - t0;
  free(keys);
  free(counts);
  *checksum = sum;
  return t;
}

int main(int argc, char **argv) {
  bench_opts o = bench_parse_args(argc, argv);
  int p = o.parallelism ? o.parallelism : 1;
  int64_t rows = o.count ? o.count : DEFAULT_ROWS;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("state-value: %lld rows over %llu keys, key by -> value state get+update (p=%d)\n",
         (long long)rows, (unsigned long long)KEYS, p);
  if (bench_state_memory("state-value", KS_VALUE, (int64_t)KEYS, 0, 1) < 0) return 1;
  uint64_t ce = 0, cb = 0;
  bench_best base = {0}, eng = {0};
  while (bench_again(&base, &o) || bench_again(&eng, &o)) {
    if (bench_again(&base, &o)) bench_record(&base, "baseline", run_baseline(rows, &cb));
    if (bench_again(&eng, &o)) {
      double t = run_engine(p, rows, eng.done == 0, &ce);
      if (t < 0) return 1;
      bench_record(&eng, "engine", t);
    }
  }
  printf("checksum: engine %llu, baseline %llu\n", (unsigned long long)ce, (unsigned long long)cb);
  if (ce != cb) {
    fprintf(stderr, "FAIL: checksums differ\n");
    return 1;
  }
  bench_report("state-value", rows, eng.best_s, base.best_s);
  return 0;
}

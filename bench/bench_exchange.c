/*
 * bench_exchange.c: the cost of moving records between tasks. 50,000,000 rows
 *
 *   generate (value BIGINT) = i   at parallelism 1
 *   -> rebalance
 *   -> map     value * 0x9e3779b97f4a7c15 >> 7   at parallelism 2
 *   -> discard                                    (chained to the map)
 *
 * so every record is serialized into a network buffer, handed to another thread and read there.
 * The baseline is the generator and the map called in one loop with the same row builders. The
 * job result must show every record arriving at the sink.
 *
 *   bench_exchange [build_dir] [-p map_parallelism] [-n rows] [-r runs] [--keyed]
 *                  [--source-p parallelism]
 *
 * --keyed replaces the rebalance with key_by(value): every record is hashed as Flink does (Java
 * hash, murmur, key group) on its way, and the line is named exchange-keyed-<p>. --source-p S runs
 * the generator at parallelism S instead of 1 (adding -s<S> to the name), so that more than one
 * core produces.
 */
#include "bench_util.h"

#define DEFAULT_ROWS 50000000LL

int xchg_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int xchg_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);

int xchg_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, index);
  return 0;
}

int xchg_map(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  uint64_t v = (uint64_t)spate_row_bigint(in, 0);
  spate_rb_set_bigint(out, 0, (int64_t)((v * 0x9e3779b97f4a7c15ULL) >> 7));
  return 0;
}

#define SCHEMA "value BIGINT NOT NULL"

static double run_engine(int p, int source_p, bool keyed, int64_t rows, bool verbose) {
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  if (!env) return -1;
  spate_env_set(env, "log.level", "WARN"); /* keep the job's INFO lines out of the figures */
  spate_env_set_parallelism(env, p);
  const spate_schema *schema = spate_env_schema(env, SCHEMA);
  spate_stream *s = spate_generate(env, schema, xchg_generate, rows);
  s = spate_parallelism(spate_name(s, "gen"), source_p);
  s = keyed ? spate_key_by(s, 0) : spate_rebalance(s);
  s = spate_parallelism(spate_name(spate_map(s, xchg_map, schema), "map"), p);
  spate_parallelism(spate_name(spate_discard(s), "discard"), p);
  spate_job_result *r = spate_execute(env, "bench exchange");
  double t = bench_now() - t0;
  bool ok = bench_result_ok(r, verbose);
  if (!ok && spate_env_error(env)) fprintf(stderr, "env error: %s\n", spate_env_error(env));
  if (ok) {
    long i = bench_find_operator(r, "discard");
    if (i < 0)
      printf("    note: no operator named like \"discard\" in the job result\n");
    else if (spate_job_result_records_in(r, (size_t)i) != (uint64_t)rows) {
      fprintf(stderr, "FAIL: discard received %llu records, expected %lld\n",
              (unsigned long long)spate_job_result_records_in(r, (size_t)i), (long long)rows);
      ok = false;
    }
  }
  spate_job_result_free(r);
  spate_env_free(env);
  return ok ? t : -1;
}

static double run_baseline(int64_t rows, uint64_t *check) {
  spate_env *env = spate_env_create(); /* only as the owner of the schema */
  const spate_schema *schema = spate_env_schema(env, SCHEMA);
  spate_row_builder *b0 = spate_rb_new(schema), *b1 = spate_rb_new(schema);
  if (!b0 || !b1) abort();
  uint64_t sum = 0;
  int rc = 0;
  double t0 = bench_now();
  for (int64_t i = 0; i < rows; i++) {
    spate_row r0, r1;
    spate_rb_begin(b0);
    rc |= xchg_generate(NULL, i, b0);
    rc |= spate_rb_finish(b0, &r0);
    spate_rb_begin(b1);
    rc |= xchg_map(NULL, &r0, b1);
    rc |= spate_rb_finish(b1, &r1);
    sum += r1.len; /* discard */
  }
  double t = bench_now() - t0;
  if (rc) {
    fprintf(stderr, "FAIL: baseline row building failed: %s\n", spate_rb_error(b0));
    exit(1);
  }
  spate_rb_free(b0);
  spate_rb_free(b1);
  spate_env_free(env);
  *check = sum;
  return t;
}

/* Takes this benchmark's own options (--keyed, --source-p) out of argv; returns the new argc. */
static int own_options(int argc, char **argv, bool *keyed, int *source_p) {
  int n = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--keyed") == 0) {
      *keyed = true;
    } else if (strcmp(argv[i], "--source-p") == 0) {
      long x = i + 1 < argc ? strtol(argv[i + 1], NULL, 10) : 0;
      if (x <= 0 || x > 1024) bench_usage(argv[0]);
      *source_p = (int)x;
      i++;
    } else {
      argv[n++] = argv[i];
    }
  }
  return n;
}

int main(int argc, char **argv) {
  bool keyed = false;
  int source_p = 1;
  argc = own_options(argc, argv, &keyed, &source_p);
  bench_opts o = bench_parse_args(argc, argv);
  int p = o.parallelism ? o.parallelism : 2;
  int64_t rows = o.count ? o.count : DEFAULT_ROWS;
  char name[64] = "exchange";
  if (keyed) snprintf(name, sizeof name, "exchange-keyed-%d", p);
  if (source_p != 1) snprintf(name + strlen(name), sizeof name - strlen(name), "-s%d", source_p);
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("%s: %lld rows, generate (p=%d) -> %s -> map (p=%d) -> discard\n", name, (long long)rows,
         source_p, keyed ? "key_by(value)" : "rebalance", p);

  uint64_t check = 0;
  bench_best base = {0}, eng = {0};
  /* The sides alternate so that a change in background load hits both. */
  while (bench_again(&base, &o) || bench_again(&eng, &o)) {
    if (bench_again(&base, &o)) bench_record(&base, "baseline", run_baseline(rows, &check));
    if (bench_again(&eng, &o)) {
      double t = run_engine(p, source_p, keyed, rows, eng.done == 0);
      if (t < 0) return 1;
      bench_record(&eng, "engine", t);
    }
  }
  bench_report(name, rows, eng.best_s, base.best_s);
  return 0;
}

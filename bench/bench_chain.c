/*
 * bench_chain.c: the cost of an operator chain. 50,000,000 rows go through
 *
 *   generate (id BIGINT, value DOUBLE) = (i, i * 0.5)
 *   -> map     value = value * 1.1 + id
 *   -> filter  id % 3 != 0              (keeps two rows in three)
 *   -> map     (id, value, flag BOOLEAN = value > 1e6)
 *   -> discard
 *
 * all at parallelism 1, so the whole job is one chain in one task and no record crosses a buffer.
 * The baseline is a loop that builds each row with the same spate_rb_* builders and calls the very
 * same UDFs directly, so the ratio is the engine's overhead on top of the user's own work. The
 * operators' record counts in the job result are checked against what the loop counted.
 *
 *   bench_chain [build_dir] [-n rows] [-r runs]
 */
#include "bench_util.h"

#define DEFAULT_ROWS 50000000LL

int chain_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int chain_map1(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);
int chain_filter(spate_ctx *ctx, const spate_row *in);
int chain_map2(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);

int chain_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, index);
  spate_rb_set_double(out, 1, (double)index * 0.5);
  return 0;
}

int chain_map1(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  int64_t id = spate_row_bigint(in, 0);
  spate_rb_set_bigint(out, 0, id);
  spate_rb_set_double(out, 1, spate_row_double(in, 1) * 1.1 + (double)id);
  return 0;
}

int chain_filter(spate_ctx *ctx, const spate_row *in) { return spate_row_bigint(in, 0) % 3 != 0; }

int chain_map2(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  double v = spate_row_double(in, 1);
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  spate_rb_set_double(out, 1, v);
  spate_rb_set_bool(out, 2, v > 1e6);
  return 0;
}

#define SCHEMA_A "id BIGINT NOT NULL, value DOUBLE NOT NULL"
#define SCHEMA_B "id BIGINT NOT NULL, value DOUBLE NOT NULL, flag BOOLEAN NOT NULL"

static bool check_count(const spate_job_result *r, const char *op, bool in, uint64_t want) {
  long i = bench_find_operator(r, op);
  if (i < 0) {
    printf("    note: no operator named like \"%s\" in the job result\n", op);
    return true;
  }
  uint64_t got =
      in ? spate_job_result_records_in(r, (size_t)i) : spate_job_result_records_out(r, (size_t)i);
  if (got == want) return true;
  fprintf(stderr, "FAIL: operator %s records %s = %llu, expected %llu\n", op, in ? "in" : "out",
          (unsigned long long)got, (unsigned long long)want);
  return false;
}

static double run_engine(int64_t rows, uint64_t kept, bool verbose) {
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  if (!env) return -1;
  spate_env_set(env, "log.level", "WARN"); /* keep the job's INFO lines out of the figures */
  spate_env_set_parallelism(env, 1);
  const spate_schema *a = spate_env_schema(env, SCHEMA_A);
  const spate_schema *b = spate_env_schema(env, SCHEMA_B);
  spate_stream *s = spate_name(spate_generate(env, a, chain_generate, rows), "gen");
  s = spate_name(spate_map(s, chain_map1, a), "map1");
  s = spate_name(spate_filter(s, chain_filter), "filter");
  s = spate_name(spate_map(s, chain_map2, b), "map2");
  spate_name(spate_discard(s), "discard");
  spate_job_result *r = spate_execute(env, "bench chain");
  double t = bench_now() - t0;
  bool ok = bench_result_ok(r, verbose);
  if (!ok && spate_env_error(env)) fprintf(stderr, "env error: %s\n", spate_env_error(env));
  if (ok) {
    ok = check_count(r, "gen", false, (uint64_t)rows) &&
         check_count(r, "map1", true, (uint64_t)rows) &&
         check_count(r, "filter", true, (uint64_t)rows) && check_count(r, "filter", false, kept) &&
         check_count(r, "map2", true, kept) && check_count(r, "discard", true, kept);
  }
  if (ok && verbose) {
    /* One chain means no exchange: nothing can have waited for an output buffer. */
    uint64_t bp = 0;
    for (size_t i = 0; i < spate_job_result_num_operators(r); i++)
      bp += spate_job_result_backpressure_ns(r, i);
    printf("    %zu operators reported, backpressure total %.3f s\n",
           spate_job_result_num_operators(r), (double)bp * 1e-9);
  }
  spate_job_result_free(r);
  spate_env_free(env);
  return ok ? t : -1;
}

static double run_baseline(int64_t rows, uint64_t *kept) {
  spate_env *env = spate_env_create(); /* only as the owner of the schemas */
  const spate_schema *a = spate_env_schema(env, SCHEMA_A);
  const spate_schema *b = spate_env_schema(env, SCHEMA_B);
  spate_row_builder *b0 = spate_rb_new(a), *b1 = spate_rb_new(a), *b2 = spate_rb_new(b);
  if (!b0 || !b1 || !b2) abort();
  uint64_t n = 0;
  int rc = 0;
  double t0 = bench_now();
  for (int64_t i = 0; i < rows; i++) {
    spate_row r0, r1, r2;
    spate_rb_begin(b0);
    rc |= chain_generate(NULL, i, b0);
    rc |= spate_rb_finish(b0, &r0);
    spate_rb_begin(b1);
    rc |= chain_map1(NULL, &r0, b1);
    rc |= spate_rb_finish(b1, &r1);
    if (chain_filter(NULL, &r1) != 1) continue;
    spate_rb_begin(b2);
    rc |= chain_map2(NULL, &r1, b2);
    rc |= spate_rb_finish(b2, &r2);
    n++; /* discard */
  }
  double t = bench_now() - t0;
  if (rc) {
    fprintf(stderr, "FAIL: baseline row building failed: %s\n", spate_rb_error(b0));
    exit(1);
  }
  spate_rb_free(b0);
  spate_rb_free(b1);
  spate_rb_free(b2);
  spate_env_free(env);
  *kept = n;
  return t;
}

int main(int argc, char **argv) {
  bench_opts o = bench_parse_args(argc, argv);
  int64_t rows = o.count ? o.count : DEFAULT_ROWS;
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("chain: %lld rows through generate -> map -> filter -> map -> discard, parallelism 1\n",
         (long long)rows);

  uint64_t kept = 0, want = (uint64_t)(rows - (rows + 2) / 3);
  bench_best base = {0}, eng = {0};
  /* The sides alternate so that a change in background load hits both. */
  while (bench_again(&base, &o) || bench_again(&eng, &o)) {
    if (bench_again(&base, &o)) {
      bench_record(&base, "baseline", run_baseline(rows, &kept));
      if (kept != want) {
        fprintf(stderr, "FAIL: baseline kept %llu rows, expected %llu\n", (unsigned long long)kept,
                (unsigned long long)want);
        return 1;
      }
    }
    if (bench_again(&eng, &o)) {
      double t = run_engine(rows, want, eng.done == 0);
      if (t < 0) return 1;
      bench_record(&eng, "engine", t);
    }
  }
  bench_report("chain", rows, eng.best_s, base.best_s);
  return 0;
}

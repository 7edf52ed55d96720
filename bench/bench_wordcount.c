/*
 * bench_wordcount.c: streaming WordCount over 20,000,000 Zipf-distributed words (s = 1.0, a
 * vocabulary of 10,000 words), engine against a hand-written single-threaded loop.
 *
 * Engine job:  generate (word STRING, count BIGINT = 1) -> key_by(word) -> sum(count) -> sink
 * The sink folds every running count it receives into sum(h(word) * count), per subtask, and adds
 * it to a process-wide total when it closes. The fold does not depend on record order, and for
 * each word the running counts are 1..n(word) whatever the parallelism, so the engine and the
 * baseline (generate, count in an open-addressing table, fold) must arrive at the same checksum.
 *
 *   bench_wordcount [build_dir] [-p parallelism] [-n words] [-r runs] [--vocab words]
 *                   [--source-p parallelism]
 *
 * prints `BENCH <name> engine=... baseline=... ratio=...` as its last line; exits 1 when the job
 * fails or the checksums differ. The name is wordcount-p<N>; with --vocab 1000000 (a vocabulary
 * of a million words, so about as many keys in the state) wordcount-1m for parallelism 1 and
 * wordcount-1m-p<N> otherwise; --source-p S runs the generator at parallelism S instead of N
 * (the sum stays at N) and adds -s<S> to the name.
 */
#include <stdatomic.h>

#include "bench_util.h"

#define DEFAULT_WORDS 20000000LL

/* Built once in main before any job runs; the generator only reads it. */
static bench_vocab vocab;

/* Totals of the sink subtasks of the current run. */
static _Atomic uint64_t engine_checksum;
static _Atomic uint64_t engine_records;

typedef struct wc_sink_acc {
  uint64_t checksum;
  uint64_t records;
} wc_sink_acc;

/* UDFs: external linkage, the engine finds them with dlsym. */
int wc_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int wc_sink(spate_ctx *ctx, const spate_row *in);
int wc_sink_open(spate_ctx *ctx, void **user);
void wc_sink_close(spate_ctx *ctx, void *user);

int wc_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  int k = bench_word_rank(&vocab, index);
  spate_rb_set_string(out, 0, vocab.words[k], vocab.len[k]);
  spate_rb_set_bigint(out, 1, 1);
  return 0;
}

int wc_sink_open(spate_ctx *ctx, void **user) {
  wc_sink_acc *acc = calloc(1, sizeof *acc);
  if (!acc) return spate_ctx_fail(ctx, "out of memory");
  *user = acc;
  return 0;
}

int wc_sink(spate_ctx *ctx, const spate_row *in) {
  wc_sink_acc *acc = spate_ctx_user(ctx);
  spate_bytes w = spate_row_string(in, 0);
  acc->checksum += bench_word_hash(w.ptr, w.len) * (uint64_t)spate_row_bigint(in, 1);
  acc->records++;
  return 0;
}

void wc_sink_close(spate_ctx *ctx, void *user) {
  wc_sink_acc *acc = user;
  if (!acc) return;
  atomic_fetch_add(&engine_checksum, acc->checksum);
  atomic_fetch_add(&engine_records, acc->records);
  free(acc);
}

/* One engine run; returns seconds, or a negative value on failure. */
static double run_engine(int parallelism, int source_p, int64_t words, uint64_t *checksum,
                         bool verbose) {
  atomic_store(&engine_checksum, 0);
  atomic_store(&engine_records, 0);
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  if (!env) return -1;
  spate_env_set(env, "log.level", "WARN"); /* keep the job's INFO lines out of the figures */
  spate_env_set_parallelism(env, parallelism);
  const spate_schema *schema = spate_env_schema(env, "word STRING NOT NULL, count BIGINT NOT NULL");
  spate_stream *s = spate_generate(env, schema, wc_generate, words);
  s = spate_parallelism(spate_name(s, "words"), source_p);
  s = spate_key_by(s, 0);
  s = spate_sum(s, 1);
  s = spate_sink(s, wc_sink);
  s = spate_udf_lifecycle(s, wc_sink_open, wc_sink_close);
  spate_name(s, "checksum");
  spate_job_result *r = spate_execute(env, "bench wordcount");
  double t = bench_now() - t0;
  bool ok = bench_result_ok(r, verbose);
  if (!ok && spate_env_error(env)) fprintf(stderr, "env error: %s\n", spate_env_error(env));
  spate_job_result_free(r);
  spate_env_free(env);
  if (!ok) return -1;
  if (atomic_load(&engine_records) != (uint64_t)words) {
    fprintf(stderr, "FAIL: the sink saw %llu records, expected %lld\n",
            (unsigned long long)atomic_load(&engine_records), (long long)words);
    return -1;
  }
  *checksum = atomic_load(&engine_checksum);
  return t;
}

/* The hand-written loop: same words, same counts, same fold. */
static double run_baseline(int64_t words, uint64_t *checksum) {
  double t0 = bench_now();
  bench_wc_table t;
  bench_wc_init(&t);
  uint64_t sum = 0;
  for (int64_t i = 0; i < words; i++) {
    int k = bench_word_rank(&vocab, i);
    const char *w = vocab.words[k];
    uint32_t len = vocab.len[k];
    uint64_t h = bench_word_hash(w, len);
    int64_t count = bench_wc_add(&t, w, len, h);
    sum += h * (uint64_t)count;
  }
  bench_wc_free(&t);
  *checksum = sum;
  return bench_now() - t0;
}

/* Takes this benchmark's own options (--vocab, --source-p) out of argv; returns the new argc. */
static int own_options(int argc, char **argv, int *vocab_n, int *source_p) {
  int n = 1;
  for (int i = 1; i < argc; i++) {
    bool v = strcmp(argv[i], "--vocab") == 0, sp = strcmp(argv[i], "--source-p") == 0;
    if (!v && !sp) {
      argv[n++] = argv[i];
      continue;
    }
    long x = i + 1 < argc ? strtol(argv[i + 1], NULL, 10) : 0;
    if (x <= 0 || x > 100000000) bench_usage(argv[0]);
    *(v ? vocab_n : source_p) = (int)x;
    i++;
  }
  return n;
}

int main(int argc, char **argv) {
  int vocab_n = BENCH_VOCAB_SIZE, source_p = 0;
  argc = own_options(argc, argv, &vocab_n, &source_p);
  bench_opts o = bench_parse_args(argc, argv);
  int p = o.parallelism ? o.parallelism : 1;
  if (!source_p) source_p = p;
  int64_t words = o.count ? o.count : DEFAULT_WORDS;
  char name[64];
  if (vocab_n == BENCH_VOCAB_SIZE)
    snprintf(name, sizeof name, "wordcount-p%d", p);
  else if (vocab_n == 1000000)
    snprintf(name, sizeof name, p == 1 ? "wordcount-1m" : "wordcount-1m-p%d", p);
  else
    snprintf(name, sizeof name, "wordcount-v%d-p%d", vocab_n, p);
  if (source_p != p) snprintf(name + strlen(name), sizeof name - strlen(name), "-s%d", source_p);
  setvbuf(stdout, NULL, _IOLBF, 0);

  bench_vocab_init_n(&vocab, vocab_n);
  printf("%s: %lld Zipf(1.0) words over %d distinct, source parallelism %d, sum parallelism %d\n",
         name, (long long)words, vocab.n, source_p, p);

  uint64_t base_sum = 0, eng_sum = 0;
  bench_best base = {0}, eng = {0};
  /* The sides alternate so that a change in background load hits both. */
  while (bench_again(&base, &o) || bench_again(&eng, &o)) {
    if (bench_again(&base, &o)) bench_record(&base, "baseline", run_baseline(words, &base_sum));
    if (!bench_again(&eng, &o)) continue;
    uint64_t sum = 0;
    double t = run_engine(p, source_p, words, &sum, eng.done == 0);
    if (t < 0) return 1;
    bench_record(&eng, "engine", t);
    if (sum != base_sum) {
      fprintf(stderr, "FAIL: checksum engine=%016llx baseline=%016llx\n", (unsigned long long)sum,
              (unsigned long long)base_sum);
      return 1;
    }
    eng_sum = sum;
  }
  printf("checksum: engine=%016llx baseline=%016llx (equal)\n", (unsigned long long)eng_sum,
         (unsigned long long)base_sum);
  bench_report(name, words, eng.best_s, base.best_s);
  return 0;
}

/*
 * bench_startup.c: how long a small job takes from the command line, start to exit.
 *
 * Runs `<build>/bin/spate run <build>/examples/wordcount.so` (WordCount on its built-in text,
 * stdout to /dev/null) ten times and reports the median wall time, as `STARTUP median_ms=...`.
 * One more run with the output captured gives the words of the text: the example prints one
 * "(word,count)" line per word, in text order at parallelism 1 (other lines, such as the job id,
 * are not counted). events/s = words / median time.
 *
 * The baseline counts the same words in this process (tokenize, count in a hash table, format
 * the running-count lines into memory), repeated until the timing is stable. The ratio is mostly
 * the cost of starting a process, a MiniCluster and a job, which is the point of the benchmark.
 *
 *   bench_startup [build_dir] [-r runs]
 */
#include "bench_util.h"

#define DEFAULT_RUNS 10

typedef struct words {
  char *text; /* the words, space-separated, ten to a line */
  size_t len, cap;
  int64_t n;
} words;

static void append(words *w, const char *p, size_t n) {
  if (w->len + n + 1 > w->cap) {
    w->cap = (w->len + n + 1) * 2;
    w->text = realloc(w->text, w->cap);
    if (!w->text) abort();
  }
  memcpy(w->text + w->len, p, n);
  w->len += n;
}

/* Reads the captured output; returns the number of lines, or -1. */
static int64_t read_output(const char *path, words *w, int64_t *bad) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int64_t lines = 0;
  while ((n = getline(&line, &cap, f)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    const char *word;
    uint32_t wlen;
    int64_t count;
    lines++;
    if (!bench_parse_count(line, (size_t)n, &word, &wlen, &count)) {
      (*bad)++;
      continue;
    }
    append(w, word, wlen);
    append(w, ++w->n % 10 ? " " : "\n", 1);
  }
  free(line);
  fclose(f);
  return lines;
}

typedef struct counter {
  bench_wc_table table;
  char *out;
  size_t out_len;
  uint64_t checksum;
} counter;

static void count_word(const char *w, uint32_t len, void *arg) {
  counter *c = arg;
  uint64_t h = bench_word_hash(w, len);
  int64_t n = bench_wc_add(&c->table, w, len, h);
  c->checksum += h * (uint64_t)n;
  c->out_len = (size_t)(bench_format_count(c->out + c->out_len, w, len, n) - c->out);
  if (c->out_len > (1u << 20)) c->out_len = 0; /* "written" */
}

/* One batch of whole WordCount runs over the text; returns seconds per run. */
static double baseline_batch(const words *w, uint64_t *checksum) {
  char *out = malloc((1u << 20) + BENCH_TOKEN_MAX + 32);
  if (!out) abort();
  int iters = 0;
  double t0 = bench_now(), t;
  do {
    counter c = {.out = out};
    bench_wc_init(&c.table);
    bench_tokenize(w->text, w->len, count_word, &c);
    bench_wc_free(&c.table);
    *checksum = c.checksum;
    iters++;
  } while ((t = bench_now() - t0) < 0.2 || iters < 3);
  free(out);
  return t / iters;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  bench_opts o = bench_parse_args(argc, argv);
  int runs = o.runs ? o.runs : DEFAULT_RUNS;
  setvbuf(stdout, NULL, _IOLBF, 0);
  char *spate = bench_strf("%s/bin/spate", o.build_dir);
  char *job = bench_strf("%s/examples/wordcount.so", o.build_dir);
  if (!bench_file_exists(spate) || !bench_file_exists(job)) {
    fprintf(stderr, "startup: needs %s and %s; build them first (make)\n", spate, job);
    return 1;
  }
  char tmp[] = "/tmp/spate-bench-startup-XXXXXX";
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 1;
  }
  char *out_path = bench_strf("%s/out.txt", tmp), *err_path = bench_strf("%s/err.txt", tmp);
  int status = 1;
  words w = {0};
  double *ms = calloc((size_t)runs, sizeof *ms);
  if (!ms) abort();

  char *cargv[] = {spate, "run", job, NULL};
  struct rusage ru;
  double secs;
  int rc = bench_run_child(cargv, out_path, err_path, 120, &secs, &ru);
  if (rc != 0) {
    fprintf(stderr, "FAIL: %s run %s exited with %d; its stderr:\n", spate, job, rc);
    bench_print_tail(err_path, 4000);
    goto out;
  }
  int64_t bad = 0;
  int64_t lines = read_output(out_path, &w, &bad);
  if (lines <= 0) {
    fprintf(stderr, "FAIL: the example printed nothing\n");
    goto out;
  }
  if (w.n == 0) {
    fprintf(stderr, "FAIL: the example printed no \"(word,count)\" lines\n");
    goto out;
  }
  printf("startup: WordCount on the built-in text: %lld words", (long long)w.n);
  if (bad) printf(" (and %lld other output lines)", (long long)bad);
  printf("; first run %.1f ms, peak RSS %ld MB\n", secs * 1e3, (long)(ru.ru_maxrss + 1023) / 1024);

  for (int i = 0; i < runs; i++) {
    rc = bench_run_child(cargv, "/dev/null", err_path, 120, &secs, &ru);
    if (rc != 0) {
      fprintf(stderr, "FAIL: run %d exited with %d; its stderr:\n", i + 1, rc);
      bench_print_tail(err_path, 4000);
      goto out;
    }
    ms[i] = secs * 1e3;
    printf("  engine run %d: %.1f ms\n", i + 1, ms[i]);
  }
  qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
  double median = runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;

  bench_best base = {0};
  bench_opts bo = o;
  bo.runs = 0; /* the baseline keeps the usual best of three */
  uint64_t checksum = 0;
  while (bench_again(&base, &bo)) bench_record(&base, "baseline", baseline_batch(&w, &checksum));
  printf("STARTUP median_ms=%.1f min_ms=%.1f max_ms=%.1f\n", median, ms[0], ms[runs - 1]);
  bench_report("startup", w.n, median * 1e-3, base.best_s);
  status = 0;
out:
  free(ms);
  free(w.text);
  bench_remove_tree(tmp);
  free(out_path), free(err_path), free(spate), free(job);
  return status;
}

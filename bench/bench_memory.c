/*
 * bench_memory.c: WordCount over a ~1 GB text file through the CLI, to show that memory stays
 * bounded whatever the input size.
 *
 * The input is ten Zipf words per line from the same word source as bench_wordcount, generated
 * once into <build>/bench-data/ and reused while its size matches the size recorded next to it.
 * The engine side runs
 *
 *   <build>/bin/spate run -p 2 <build>/examples/wordcount.so --input <file> --output <tmp>/out
 *
 * as a child process and reads its peak RSS from wait4(); events/s = words / wall time. The
 * output is then read back and checked: one "(word,count)" line per input word and the same
 * order-independent checksum (sum of h(word) * count) as the baseline's.
 * The baseline is a single-threaded loop that reads the file, tokenizes it as Flink's WordCount
 * does (lower-case, split on anything but [A-Za-z0-9_]), counts in a hash table and writes the
 * same running-count lines to a file. Each side runs once: the input is large enough that noise
 * does not matter, and a second engine run would double the benchmark's time.
 *
 *   bench_memory [build_dir]
 */
#include <dirent.h>

#include "bench_util.h"

#define TARGET_BYTES 1000000000.0
#define WORDS_PER_LINE 10
#define LIMIT_MB 64
#define IO_CHUNK (8u << 20)

static bench_vocab vocab;

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Size recorded by a complete earlier generation, or -1. */
static long long recorded_size(const char *size_path) {
  FILE *f = fopen(size_path, "r");
  if (!f) return -1;
  long long n = -1;
  if (fscanf(f, "%lld", &n) != 1) n = -1;
  fclose(f);
  return n;
}

/* Makes sure `path` holds `lines` lines of the word source; generates it when missing or when its
 * size differs from the recorded one. The file is written under a temporary name and renamed, and
 * the size file is written last, so an interrupted generation is never reused. */
static int ensure_input(const char *dir, const char *path, int64_t lines) {
  char *size_path = bench_strf("%s.size", path), *tmp_path = bench_strf("%s.tmp", path);
  int rc = -1;
  struct stat st;
  long long want = recorded_size(size_path);
  if (want > 0 && stat(path, &st) == 0 && st.st_size == want) {
    printf("input: reusing %s (%lld bytes)\n", path, want);
    rc = 0;
    goto out;
  }
  mkdir(dir, 0755);
  printf("input: generating %s ...\n", path);
  double t0 = bench_now();
  int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    fprintf(stderr, "FAIL: cannot create %s: %s\n", tmp_path, strerror(errno));
    goto out;
  }
  char *buf = malloc(IO_CHUNK + 4096);
  if (!buf) abort();
  size_t pos = 0;
  long long total = 0;
  int64_t i = 0;
  for (int64_t l = 0; l < lines; l++) {
    for (int j = 0; j < WORDS_PER_LINE; j++, i++) {
      int k = bench_word_rank(&vocab, i);
      memcpy(buf + pos, vocab.words[k], vocab.len[k]);
      pos += vocab.len[k];
      buf[pos++] = j == WORDS_PER_LINE - 1 ? '\n' : ' ';
    }
    if (pos >= IO_CHUNK) {
      if (write_all(fd, buf, pos) < 0) goto fail;
      total += (long long)pos;
      pos = 0;
    }
  }
  if (write_all(fd, buf, pos) < 0) goto fail;
  total += (long long)pos;
  free(buf);
  if (close(fd) < 0 || rename(tmp_path, path) < 0) {
    fprintf(stderr, "FAIL: cannot write %s: %s\n", path, strerror(errno));
    goto out;
  }
  FILE *f = fopen(size_path, "w");
  if (!f || fprintf(f, "%lld\n", total) < 0 || fclose(f) != 0) {
    fprintf(stderr, "FAIL: cannot write %s\n", size_path);
    goto out;
  }
  printf("input: %lld bytes in %.1f s\n", total, bench_now() - t0);
  rc = 0;
  goto out;
fail:
  fprintf(stderr, "FAIL: writing %s: %s\n", tmp_path, strerror(errno));
  free(buf);
  close(fd);
  unlink(tmp_path);
out:
  free(size_path);
  free(tmp_path);
  return rc;
}

/* ---- the baseline --------------------------------------------------------------------------- */

typedef struct counter {
  bench_wc_table table;
  uint64_t checksum;
  int64_t words;
  char *out;
  size_t out_len;
  int fd;
  int err;
} counter;

static void count_word(const char *w, uint32_t len, void *arg) {
  counter *c = arg;
  uint64_t h = bench_word_hash(w, len);
  int64_t n = bench_wc_add(&c->table, w, len, h);
  c->checksum += h * (uint64_t)n;
  c->words++;
  c->out_len = (size_t)(bench_format_count(c->out + c->out_len, w, len, n) - c->out);
  if (c->out_len >= IO_CHUNK) {
    if (write_all(c->fd, c->out, c->out_len) < 0) c->err = errno;
    c->out_len = 0;
  }
}

static double run_baseline(const char *in_path, const char *out_path, int64_t *words,
                           uint64_t *checksum) {
  counter c = {.fd = -1};
  double t0 = bench_now();
  int in = open(in_path, O_RDONLY);
  c.fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || c.fd < 0) {
    fprintf(stderr, "FAIL: baseline cannot open files: %s\n", strerror(errno));
    exit(1);
  }
  bench_wc_init(&c.table);
  c.out = malloc(IO_CHUNK + BENCH_TOKEN_MAX + 32);
  char *buf = malloc(IO_CHUNK);
  if (!c.out || !buf) abort();
  size_t have = 0;
  for (;;) {
    ssize_t r = read(in, buf + have, IO_CHUNK - have);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      fprintf(stderr, "FAIL: reading %s: %s\n", in_path, strerror(errno));
      exit(1);
    }
    have += (size_t)r;
    /* Tokenize up to the last separator; a word cut by the chunk end waits for the next read. */
    size_t cut = have;
    if (r > 0) {
      while (cut > 0 && bench_is_word_char((unsigned char)buf[cut - 1])) cut--;
      if (cut == 0 && have == IO_CHUNK) cut = have; /* one huge word: split it */
    }
    bench_tokenize(buf, cut, count_word, &c);
    memmove(buf, buf + cut, have - cut);
    have -= cut;
    if (r == 0) break;
  }
  if (write_all(c.fd, c.out, c.out_len) < 0) c.err = errno;
  if (close(c.fd) < 0) c.err = errno;
  close(in);
  double t = bench_now() - t0;
  if (c.err) {
    fprintf(stderr, "FAIL: baseline writing %s: %s\n", out_path, strerror(c.err));
    exit(1);
  }
  free(buf);
  free(c.out);
  bench_wc_free(&c.table);
  *words = c.words;
  *checksum = c.checksum;
  return t;
}

/* ---- reading the engine's output back --------------------------------------------------------- */

typedef struct fold {
  int64_t lines, bad;
  uint64_t checksum;
} fold;

static int fold_file(const char *path, fold *f) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  char *buf = malloc(IO_CHUNK);
  if (!buf) abort();
  size_t have = 0;
  for (;;) {
    ssize_t r = read(fd, buf + have, IO_CHUNK - have);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) break;
    have += (size_t)r;
    size_t start = 0;
    for (;;) {
      char *nl = memchr(buf + start, '\n', have - start);
      if (!nl && (r > 0 || start == have)) break;
      size_t end = nl ? (size_t)(nl - buf) : have;
      size_t n = end - start;
      if (n && buf[start + n - 1] == '\r') n--;
      const char *w;
      uint32_t wlen;
      int64_t count;
      f->lines++;
      if (bench_parse_count(buf + start, n, &w, &wlen, &count))
        f->checksum += bench_word_hash(w, wlen) * (uint64_t)count;
      else
        f->bad++;
      start = nl ? end + 1 : have;
    }
    memmove(buf, buf + start, have - start);
    have -= start;
    if (r == 0) break;
  }
  free(buf);
  close(fd);
  return 0;
}

/* The output path is a file (parallelism 1) or a directory of part files. */
static int fold_output(const char *path, fold *f) {
  struct stat st;
  if (stat(path, &st) < 0) return -1;
  if (!S_ISDIR(st.st_mode)) return fold_file(path, f);
  DIR *d = opendir(path);
  if (!d) return -1;
  struct dirent *e;
  int files = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char *p = bench_strf("%s/%s", path, e->d_name);
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && fold_file(p, f) == 0) files++;
    free(p);
  }
  closedir(d);
  return files > 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  bench_opts o = bench_parse_args(argc, argv);
  setvbuf(stdout, NULL, _IOLBF, 0);
  char *spate = bench_strf("%s/bin/spate", o.build_dir);
  char *job = bench_strf("%s/examples/wordcount.so", o.build_dir);
  if (!bench_file_exists(spate) || !bench_file_exists(job)) {
    fprintf(stderr, "memory: needs %s and %s; build them first (make)\n", spate, job);
    return 1;
  }

  bench_vocab_init(&vocab);
  int64_t lines = (int64_t)(TARGET_BYTES / (bench_vocab_mean_bytes(&vocab) * WORDS_PER_LINE));
  if (o.count) lines = (o.count + WORDS_PER_LINE - 1) / WORDS_PER_LINE; /* -n words, for tests */
  int64_t words = lines * WORDS_PER_LINE;
  char *data_dir = bench_strf("%s/bench-data", o.build_dir);
  char *input = bench_strf("%s/zipf-%llx-%lldw.txt", data_dir, (unsigned long long)BENCH_WORD_SEED,
                           (long long)words);
  printf("memory: WordCount over %lld words (%lld lines), spate run -p 2\n", (long long)words,
         (long long)lines);
  if (ensure_input(data_dir, input, lines) < 0) return 1;

  char tmp[] = "/tmp/spate-bench-memory-XXXXXX";
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 1;
  }
  char *out_path = bench_strf("%s/out", tmp), *base_path = bench_strf("%s/baseline.txt", tmp);
  char *err_path = bench_strf("%s/stderr.txt", tmp);
  int status = 1;

  /* Baseline first: it also warms the page cache for the engine. */
  int64_t base_words = 0;
  uint64_t base_sum = 0;
  double base_s = run_baseline(input, base_path, &base_words, &base_sum);
  printf("  baseline: %.3f s\n", base_s);
  unlink(base_path);
  if (base_words != words) {
    fprintf(stderr, "FAIL: baseline counted %lld words, expected %lld\n", (long long)base_words,
            (long long)words);
    goto out;
  }

  char *cargv[] = {spate, "run", "-p", "2", job, "--input", input, "--output", out_path, NULL};
  struct rusage ru;
  double eng_s = 0;
  int rc = bench_run_child(cargv, "/dev/null", err_path, 900, &eng_s, &ru);
  printf("  engine:   %.3f s\n", eng_s);
  if (rc != 0) {
    fprintf(stderr, "FAIL: spate run exited with %d; its stderr:\n", rc);
    bench_print_tail(err_path, 4000);
    goto out;
  }
  long peak_mb = (ru.ru_maxrss + 1023) / 1024; /* ru_maxrss is in KiB */
  bool mem_ok = ru.ru_maxrss < LIMIT_MB * 1024L;
  printf("peak RSS: %ld MB (%s %d MB)\n", peak_mb, mem_ok ? "under" : "OVER", LIMIT_MB);

  fold f = {0};
  if (fold_output(out_path, &f) < 0) {
    fprintf(stderr, "FAIL: no output at %s\n", out_path);
    goto out;
  }
  if (f.lines != words) {
    fprintf(stderr, "FAIL: the engine wrote %lld lines, expected %lld\n", (long long)f.lines,
            (long long)words);
    goto out;
  }
  if (f.bad)
    printf("  note: %lld output lines are not \"(word,count)\"; checksum not compared\n",
           (long long)f.bad);
  else if (f.checksum != base_sum) {
    fprintf(stderr, "FAIL: checksum engine=%016llx baseline=%016llx\n",
            (unsigned long long)f.checksum, (unsigned long long)base_sum);
    goto out;
  } else
    printf("checksum: engine=%016llx baseline=%016llx (equal)\n", (unsigned long long)f.checksum,
           (unsigned long long)base_sum);

  printf("MEMORY peak_rss_mb=%ld limit_mb=%d ok=%s\n", peak_mb, LIMIT_MB, mem_ok ? "yes" : "no");
  bench_report("memory", words, eng_s, base_s);
  status = 0;
out:
  bench_remove_tree(tmp);
  free(out_path), free(base_path), free(err_path);
  free(spate), free(job), free(data_dir), free(input);
  return status;
}

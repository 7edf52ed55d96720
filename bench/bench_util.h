/*
 * bench_util.h: what the benchmarks share, kept header-only because bench/CMakeLists.txt builds
 * each bench_*.c alone into its own program.
 *
 *  - timing (CLOCK_MONOTONIC) and the "best of N runs" loop with a time budget;
 *  - the command line every benchmark takes: [build_dir] [-p N] [-n COUNT] [-r RUNS];
 *  - the Zipf word source: a vocabulary of distinct lower-case words of 5 to 11 letters built
 *    from a seed, and word(i) as a pure function of i (splitmix64(seed + i) fed to an inverse-CDF
 *    binary search), so a parallel generator that splits indexes among subtasks and a serial loop
 *    produce the same multiset of words;
 *  - the word hash used by the checksums and an open-addressing word-count table for the
 *    hand-written baselines;
 *  - Flink's WordCount tokenizer (lower-case, split on anything but [A-Za-z0-9_]).
 *
 * Everything is static inline so that a program using only part of it compiles without warnings.
 */
#ifndef SPATE_BENCH_UTIL_H
#define SPATE_BENCH_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spate/spate.h"

/* ---- time -------------------------------------------------------------------------------- */

static inline double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- command line -------------------------------------------------------------------------- */

typedef struct bench_opts {
  const char *build_dir; /* first argument not starting with '-', default "build" */
  int parallelism;       /* -p, 0 when not given */
  int64_t count;         /* -n, 0 when not given: the benchmark's default */
  int runs;              /* -r, runs per side (best is taken); 0 = the benchmark's default */
  double budget_s;       /* stop repeating a side once it has used this many seconds */
} bench_opts;

static inline void bench_usage(const char *prog) {
  fprintf(stderr, "usage: %s [build_dir] [-p parallelism] [-n count] [-r runs]\n", prog);
  exit(2);
}

static inline bench_opts bench_parse_args(int argc, char **argv) {
  bench_opts o = {"build", 0, 0, 0, 20.0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') {
      o.build_dir = a;
      continue;
    }
    if (i + 1 >= argc || a[2] != '\0') bench_usage(argv[0]);
    const char *v = argv[++i];
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n <= 0) bench_usage(argv[0]);
    switch (a[1]) {
    case 'p': o.parallelism = (int)n; break;
    case 'n': o.count = n; break;
    case 'r': o.runs = (int)n; break;
    default: bench_usage(argv[0]);
    }
  }
  return o;
}

/* Keeps the best (shortest) of several timed runs. A side that is slow stops repeating once it
 * has spent opts->budget_s, so a benchmark stays within about a minute on a slow engine. */
typedef struct bench_best {
  double best_s;
  double spent_s;
  int done;
} bench_best;

static inline bool bench_again(const bench_best *b, const bench_opts *o) {
  int runs = o->runs > 0 ? o->runs : 3;
  return b->done == 0 || (b->done < runs && b->spent_s < o->budget_s);
}

/* "1.234 s", or "56.7 us" for short times. */
static inline const char *bench_fmt_time(char *buf, size_t cap, double secs) {
  if (secs >= 0.1)
    snprintf(buf, cap, "%.3f s", secs);
  else if (secs >= 1e-4)
    snprintf(buf, cap, "%.3f ms", secs * 1e3);
  else
    snprintf(buf, cap, "%.3f us", secs * 1e6);
  return buf;
}

static inline void bench_record(bench_best *b, const char *side, double secs) {
  char t[32];
  if (b->done == 0 || secs < b->best_s) b->best_s = secs;
  b->spent_s += secs;
  b->done++;
  printf("  %s run %d: %s\n", side, b->done, bench_fmt_time(t, sizeof t, secs));
  fflush(stdout);
}

/* Prints the two figures, the ratio and the final BENCH line. */
static inline void bench_report(const char *name, int64_t events, double engine_s,
                                double baseline_s) {
  double e = (double)events / engine_s, b = (double)events / baseline_s;
  char t[32];
  printf("engine:   %lld events in %s = %.0f events/s\n", (long long)events,
         bench_fmt_time(t, sizeof t, engine_s), e);
  printf("baseline: %lld events in %s = %.0f events/s\n", (long long)events,
         bench_fmt_time(t, sizeof t, baseline_s), b);
  printf("ratio:    %.2f\n", e / b);
  printf("BENCH %s engine=%.0f baseline=%.0f ratio=%.2f\n", name, e, b, e / b);
  fflush(stdout);
}

/* Checks a job result: prints the operators' record counts and returns true when FINISHED. */
static inline bool bench_result_ok(spate_job_result *r, bool verbose) {
  if (!r) {
    fprintf(stderr, "FAIL: spate_execute returned NULL\n");
    return false;
  }
  spate_job_status st = spate_job_result_status(r);
  if (st != SPATE_JOB_FINISHED) {
    const char *err = spate_job_result_error(r);
    fprintf(stderr, "FAIL: job %s: %s\n", spate_job_status_name(st), err ? err : "(no message)");
    return false;
  }
  if (verbose) {
    size_t n = spate_job_result_num_operators(r);
    for (size_t i = 0; i < n; i++)
      printf("    operator %zu %-40s in=%llu out=%llu backpressure=%.3f s\n", i,
             spate_job_result_operator(r, i), (unsigned long long)spate_job_result_records_in(r, i),
             (unsigned long long)spate_job_result_records_out(r, i),
             (double)spate_job_result_backpressure_ns(r, i) * 1e-9);
  }
  return true;
}

/* Executes the job of env and frees env: the seconds since t0 once it finished, or -1 after
 * printing why it did not (bench_result_ok, the environment's error). */
static inline double bench_execute(spate_env *env, const char *name, double t0, bool verbose) {
  spate_job_result *r = spate_execute(env, name);
  double t = bench_now() - t0;
  bool ok = bench_result_ok(r, verbose);
  if (!ok && spate_env_error(env)) fprintf(stderr, "env error: %s\n", spate_env_error(env));
  spate_job_result_free(r);
  spate_env_free(env);
  return ok ? t : -1;
}

/* Index of the operator whose name contains `part`, or -1. */
static inline long bench_find_operator(const spate_job_result *r, const char *part) {
  size_t n = spate_job_result_num_operators(r);
  for (size_t i = 0; i < n; i++) {
    const char *name = spate_job_result_operator(r, i);
    if (name && strstr(name, part)) return (long)i;
  }
  return -1;
}

/* ---- hashing and the Zipf word source ------------------------------------------------------ */

static inline uint64_t bench_splitmix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* FNV-1a over the bytes, then a splitmix finaliser so that low bits are usable as table index. */
/* The window benchmarks' tuples: key uniform in [0, keys) and value in [-1000, 1000], pure
 * functions of the index; and the order-independent fold of an emitted (key, window max
 * timestamp, sum) into a checksum. */
static inline int64_t bench_tuple_key(uint64_t seed, int64_t i, int64_t keys) {
  return (int64_t)(bench_splitmix64(seed + (uint64_t)i) % (uint64_t)keys);
}
static inline int64_t bench_tuple_value(uint64_t seed, int64_t i) {
  return (int64_t)(bench_splitmix64(~seed + (uint64_t)i) % 2001) - 1000;
}
static inline uint64_t bench_window_mix(int64_t key, int64_t max_ts, int64_t sum) {
  return bench_splitmix64((uint64_t)key * 1000003u ^ (uint64_t)max_ts) + (uint64_t)sum;
}

static inline uint64_t bench_word_hash(const char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 0x100000001b3ULL;
  return bench_splitmix64(h);
}

#define BENCH_VOCAB_SIZE 10000
#define BENCH_VOCAB_SEED 0x5eed5eedULL
#define BENCH_WORD_SEED 0x5a7e2026ULL
#define BENCH_MAX_WORD 11

/* The vocabulary, rank order (rank 0 is the most frequent word), and the Zipf(s = 1) CDF scaled
 * to 2^64 so that a 64-bit random number is compared without conversion. Invariant after
 * bench_vocab_init: words are distinct, thr[] is non-decreasing and thr[n-1] == UINT64_MAX.
 * The arrays live for the whole program (a benchmark builds its vocabulary once). */
typedef struct bench_vocab {
  int n;
  char (*words)[BENCH_MAX_WORD + 1];
  uint8_t *len;
  uint64_t *thr;
} bench_vocab;

/* A vocabulary of n words (the first BENCH_VOCAB_SIZE are the same whatever n). */
static inline void bench_vocab_init_n(bench_vocab *v, int n) {
  int cap = 1 << 15; /* set of taken words, for distinctness: at most half full */
  while (cap < 2 * n) cap <<= 1;
  uint64_t *seen = calloc((size_t)cap, sizeof *seen);
  v->words = calloc((size_t)n, sizeof *v->words);
  v->len = calloc((size_t)n, sizeof *v->len);
  v->thr = calloc((size_t)n, sizeof *v->thr);
  if (!seen || !v->words || !v->len || !v->thr) abort();
  uint64_t state = BENCH_VOCAB_SEED;
  v->n = n;
  for (int k = 0; k < v->n;) {
    uint64_t r = bench_splitmix64(state++);
    int len = 5 + (int)(r % 7);
    r /= 7;
    for (int j = 0; j < len; j++) {
      if (j % 12 == 11) r = bench_splitmix64(state++);
      v->words[k][j] = (char)('a' + r % 26);
      r /= 26;
    }
    v->words[k][len] = '\0';
    v->len[k] = (uint8_t)len;
    uint64_t h = bench_word_hash(v->words[k], (size_t)len) | 1; /* 0 marks a free slot */
    size_t i = h & (size_t)(cap - 1);
    bool dup = false;
    while (seen[i]) {
      if (seen[i] == h) dup = true; /* equal hash: treat as the same word, draw again */
      i = (i + 1) & (size_t)(cap - 1);
    }
    if (dup) continue;
    seen[i] = h;
    k++;
  }
  free(seen);
  double total = 0;
  for (int k = 0; k < v->n; k++) total += 1.0 / (double)(k + 1);
  double cum = 0;
  for (int k = 0; k < v->n; k++) {
    cum += 1.0 / (double)(k + 1) / total;
    double t = cum * 18446744073709551616.0;
    v->thr[k] = t >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)t;
  }
  v->thr[v->n - 1] = UINT64_MAX;
}

static inline void bench_vocab_init(bench_vocab *v) { bench_vocab_init_n(v, BENCH_VOCAB_SIZE); }

/* Rank of word i of the stream: a pure function of i. */
static inline int bench_word_rank(const bench_vocab *v, int64_t i) {
  uint64_t r = bench_splitmix64(BENCH_WORD_SEED + (uint64_t)i);
  int lo = 0, hi = v->n - 1;
  while (lo < hi) {
    int mid = (lo + hi) >> 1;
    if (r <= v->thr[mid])
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* Mean bytes per word in the stream (letters plus one separator), from the distribution. */
static inline double bench_vocab_mean_bytes(const bench_vocab *v) {
  double total = 0, sum = 0;
  for (int k = 0; k < v->n; k++) total += 1.0 / (double)(k + 1);
  for (int k = 0; k < v->n; k++) sum += (v->len[k] + 1.0) / (double)(k + 1) / total;
  return sum;
}

/* ---- a word-count table for the baselines ---------------------------------------------------- */

/* Open addressing with linear probing; keys live in an arena. Invariant: n * 2 <= cap, cap is a
 * power of two, an entry with len == 0 is free (the tokenizer never yields empty words). */
typedef struct bench_wc_entry {
  uint64_t hash;
  uint32_t off, len;
  int64_t count;
} bench_wc_entry;

typedef struct bench_wc_table {
  bench_wc_entry *e;
  size_t cap, n;
  char *arena;
  size_t arena_len, arena_cap;
} bench_wc_table;

static inline void bench_wc_init(bench_wc_table *t) {
  memset(t, 0, sizeof *t);
  t->cap = 1024;
  t->e = calloc(t->cap, sizeof *t->e);
  t->arena_cap = 1 << 16;
  t->arena = malloc(t->arena_cap);
  if (!t->e || !t->arena) abort();
}

static inline void bench_wc_free(bench_wc_table *t) {
  free(t->e);
  free(t->arena);
  memset(t, 0, sizeof *t);
}

static inline void bench_wc_grow(bench_wc_table *t) {
  size_t cap = t->cap * 2;
  bench_wc_entry *e = calloc(cap, sizeof *e);
  if (!e) abort();
  for (size_t i = 0; i < t->cap; i++) {
    if (!t->e[i].len) continue;
    size_t j = t->e[i].hash & (cap - 1);
    while (e[j].len) j = (j + 1) & (cap - 1);
    e[j] = t->e[i];
  }
  free(t->e);
  t->e = e;
  t->cap = cap;
}

/* Adds one to the count of the word (hash h) and returns the new count. */
static inline int64_t bench_wc_add(bench_wc_table *t, const char *w, uint32_t len, uint64_t h) {
  size_t mask = t->cap - 1, i = h & mask;
  for (;;) {
    bench_wc_entry *e = &t->e[i];
    if (!e->len) break;
    if (e->hash == h && e->len == len && memcmp(t->arena + e->off, w, len) == 0) return ++e->count;
    i = (i + 1) & mask;
  }
  if ((t->n + 1) * 2 > t->cap) {
    bench_wc_grow(t);
    mask = t->cap - 1;
    i = h & mask;
    while (t->e[i].len) i = (i + 1) & mask;
  }
  if (t->arena_len + len > t->arena_cap) {
    while (t->arena_len + len > t->arena_cap) t->arena_cap *= 2;
    t->arena = realloc(t->arena, t->arena_cap);
    if (!t->arena) abort();
  }
  memcpy(t->arena + t->arena_len, w, len);
  t->e[i] = (bench_wc_entry){h, (uint32_t)t->arena_len, len, 1};
  t->arena_len += len;
  t->n++;
  return 1;
}

/* ---- Flink's WordCount tokenizer ------------------------------------------------------------- */

static inline bool bench_is_word_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Calls fn(word, len, arg) for each word of p[0..n), lower-cased (ASCII) into a scratch buffer.
 * Words longer than the scratch buffer are cut (the benchmark's words are at most 11 bytes). */
#define BENCH_TOKEN_MAX 256
static inline void bench_tokenize(const char *p, size_t n,
                                  void (*fn)(const char *w, uint32_t len, void *arg), void *arg) {
  char tok[BENCH_TOKEN_MAX];
  size_t i = 0;
  while (i < n) {
    while (i < n && !bench_is_word_char((unsigned char)p[i])) i++;
    uint32_t len = 0;
    while (i < n && bench_is_word_char((unsigned char)p[i])) {
      char c = p[i++];
      if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
      if (len < BENCH_TOKEN_MAX) tok[len++] = c;
    }
    if (len) fn(tok, len, arg);
  }
}

/* ---- output lines of the WordCount example ---------------------------------------------------- */

/* Appends "(word,count)\n", the example's output line (Flink's Tuple2 format), to out; returns the
 * new end. out must have room for len + 23 bytes. */
static inline char *bench_format_count(char *out, const char *w, uint32_t len, int64_t count) {
  char digits[20];
  int nd = 0;
  uint64_t c = (uint64_t)count;
  do {
    digits[nd++] = (char)('0' + c % 10);
    c /= 10;
  } while (c);
  *out++ = '(';
  memcpy(out, w, len);
  out += len;
  *out++ = ',';
  while (nd) *out++ = digits[--nd];
  *out++ = ')';
  *out++ = '\n';
  return out;
}

/* Parses one output line "(word,count)" (an "N> " subtask prefix is skipped). Returns false if the
 * line has another shape. */
static inline bool bench_parse_count(const char *line, size_t n, const char **w, uint32_t *wlen,
                                     int64_t *count) {
  size_t i = 0;
  while (i < n && line[i] >= '0' && line[i] <= '9') i++;
  if (i > 0 && i + 1 < n && line[i] == '>' && line[i + 1] == ' ') line += i + 2, n -= i + 2;
  if (n < 4 || line[0] != '(' || line[n - 1] != ')') return false;
  size_t comma = n - 2;
  while (comma > 0 && line[comma] != ',') comma--;
  if (comma == 0) return false;
  int64_t c = 0;
  for (size_t j = comma + 1; j < n - 1; j++) {
    if (line[j] < '0' || line[j] > '9') return false;
    c = c * 10 + (line[j] - '0');
  }
  *w = line + 1;
  *wlen = (uint32_t)(comma - 1);
  *count = c;
  return true;
}

/* ---- paths and child processes ------------------------------------------------------------- */

static inline bool bench_file_exists(const char *path) { return access(path, R_OK) == 0; }

/* printf into a new heap string (paths); aborts when out of memory. */
__attribute__((format(printf, 1, 2))) static inline char *bench_strf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (!s) abort();
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* Copies the last `max` bytes of a file to stderr (a child's error output). */
static inline void bench_print_tail(const char *path, long max) {
  FILE *f = fopen(path, "r");
  if (!f) return;
  if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > max)
    fseek(f, -max, SEEK_END);
  else
    fseek(f, 0, SEEK_SET);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stderr);
  fclose(f);
}

static volatile sig_atomic_t bench_alarm_fired;
static inline void bench_on_alarm(int sig) {
  (void)sig;
  bench_alarm_fired = 1;
}

/* Runs argv[0] with stdout (and stderr, unless err_path is NULL) sent to files, waits at most
 * timeout_s and measures the wall time and the child's resource usage (wait4). Returns the exit
 * status (0 = success), or -1 when it could not start, was killed or timed out. */
static inline int bench_run_child(char *const argv[], const char *out_path, const char *err_path,
                                  int timeout_s, double *wall_s, struct rusage *ru) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = bench_on_alarm; /* no SA_RESTART: wait4 returns EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, &old);
  bench_alarm_fired = 0;
  fflush(stdout);
  fflush(stderr);
  double t0 = bench_now();
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return -1;
  }
  if (pid == 0) {
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 1) < 0) _exit(126);
    close(fd);
    if (err_path) {
      fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || dup2(fd, 2) < 0) _exit(126);
      close(fd);
    }
    execv(argv[0], argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  alarm((unsigned)timeout_s);
  int status = 0;
  bool killed = false;
  pid_t w;
  while ((w = wait4(pid, &status, 0, ru)) < 0 && errno == EINTR) {
    if (bench_alarm_fired && !killed) {
      fprintf(stderr, "%s: still running after %d s, killing it\n", argv[0], timeout_s);
      kill(pid, SIGKILL);
      killed = true;
    }
  }
  *wall_s = bench_now() - t0;
  alarm(0);
  sigaction(SIGALRM, &old, NULL);
  if (w < 0 || killed) return -1;
  if (WIFSIGNALED(status)) {
    fprintf(stderr, "%s: killed by signal %d\n", argv[0], WTERMSIG(status));
    return -1;
  }
  return WEXITSTATUS(status);
}

/* rm -rf, for the benchmarks' own temporary directories (no symlinks are followed). */
static inline void bench_remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0) return;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (d) {
      struct dirent *e;
      while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(n);
        if (!child) abort();
        snprintf(child, n, "%s/%s", path, e->d_name);
        bench_remove_tree(child);
        free(child);
      }
      closedir(d);
    }
    rmdir(path);
  } else {
    unlink(path);
  }
}

#endif

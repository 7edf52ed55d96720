/*
 * bench_metrics.c: metrics-overhead: streaming WordCount (10,000,000 Zipf words, parallelism 2:
 * generate -> key_by(word) -> sum(count) -> sink) with the Prometheus reporter on and scraped
 * every 100 ms (engine) against the same job with no reporter configured (baseline).
 *
 * Flink has no switch that turns metrics off, and neither has Spate: a task's cells
 * (runtime/task_metrics.h) are counted on the record path and its groups registered in every
 * run. What a configuration adds is reporting: the Prometheus HTTP server, and scrapes that read
 * every metric of every task (here 40 times more often than Prometheus' default 15 s
 * scrape interval, so that reading cost shows). The ratio is the job's throughput with
 * reporting over its throughput without; the target is >= 0.97.
 *
 *   bench_metrics [build_dir] [-p parallelism] [-n words] [-r runs]
 *
 * prints `BENCH metrics-overhead engine=... baseline=... ratio=...` as its last line; exits 1
 * when a job fails, its sink saw the wrong number of records, or no scrape succeeded.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "bench_util.h"

#define DEFAULT_WORDS 10000000LL
#define SCRAPE_EVERY_NS 100000000L

static bench_vocab vocab;
static _Atomic uint64_t sink_records;

int mo_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int mo_sink(spate_ctx *ctx, const spate_row *in);

int mo_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out) {
  (void)ctx;
  int k = bench_word_rank(&vocab, index);
  spate_rb_set_string(out, 0, vocab.words[k], vocab.len[k]);
  spate_rb_set_bigint(out, 1, 1);
  return 0;
}

/* Counts what arrives; one relaxed add per record is the same on both sides. */
int mo_sink(spate_ctx *ctx, const spate_row *in) {
  (void)ctx;
  (void)in;
  atomic_fetch_add_explicit(&sink_records, 1, memory_order_relaxed);
  return 0;
}

/* ---- the scraper: GET /metrics every 100 ms while the job runs ---------------------------- */

typedef struct scraper {
  int port;
  atomic_bool stop;
  int ok;       /* answers holding the tasks' numRecordsIn */
  size_t bytes; /* of the last good answer */
} scraper;

/* One GET; true when the answer holds the task metrics. */
static bool scrape_once(scraper *s) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
    static const char req[] = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
      size_t cap = 1 << 20, len = 0;
      char *buf = malloc(cap);
      ssize_t got;
      while (buf && len + 1 < cap && (got = read(fd, buf + len, cap - len - 1)) > 0)
        len += (size_t)got;
      if (buf) {
        buf[len] = 0;
        ok = strstr(buf, "flink_taskmanager_job_task_numRecordsIn{") != NULL;
        if (ok) s->bytes = len;
      }
      free(buf);
    }
  }
  close(fd);
  return ok;
}

static void *scraper_main(void *arg) {
  scraper *s = arg;
  while (!atomic_load(&s->stop)) {
    if (scrape_once(s)) s->ok++;
    struct timespec ts = {0, SCRAPE_EVERY_NS}; /* the scrape interval, not a wait for anything */
    nanosleep(&ts, NULL);
  }
  return NULL;
}

/* A port free now on 127.0.0.1 (the kernel's pick, released again for the reporter). */
static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

/* One run; returns seconds, or a negative value on failure. With reporting, *scrapes gets the
 * number of good scrapes. */
static double run_job(int parallelism, int64_t words, bool reporting, int *scrapes, size_t *bytes) {
  atomic_store(&sink_records, 0);
  scraper s = {.port = reporting ? free_port() : -1};
  pthread_t th;
  bool started = false;
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  if (!env) return -1;
  spate_env_set(env, "log.level", "WARN");
  if (reporting) {
    char port[16];
    snprintf(port, sizeof port, "%d", s.port);
    spate_env_set(env, "metrics.reporter.prom.factory.class",
                  "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
    spate_env_set(env, "metrics.reporter.prom.port", port);
    started = pthread_create(&th, NULL, scraper_main, &s) == 0;
  }
  spate_env_set_parallelism(env, parallelism);
  const spate_schema *schema = spate_env_schema(env, "word STRING NOT NULL, count BIGINT NOT NULL");
  spate_stream *st = spate_generate(env, schema, mo_generate, words);
  st = spate_name(st, "words");
  st = spate_key_by(st, 0);
  st = spate_sum(st, 1);
  st = spate_sink(st, mo_sink);
  spate_name(st, "count");
  spate_job_result *r = spate_execute(env, "bench metrics-overhead");
  double t = bench_now() - t0;
  if (started) {
    atomic_store(&s.stop, true);
    pthread_join(th, NULL);
  }
  bool ok = bench_result_ok(r, false);
  if (!ok && spate_env_error(env)) fprintf(stderr, "env error: %s\n", spate_env_error(env));
  spate_job_result_free(r);
  spate_env_free(env);
  if (!ok) return -1;
  if (atomic_load(&sink_records) != (uint64_t)words) {
    fprintf(stderr, "FAIL: the sink saw %llu records, expected %lld\n",
            (unsigned long long)atomic_load(&sink_records), (long long)words);
    return -1;
  }
  if (reporting) {
    *scrapes = s.ok;
    *bytes = s.bytes;
  }
  return t;
}

int main(int argc, char **argv) {
  bench_opts o = bench_parse_args(argc, argv);
  int p = o.parallelism ? o.parallelism : 2;
  int64_t words = o.count ? o.count : DEFAULT_WORDS;
  setvbuf(stdout, NULL, _IOLBF, 0);
  bench_vocab_init(&vocab);
  printf(
      "metrics-overhead: WordCount of %lld Zipf(1.0) words, parallelism %d; engine: Prometheus "
      "reporter scraped every %ld ms; baseline: no reporter\n",
      (long long)words, p, SCRAPE_EVERY_NS / 1000000);
  bench_best base = {0}, eng = {0};
  int scrapes = 0;
  size_t bytes = 0;
  /* The sides alternate so that a change in background load hits both. */
  while (bench_again(&base, &o) || bench_again(&eng, &o)) {
    if (bench_again(&base, &o)) {
      double t = run_job(p, words, false, NULL, NULL);
      if (t < 0) return 1;
      bench_record(&base, "baseline", t);
    }
    if (!bench_again(&eng, &o)) continue;
    int n = 0;
    double t = run_job(p, words, true, &n, &bytes);
    if (t < 0) return 1;
    if (n == 0) {
      fprintf(stderr, "FAIL: no scrape of the Prometheus endpoint succeeded\n");
      return 1;
    }
    scrapes += n;
    bench_record(&eng, "engine", t);
  }
  printf("scrapes: %d good in all engine runs, the last %zu bytes\n", scrapes, bytes);
  bench_report("metrics-overhead", words, eng.best_s, base.best_s);
  return 0;
}

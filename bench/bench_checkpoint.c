/*
 * bench_checkpoint.c: what checkpoints cost. Two benchmarks:
 *
 * `checkpoint-overhead`: the windowed sum of bench_window at full speed,
 *
 *   generate (key uniform in 0..9,999, value in [-1000, 1000], ts = i / 1000 ms) at
 *   parallelism 1 -> monotonous timestamps -> key by key -> 1 s tumbling event-time window,
 *   reduce: sum of value (parallelism -p, default 1 as in bench_window) -> discard
 *
 * run with checkpoints every second into a directory under /tmp (engine) and without
 * checkpoints (baseline): the same job and input, alternating, best of -r runs per side. The
 * input is sized so that a run lasts several seconds and several checkpoints complete; their
 * count and stats are printed. Both runs must emit the same number of windows.
 *
 * `checkpoint-size`: a checkpoint of about 1 GB of keyed state, and its restore.
 *
 *   generate (key, seq) at parallelism 1 -> key by key -> process (parallelism 1): seq < KEYS
 *   stores a 1 KiB value (a pure function of the key) in value state; later records only
 *   read and check the value of their key -> discard
 *
 * The generator is unbounded: indexes 0..KEYS-1 (one per key) come at full speed, every later
 * one after a 1 ms sleep, so the job idles once the state is built. Checkpoints run every 3 s
 * and are retained on cancellation. Once the process function holds every key, the benchmark
 * notes the highest chk-<n> directory (the JobMaster creates it when it triggers checkpoint
 * n), waits until two newer checkpoints have completed (triggered after the state was complete,
 * so they hold all of it), and cancels the job. It prints their stats and compares the speed of
 * the faster asynchronous part (state size / async ms) with the disk: the same number of bytes
 * written with write() in 1 MiB chunks plus fsync by a hand-written loop, best of two. (Writes
 * into the page cache vary a lot from one run to the next on this machine, hence two on each
 * side.)
 *
 * Restore: the same job (same uids) starts with execution.savepoint.path set to the retained
 * chk-<n> directory and no checkpointing. The source resumes after the last index it emitted
 * before the checkpoint, so only throttled records come, and each of them checks that the
 * restored value of its key is present and intact. The restore time is measured from
 * spate_execute_async to the first record the process function handles: restore runs in the
 * task before it takes any record, so that record marks the end of the restore. The time to
 * the process function's open (which runs before the operator gets its state) is printed as
 * the split between loading the checkpoint files and rebuilding the state. The files were just
 * written, so they are read from the page cache.
 *
 *   bench_checkpoint [build_dir] [--overhead | --size] [-p parallelism] [-n count] [-r runs]
 *
 * Without --overhead or --size both run. -n is the number of tuples for checkpoint-overhead
 * and the number of keys for checkpoint-size; -p and -r apply to checkpoint-overhead only
 * (checkpoint-size runs at parallelism 1, so its checkpoint is one state file written by one
 * thread and async ms is the time to write that file). Checkpoint directories live under
 * /tmp/spate-bench-ckpt-XXXXXX and are deleted at the end. The environment variable BENCH_LOG
 * sets the jobs' log level (default WARN); with DEBUG the TaskExecutor logs, per state file, the
 * time to encode and write it and the time to checksum and sync it.
 */
#include <stdatomic.h>

#include "bench_util.h"

/* ---- checkpoint-overhead ------------------------------------------------------------------- */

#define OV_DEFAULT_ROWS 50000000LL
#define OV_KEYS 10000
#define OV_SEED 0x3a17d0e5ULL
#define OV_RUNS 2

int ck_ov_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int ck_ov_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out);

int ck_ov_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, bench_tuple_key(OV_SEED, i, OV_KEYS));
  spate_rb_set_bigint(out, 1, bench_tuple_value(OV_SEED, i));
  spate_rb_set_bigint(out, 2, i / 1000);
  return 0;
}

int ck_ov_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  spate_rb_set_bigint(out, 2, spate_row_bigint(acc, 2));
  return 0;
}

static void print_checkpoints(const spate_job_result *r) {
  size_t n = spate_job_result_num_checkpoints(r);
  for (size_t i = 0; i < n; i++) {
    const spate_checkpoint_stats *c = spate_job_result_checkpoint(r, i);
    printf(
        "    checkpoint %lld: %lld ms (sync %lld ms, async %lld ms, alignment %lld ms), "
        "%llu bytes%s\n",
        (long long)c->id, (long long)c->duration_ms, (long long)c->sync_ms, (long long)c->async_ms,
        (long long)c->alignment_ms, (unsigned long long)c->state_size,
        c->unaligned ? ", unaligned" : "");
  }
}

/* Runs the windowed sum once; with ckpt_dir, checkpoints every second go there. Returns the
 * wall time (environment to result) or -1; *windows is what the window operator emitted and
 * *ncheckpoints how many checkpoints completed. */
static double run_overhead(int p, int64_t rows, const char *ckpt_dir, bool verbose,
                           uint64_t *windows, size_t *ncheckpoints) {
  double t0 = bench_now();
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", getenv("BENCH_LOG") ? getenv("BENCH_LOG") : "WARN");
  spate_env_set_parallelism(env, p);
  if (ckpt_dir) {
    char *uri = bench_strf("file://%s", ckpt_dir);
    spate_env_set(env, "execution.checkpointing.interval", "1 s");
    spate_env_set(env, "state.checkpoints.dir", uri);
    free(uri);
  }
  const spate_schema *schema =
      spate_env_schema(env, "key BIGINT NOT NULL, value BIGINT NOT NULL, ts BIGINT NOT NULL");
  spate_stream *s = spate_generate(env, schema, ck_ov_generate, rows);
  s = spate_parallelism(spate_uid(spate_name(s, "gen"), "gen"), 1);
  s = spate_assign_timestamps(s, 2, SPATE_WATERMARKS_MONOTONOUS, 0);
  s = spate_parallelism(spate_uid(s, "timestamps"), 1);
  s = spate_window_reduce(
      spate_window(spate_key_by(s, 0), spate_tumbling_windows(SPATE_EVENT_TIME, 1000, 0)),
      ck_ov_sum);
  s = spate_uid(spate_name(s, "window-sum"), "window-sum");
  spate_uid(spate_discard(s), "discard");
  spate_job_result *r = spate_execute(
      env, ckpt_dir ? "bench checkpoint-overhead (checkpoints)" : "bench checkpoint-overhead");
  double t = bench_now() - t0;
  bool ok = bench_result_ok(r, verbose);
  if (!ok && spate_env_error(env)) fprintf(stderr, "env error: %s\n", spate_env_error(env));
  *windows = 0;
  *ncheckpoints = 0;
  if (ok) {
    long w = bench_find_operator(r, "window-sum");
    *windows = w >= 0 ? spate_job_result_records_out(r, (size_t)w) : 0;
    *ncheckpoints = spate_job_result_num_checkpoints(r);
    if (ckpt_dir) {
      printf("    %zu checkpoints completed\n", *ncheckpoints);
      print_checkpoints(r);
    }
  }
  spate_job_result_free(r);
  spate_env_free(env);
  return ok ? t : -1;
}

static int bench_overhead(const bench_opts *o, const char *tmp) {
  int p = o->parallelism ? o->parallelism : 1;
  int64_t rows = o->count ? o->count : OV_DEFAULT_ROWS;
  int runs = o->runs ? o->runs : OV_RUNS;
  printf(
      "checkpoint-overhead: %lld tuples over %d keys, 1 s tumbling event-time window sum per "
      "key -> discard (p=%d); engine: checkpoints every 1 s, baseline: no checkpoints; best "
      "of %d runs each\n",
      (long long)rows, OV_KEYS, p, runs);
  bench_best base = {0}, eng = {0};
  uint64_t wb = 0, we = 0;
  size_t fewest = SIZE_MAX;
  for (int i = 0; i < runs; i++) {
    size_t nck;
    double t = run_overhead(p, rows, NULL, i == 0, &wb, &nck);
    if (t < 0) return 1;
    bench_record(&base, "baseline (no checkpoints)", t);
    char *dir = bench_strf("%s/overhead-%d", tmp, i);
    t = run_overhead(p, rows, dir, false, &we, &nck);
    bench_remove_tree(dir);
    free(dir);
    if (t < 0) return 1;
    bench_record(&eng, "engine (checkpoints every 1 s)", t);
    if (nck < fewest) fewest = nck;
    if (we != wb) {
      fprintf(stderr, "FAIL: %llu windows with checkpoints, %llu without\n", (unsigned long long)we,
              (unsigned long long)wb);
      return 1;
    }
  }
  printf("windows: %llu in every run; fewest completed checkpoints in a run: %zu\n",
         (unsigned long long)wb, fewest);
  if (fewest < 2)
    printf("note: fewer than 2 checkpoints completed in a run; raise -n for a longer run\n");
  bench_report("checkpoint-overhead", rows, eng.best_s, base.best_s);
  return 0;
}

/* ---- checkpoint-size ----------------------------------------------------------------------- */

#define SZ_DEFAULT_KEYS 1000000LL
#define SZ_VALUE_LEN 1024
#define SZ_THROTTLE_US 1000
#define SZ_INTERVAL "3 s"
#define SZ_TIMEOUT_S 90.0
#define SZ_VERIFY_RECORDS 20 /* restored records checked before the restore job is cancelled */
#define SZ_FULL 2            /* checkpoints of the full state taken (the best one counts) */
#define SZ_RAW_RUNS 2        /* raw writes (the best one counts) */

int ck_sz_generate(spate_ctx *ctx, int64_t index, spate_row_builder *out);
int ck_sz_open(spate_ctx *ctx, void **user);
void ck_sz_close(spate_ctx *ctx, void *user);
int ck_sz_process(spate_ctx *ctx, const spate_row *in, spate_collector *out);

/* Shared with the UDFs, which run on the embedded MiniCluster's task threads in this process.
 * Times are bench_now() seconds as nanoseconds; 0 = not yet. */
static int64_t sz_keys = SZ_DEFAULT_KEYS; /* set before a job starts */
static _Atomic int64_t sz_inserted;       /* values stored by records with seq < keys */
static _Atomic int64_t sz_built_ns;       /* when the last key's value was stored */
static _Atomic int64_t sz_open_ns;        /* when the process function's open ran */
static _Atomic int64_t sz_first_ns;       /* when the first record was handled */
static _Atomic int64_t sz_checked;        /* records with seq >= keys whose value was checked */
/* The process's CPU time (all threads) at the open and at the first record: what the restore
 * cost in CPU, which a loaded machine disturbs far less than the wall time. */
static _Atomic int64_t sz_open_cpu_ns, sz_first_cpu_ns;

static int64_t now_ns(void) { return (int64_t)(bench_now() * 1e9); }
static int64_t cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The value of a key: SZ_VALUE_LEN bytes, a pure function of the key. */
static void sz_value(int64_t key, uint8_t *out) {
  for (int j = 0; j < SZ_VALUE_LEN / 8; j++) {
    uint64_t w = bench_splitmix64((uint64_t)key * 131u + (uint64_t)j);
    memcpy(out + 8 * j, &w, 8);
  }
}

int ck_sz_generate(spate_ctx *ctx, int64_t i, spate_row_builder *out) {
  int64_t key = i;
  if (i >= sz_keys) { /* the state is built: idle along, touching existing keys */
    usleep(SZ_THROTTLE_US);
    key = (int64_t)(bench_splitmix64((uint64_t)i) % (uint64_t)sz_keys);
  }
  spate_rb_set_bigint(out, 0, key);
  spate_rb_set_bigint(out, 1, i);
  return 0;
}

typedef struct sz_user {
  spate_state *value;
  spate_row_builder *rb;
  uint8_t buf[SZ_VALUE_LEN];
} sz_user;

int ck_sz_open(spate_ctx *ctx, void **user) {
  int64_t zero = 0;
  if (atomic_compare_exchange_strong(&sz_open_ns, &zero, now_ns()))
    atomic_store(&sz_open_cpu_ns, cpu_ns());
  sz_user *u = calloc(1, sizeof *u);
  spate_schema *schema = NULL;
  char err[128];
  if (!u || spate_schema_parse("v BYTES NOT NULL", &schema, err, sizeof err) < 0) {
    free(u);
    return spate_ctx_fail(ctx, "cannot set up the value state");
  }
  spate_state_desc d = {.name = "blob", .kind = SPATE_STATE_VALUE, .schema = schema};
  u->value = spate_ctx_state(ctx, &d);
  u->rb = spate_rb_new(schema);
  spate_schema_free(schema);
  *user = u;
  return u->value && u->rb ? 0 : spate_ctx_fail(ctx, "cannot declare the value state");
}

void ck_sz_close(spate_ctx *ctx, void *user) {
  sz_user *u = user;
  if (!u) return;
  spate_rb_free(u->rb);
  free(u);
}

int ck_sz_process(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  sz_user *u = spate_ctx_user(ctx);
  int64_t key = spate_row_bigint(in, 0), seq = spate_row_bigint(in, 1);
  int64_t zero = 0;
  if (atomic_load_explicit(&sz_first_ns, memory_order_relaxed) == 0 &&
      atomic_compare_exchange_strong(&sz_first_ns, &zero, now_ns()))
    atomic_store(&sz_first_cpu_ns, cpu_ns());
  sz_value(key, u->buf);
  if (seq < sz_keys) {
    spate_row row;
    spate_rb_begin(u->rb);
    spate_rb_set_bytes(u->rb, 0, u->buf, SZ_VALUE_LEN);
    if (spate_rb_finish(u->rb, &row) < 0) return spate_ctx_fail(ctx, "cannot build the value");
    int rc = spate_value_update(u->value, &row);
    if (rc < 0) return rc;
    if (atomic_fetch_add(&sz_inserted, 1) + 1 == sz_keys) atomic_store(&sz_built_ns, now_ns());
    return 0;
  }
  spate_row cur;
  int found = spate_value_get(u->value, &cur);
  if (found < 0) return found;
  if (!found)
    return spate_ctx_fail(ctx, "key %lld (record %lld) has no value", (long long)key,
                          (long long)seq);
  spate_bytes b = spate_row_string(&cur, 0);
  if (b.len != SZ_VALUE_LEN || memcmp(b.ptr, u->buf, SZ_VALUE_LEN) != 0)
    return spate_ctx_fail(ctx, "key %lld (record %lld): the value differs (%u bytes)",
                          (long long)key, (long long)seq, b.len);
  atomic_fetch_add(&sz_checked, 1);
  return 0;
}

/* The largest n of the chk-<n> directories in job_dir (with complete: only those holding
 * _metadata), or 0 if there is none. */
static int64_t max_chk(const char *job_dir, bool complete) {
  DIR *d = opendir(job_dir);
  if (!d) return 0;
  int64_t best = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    long long n;
    char tail;
    if (sscanf(e->d_name, "chk-%lld%c", &n, &tail) != 1 || n <= best) continue;
    char *meta = bench_strf("%s/%s/_metadata", job_dir, e->d_name);
    if (!complete || bench_file_exists(meta)) best = n;
    free(meta);
  }
  closedir(d);
  return best;
}

/* The size-benchmark job: a fresh environment with the given settings (NULL: not set). */
static spate_env *sz_env(const char *ckpt_uri, const char *restore_path) {
  spate_env *env = spate_env_create();
  spate_env_set(env, "log.level", getenv("BENCH_LOG") ? getenv("BENCH_LOG") : "WARN");
  spate_env_set_parallelism(env, 1);
  if (ckpt_uri) {
    spate_env_set(env, "execution.checkpointing.interval", SZ_INTERVAL);
    spate_env_set(env, "state.checkpoints.dir", ckpt_uri);
    spate_env_set(env, "execution.checkpointing.externalized-checkpoint-retention",
                  "RETAIN_ON_CANCELLATION");
  }
  if (restore_path) spate_env_set(env, "execution.savepoint.path", restore_path);
  const spate_schema *schema = spate_env_schema(env, "key BIGINT NOT NULL, seq BIGINT NOT NULL");
  spate_stream *s = spate_generate(env, schema, ck_sz_generate, -1);
  s = spate_uid(spate_name(s, "gen"), "gen");
  s = spate_process(spate_key_by(s, 0), ck_sz_process, NULL, schema);
  s = spate_uid(spate_name(s, "store-values"), "store-values");
  spate_udf_lifecycle(s, ck_sz_open, ck_sz_close);
  spate_uid(spate_discard(s), "discard");
  return env;
}

static void sz_reset(void) {
  atomic_store(&sz_inserted, 0);
  atomic_store(&sz_built_ns, 0);
  atomic_store(&sz_open_ns, 0);
  atomic_store(&sz_first_ns, 0);
  atomic_store(&sz_checked, 0);
  atomic_store(&sz_open_cpu_ns, 0);
  atomic_store(&sz_first_cpu_ns, 0);
}

/* Ends a job that should have been cancelled; false (with a message) if it ended otherwise. */
static bool sz_end(spate_job_client *c, spate_job_result **out) {
  spate_job_result *r = spate_job_client_wait(c);
  *out = r;
  if (!r) {
    fprintf(stderr, "FAIL: spate_job_client_wait returned NULL\n");
    return false;
  }
  spate_job_status st = spate_job_result_status(r);
  if (st != SPATE_JOB_CANCELED) {
    const char *err = spate_job_result_error(r);
    fprintf(stderr, "FAIL: job %s, expected CANCELED: %s\n", spate_job_status_name(st),
            err ? err : "(no message)");
    return false;
  }
  return true;
}

/* Writes `bytes` bytes into a new file in dir with write() in 1 MiB chunks, then fsync: the
 * disk speed the asynchronous part is compared with. Returns seconds (open to close) or -1. */
static double raw_write(const char *dir, uint64_t bytes) {
  enum { CHUNK = 1 << 20 };
  uint8_t *buf = malloc(CHUNK);
  if (!buf) abort();
  for (int j = 0; j < CHUNK / 8; j++) {
    uint64_t w = bench_splitmix64((uint64_t)j);
    memcpy(buf + 8 * j, &w, 8);
  }
  char *path = bench_strf("%s/raw-write.bin", dir);
  double t0 = bench_now();
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0;
  for (uint64_t left = bytes; ok && left > 0;) {
    size_t n = left < CHUNK ? (size_t)left : CHUNK;
    ssize_t k = write(fd, buf, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0)
      ok = false;
    else
      left -= (uint64_t)k;
  }
  if (ok && fsync(fd) != 0) ok = false;
  if (fd >= 0 && close(fd) != 0) ok = false;
  double t = bench_now() - t0;
  if (!ok) fprintf(stderr, "FAIL: raw write of %s: %s\n", path, strerror(errno));
  unlink(path);
  free(path);
  free(buf);
  return ok ? t : -1;
}

static int bench_size(const bench_opts *o, const char *tmp) {
  sz_keys = o->count ? o->count : SZ_DEFAULT_KEYS;
  printf(
      "checkpoint-size: %lld keys x %d-byte value in value state (p=1), checkpoints every "
      "%s; measure the %d checkpoints taken after every key is stored, then restore the "
      "last\n",
      (long long)sz_keys, SZ_VALUE_LEN, SZ_INTERVAL, SZ_FULL);
  char *ckdir = bench_strf("%s/size", tmp), *uri = bench_strf("file://%s", ckdir);
  int rc = 1;
  spate_job_result *r = NULL;
  char *job_dir = NULL, *chk_dir = NULL;

  /* 1. Build the state and take the checkpoint. */
  sz_reset();
  spate_env *env = sz_env(uri, NULL);
  double t0 = bench_now();
  spate_job_client *c = spate_execute_async(env, "bench checkpoint-size");
  if (!c) {
    fprintf(stderr, "FAIL: cannot submit: %s\n", spate_env_error(env));
    goto out;
  }
  job_dir = bench_strf("%s/%s", ckdir, spate_job_client_id(c));
  /* chk ids: the last one triggered before the state was complete, and the newest complete */
  int64_t before = -1, newest = 0;
  bool timed_out = false;
  for (;;) {
    usleep(20000);
    if (before < 0 && atomic_load(&sz_built_ns)) {
      before = max_chk(job_dir, false);
      printf("  state built after %.2f s (%lld values); checkpoints triggered so far: %lld\n",
             (double)atomic_load(&sz_built_ns) * 1e-9 - t0, (long long)atomic_load(&sz_inserted),
             (long long)before);
    }
    if (before >= 0 && (newest = max_chk(job_dir, true)) >= before + SZ_FULL) break;
    if (bench_now() - t0 > SZ_TIMEOUT_S) {
      timed_out = true;
      break;
    }
  }
  spate_job_client_cancel(c);
  bool ended = sz_end(c, &r);
  printf("  job ran %.2f s, cancelled after checkpoint %lld completed\n", bench_now() - t0,
         (long long)newest);
  if (!ended) goto out;
  print_checkpoints(r);
  if (timed_out) {
    fprintf(stderr, "FAIL: no %d complete checkpoints of the full state within %.0f s\n", SZ_FULL,
            SZ_TIMEOUT_S);
    goto out;
  }
  /* the checkpoints triggered after the state was complete: the fastest asynchronous part */
  spate_checkpoint_stats ck = {0};
  int full = 0;
  for (size_t i = 0; i < spate_job_result_num_checkpoints(r); i++) {
    const spate_checkpoint_stats *st = spate_job_result_checkpoint(r, i);
    if (st->id <= before) continue;
    if (st->state_size < (uint64_t)sz_keys * SZ_VALUE_LEN) {
      fprintf(stderr, "FAIL: checkpoint %lld holds %llu bytes, less than the %lld values\n",
              (long long)st->id, (unsigned long long)st->state_size,
              (long long)sz_keys * SZ_VALUE_LEN);
      goto out;
    }
    if (full++ == 0 || st->async_ms < ck.async_ms) ck = *st;
  }
  if (full == 0) {
    fprintf(stderr, "FAIL: the job result has no stats for a checkpoint after %lld\n",
            (long long)before);
    goto out;
  }
  spate_job_result_free(r);
  r = NULL;
  spate_env_free(env);
  env = NULL;
  chk_dir = bench_strf("%s/chk-%lld", job_dir, (long long)max_chk(job_dir, true));
  double async_bps = ck.async_ms > 0 ? (double)ck.state_size / (ck.async_ms * 1e-3) : 0;
  printf(
      "  %d checkpoints of the full state; fastest async part: checkpoint %lld: %llu bytes "
      "(%.1f MB), end to end %lld ms, sync part %lld ms, async part %lld ms = %.1f MB/s\n",
      full, (long long)ck.id, (unsigned long long)ck.state_size, (double)ck.state_size / 1e6,
      (long long)ck.duration_ms, (long long)ck.sync_ms, (long long)ck.async_ms, async_bps / 1e6);

  /* 2. The disk: the same bytes with write() + fsync, best of SZ_RAW_RUNS. */
  double raw_s = -1;
  for (int i = 0; i < SZ_RAW_RUNS; i++) {
    double t = raw_write(ckdir, ck.state_size);
    if (t < 0) goto out;
    printf("  raw write() + fsync of %llu bytes, run %d: %.3f s = %.1f MB/s\n",
           (unsigned long long)ck.state_size, i + 1, t, (double)ck.state_size / t / 1e6);
    if (raw_s < 0 || t < raw_s) raw_s = t;
  }
  double raw_bps = (double)ck.state_size / raw_s;

  /* 3. Restore from the retained checkpoint. */
  printf("  restoring from %s\n", chk_dir);
  sz_reset();
  env = sz_env(NULL, chk_dir);
  t0 = bench_now();
  int64_t cpu0 = cpu_ns();
  c = spate_execute_async(env, "bench checkpoint-size restore");
  if (!c) {
    fprintf(stderr, "FAIL: cannot submit the restore job: %s\n", spate_env_error(env));
    goto out;
  }
  timed_out = false;
  while (atomic_load(&sz_checked) < SZ_VERIFY_RECORDS && !timed_out) {
    usleep(1000);
    timed_out = bench_now() - t0 > SZ_TIMEOUT_S;
  }
  spate_job_client_cancel(c);
  ended = sz_end(c, &r);
  if (!ended) goto out;
  int64_t open_ns = atomic_load(&sz_open_ns), first_ns = atomic_load(&sz_first_ns);
  if (timed_out || !first_ns) {
    fprintf(stderr, "FAIL: the restored job handled no record within %.0f s\n", SZ_TIMEOUT_S);
    goto out;
  }
  if (atomic_load(&sz_inserted) != 0) {
    fprintf(stderr, "FAIL: the restored source replayed %lld records of the build phase\n",
            (long long)atomic_load(&sz_inserted));
    goto out;
  }
  double restore_s = (double)first_ns * 1e-9 - t0;
  printf(
      "  restore: %.3f s from submission to the first record handled (process function "
      "open after %.3f s, state rebuilt in the %.3f s after it); %lld restored values "
      "checked\n",
      restore_s, (double)open_ns * 1e-9 - t0, (double)(first_ns - open_ns) * 1e-9,
      (long long)atomic_load(&sz_checked));
  printf(
      "  restore CPU time (process, all threads): %.3f s to the first record (%.3f s to the "
      "open, %.3f s after it)\n",
      (double)(atomic_load(&sz_first_cpu_ns) - cpu0) * 1e-9,
      (double)(atomic_load(&sz_open_cpu_ns) - cpu0) * 1e-9,
      (double)(atomic_load(&sz_first_cpu_ns) - atomic_load(&sz_open_cpu_ns)) * 1e-9);

  printf("BENCH checkpoint-size engine=%.0f baseline=%.0f ratio=%.2f\n", async_bps, raw_bps,
         async_bps / raw_bps);
  printf("CHECKPOINT sync_ms=%lld async_ms=%lld size_bytes=%llu restore_ms=%.0f\n",
         (long long)ck.sync_ms, (long long)ck.async_ms, (unsigned long long)ck.state_size,
         restore_s * 1e3);
  rc = 0;
out:
  if (r) spate_job_result_free(r);
  if (env) spate_env_free(env);
  bench_remove_tree(ckdir);
  free(chk_dir);
  free(job_dir);
  free(uri);
  free(ckdir);
  return rc;
}

int main(int argc, char **argv) {
  bool overhead = false, size = false;
  int n = 0;
  for (int i = 0; i < argc; i++) /* drop our flags before the shared parser sees them */
    if (strcmp(argv[i], "--overhead") == 0)
      overhead = true;
    else if (strcmp(argv[i], "--size") == 0)
      size = true;
    else
      argv[n++] = argv[i];
  argc = n;
  if (!overhead && !size) overhead = size = true;
  bench_opts o = bench_parse_args(argc, argv);
  setvbuf(stdout, NULL, _IOLBF, 0);
  char tmp[] = "/tmp/spate-bench-ckpt-XXXXXX";
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 1;
  }
  int rc = 0;
  if (overhead) rc |= bench_overhead(&o, tmp);
  if (size && rc == 0) rc |= bench_size(&o, tmp);
  bench_remove_tree(tmp);
  return rc;
}

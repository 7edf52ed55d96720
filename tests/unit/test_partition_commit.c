/*
 * test_partition_commit.c: Flink's partition commit in the exactly-once file sink: the options
 * (connectors/file_sink_options.c: parsing, refusals naming the key, the partition time
 * extractor) and the writers with their PartitionCommitter (connectors/file_sink.c,
 * connectors/partition_committer.c), each operator driven directly through the harness: the
 * rows a writer emits after a completed checkpoint are handed to the committer as the task
 * would, so the test decides exactly when each writer subtask's report arrives, where the
 * committer's watermark stands at its snapshot, and where its processing-time clock stands.
 * Success files are checked on disk, never by waiting.
 * UDFs have external linkage (the program is linked with -rdynamic) and a pc_ prefix.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw */
#endif
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "connectors/file_sink_options.h"
#include "harness.h"
#include "state/snapshot.h"
#include "support/testkit.h"

static char tmpdir[64];

static int setup_dir(void **state) {
  tk_mkdtemp(tmpdir, sizeof tmpdir, "spate_pcommit_");
  return 0;
}
static int teardown_dir(void **state) {
  tk_rm_rf(tmpdir);
  return 0;
}

/* Whether <tmpdir>/<partition>/<name> exists. */
static bool has(const char *partition, const char *name) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s/%s", tmpdir, partition, name);
  struct stat st;
  return stat(p, &st) == 0;
}

static void drop(const char *partition, const char *name) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s/%s", tmpdir, partition, name);
  assert_int_equal(unlink(p), 0);
}

/* The number of finished (visible, not hidden, not _SUCCESS) part files of a partition. */
static int finished_parts(const char *partition) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", tmpdir, partition);
  DIR *d = opendir(p);
  if (!d) return 0;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (strncmp(e->d_name, "part-", 5) == 0) n++;
  closedir(d);
  return n;
}

/* ---- the job: rows (v BIGINT, dt STRING, hm STRING) into a sink partitioned by (dt, hm) ----- */
int pc_row(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);
int pc_row(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  spate_rb_set_string(out, 1, "2023-11-14", 10);
  spate_rb_set_string(out, 2, "22:13", 5);
  return 0;
}

static spate_env *new_env(int parallelism) {
  spate_env *env = spate_env_create();
  assert_non_null(env);
  spate_env_set(env, "log.level", "OFF");
  spate_env_set_parallelism(env, parallelism);
  return env;
}

/* The writers' stream; the committer is the node after them. */
static spate_stream *sink_job(spate_env *env, const char *const *options) {
  const spate_schema *s = spate_env_schema(env,
                                           "v BIGINT NOT NULL, dt STRING NOT NULL, "
                                           "hm STRING NOT NULL");
  static const char *const keys[] = {"dt", "hm"};
  spate_file_sink_options o = {
      .bucket_format = "", .partition_keys = keys, .npartition_keys = 2, .options = options};
  spate_stream *w =
      spate_sink_file(spate_map(spate_from_sequence(env, 1, 10), pc_row, s), tmpdir, &o);
  if (!w) fail_msg("%s", spate_env_error(env));
  return w;
}

static void open_writer(harness *h, spate_env *env, spate_stream *w, int subtask) {
  if (harness_open_restored(h, env, w, subtask, NULL, 0) < 0) fail_msg("%s", h->err);
}

static void open_committer(harness *h, spate_env *env, spate_stream *w, const sp_writer *state) {
  spate_stream c = {.env = env, .node = w->node + 1};
  assert_int_equal(env->g->nodes[c.node].kind, OP_PARTITION_COMMIT);
  snap_section sec = {state ? state->data : NULL, state ? state->len : 0};
  if (harness_open_restored(h, env, &c, 0, &sec, state ? 1 : 0) < 0) fail_msg("%s", h->err);
}

/* Writes a row of partition (dt, hm) into a writer. */
static void write_row(harness *h, int64_t v, const char *dt, const char *hm) {
  spate_row_builder *b = spate_rb_new(h->op->in_schema);
  spate_rb_begin(b);
  spate_rb_set_bigint(b, 0, v);
  spate_rb_set_string(b, 1, dt, strlen(dt));
  spate_rb_set_string(b, 2, hm, strlen(hm));
  spate_row r;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  if (harness_element(h, 0, 0, &r) < 0) fail_msg("%s", h->err);
  spate_rb_free(b);
}

/* Hands at most max of the rows writer w emitted since *seen to the committer c; returns how
 * many. */
static int relay_some(harness *w, size_t *seen, harness *c, int max) {
  int n = 0;
  for (; *seen < w->nevents && n < max; (*seen)++) {
    harness_event *e = &w->events[*seen];
    if (e->type != HARNESS_RECORD) continue;
    if (harness_element(c, 0, e->ts, &e->row) < 0) fail_msg("%s", c->err);
    n++;
  }
  return n;
}

/* Hands all the rows writer w emitted since *seen to the committer c; returns how many. */
static int relay(harness *w, size_t *seen, harness *c) { return relay_some(w, seen, c, INT_MAX); }

static void snapshot(harness *h, int64_t id, sp_writer *out) {
  sp_writer_init(out);
  if (harness_snapshot(h, id, out) < 0) fail_msg("%s", h->err);
}

static void complete(harness *h, int64_t id) {
  if (h->op->vt->notify_complete(h->op, id) < 0) fail_msg("%s", h->err);
}

#define P13 "dt=2023-11-14/hm=22%3A13"
#define P14 "dt=2023-11-14/hm=22%3A14"
#define P20 "dt=2023-11-14/hm=22%3A20"
#define T13 1699999980000LL /* 2023-11-14 22:13:00 UTC */
#define MIN 60000LL

static const char *const q10_options[] = {"sink.partition-commit.trigger",
                                          "partition-time",
                                          "sink.partition-commit.delay",
                                          "1 min",
                                          "sink.partition-commit.policy.kind",
                                          "success-file",
                                          "partition.time-extractor.timestamp-pattern",
                                          "$dt $hm:00",
                                          NULL};

/* partition-time at parallelism 2: a partition is committed once both writers reported a
 * checkpoint that completed, and the committer's watermark at that checkpoint is past the
 * partition's time plus the delay; never before, and once. */
static void test_partition_time_two_writers(void **state) {
  spate_env *env = new_env(2);
  spate_stream *ws = sink_job(env, q10_options);
  harness w0, w1, c;
  open_writer(&w0, env, ws, 0);
  open_writer(&w1, env, ws, 1);
  open_committer(&c, env, ws, NULL);
  size_t seen0 = 0, seen1 = 0;
  write_row(&w0, 1, "2023-11-14", "22:13");
  write_row(&w0, 2, "2023-11-14", "22:14");
  write_row(&w1, 3, "2023-11-14", "22:13");
  /* checkpoint 1: the committer's watermark is 22:15:00, i.e. 22:13 + 1 min has passed, 22:14 +
   * 1 min has not (Flink commits when the watermark is greater) */
  assert_int_equal(harness_watermark(&c, T13 + 2 * MIN), 0);
  sp_writer s0, s1, sc;
  snapshot(&w0, 1, &s0);
  snapshot(&w1, 1, &s1);
  snapshot(&c, 1, &sc);
  assert_int_equal(relay(&w0, &seen0, &c), 0); /* nothing is sent before the completion */
  assert_false(has(P13, "_SUCCESS"));
  assert_int_equal(finished_parts(P13), 0);
  complete(&w0, 1);
  assert_int_equal(relay(&w0, &seen0, &c), 3); /* two partitions and its end of checkpoint 1 */
  assert_int_equal(finished_parts(P13), 1);
  assert_false(has(P13, "_SUCCESS")); /* subtask 1 has not reported yet */
  complete(&w1, 1);
  assert_int_equal(relay(&w1, &seen1, &c), 2);
  assert_int_equal(finished_parts(P13), 2);
  assert_true(has(P13, "_SUCCESS"));  /* both reported, watermark past 22:14:00 */
  assert_false(has(P14, "_SUCCESS")); /* 22:15:00 is not past 22:15:00 */
  drop(P13, "_SUCCESS");              /* so that a second commit would show */
  /* checkpoint 2: the watermark moves one millisecond further */
  assert_int_equal(harness_watermark(&c, T13 + 2 * MIN + 1), 0);
  sp_writer_free(&s0);
  sp_writer_free(&s1);
  sp_writer_free(&sc);
  snapshot(&w0, 2, &s0);
  snapshot(&w1, 2, &s1);
  snapshot(&c, 2, &sc);
  complete(&w1, 2);
  assert_int_equal(relay(&w1, &seen1, &c), 1); /* only its end of checkpoint 2 */
  assert_false(has(P14, "_SUCCESS"));
  complete(&w0, 2);
  assert_int_equal(relay(&w0, &seen0, &c), 1);
  assert_true(has(P14, "_SUCCESS"));
  assert_false(has(P13, "_SUCCESS")); /* committed once: not again */
  /* the end of the input commits what is left, whatever the watermark */
  write_row(&w1, 4, "2023-11-14", "22:20");
  assert_int_equal(w0.op->vt->end_input(w0.op), 0);
  assert_int_equal(relay(&w0, &seen0, &c), 1);
  assert_false(has(P20, "_SUCCESS"));
  assert_int_equal(w1.op->vt->end_input(w1.op), 0);
  assert_int_equal(relay_some(&w1, &seen1, &c, 1), 1); /* its partition, not yet its end */
  assert_false(has(P20, "_SUCCESS"));
  assert_int_equal(relay(&w1, &seen1, &c), 1);
  assert_true(has(P20, "_SUCCESS"));
  assert_int_equal(finished_parts(P20), 1);
  assert_false(has(P13, "_SUCCESS"));
  sp_writer_free(&s0);
  sp_writer_free(&s1);
  sp_writer_free(&sc);
  harness_close(&w0);
  harness_close(&w1);
  harness_close(&c);
  spate_env_free(env);
}

/* The committer's pending partitions and watermarks survive a restore. */
static void test_committer_restore(void **state) {
  spate_env *env = new_env(1);
  spate_stream *ws = spate_uid(sink_job(env, q10_options), "files");
  harness w, c;
  open_writer(&w, env, ws, 0);
  open_committer(&c, env, ws, NULL);
  assert_string_equal(c.op->node->uid, "files-committer"); /* from the writers' */
  size_t seen = 0;
  write_row(&w, 1, "2023-11-14", "22:14");
  sp_writer sw, sc;
  assert_int_equal(harness_watermark(&c, T13), 0);
  snapshot(&w, 1, &sw);
  snapshot(&c, 1, &sc);
  complete(&w, 1);
  assert_int_equal(relay(&w, &seen, &c), 2);
  assert_false(has(P14, "_SUCCESS")); /* the watermark is far behind */
  /* checkpoint 2 holds the pending partition, with watermark 22:16 */
  assert_int_equal(harness_watermark(&c, T13 + 3 * MIN), 0);
  sp_writer_free(&sw);
  sp_writer_free(&sc);
  snapshot(&w, 2, &sw);
  snapshot(&c, 2, &sc);
  harness_close(&c); /* fails before checkpoint 2's reports arrive */
  open_committer(&c, env, ws, &sc);
  complete(&w, 2);
  assert_int_equal(relay(&w, &seen, &c), 1);
  assert_true(has(P14, "_SUCCESS"));
  sp_writer_free(&sw);
  sp_writer_free(&sc);
  harness_close(&w);
  harness_close(&c);
  spate_env_free(env);
}

/* A writer that fails after its checkpoint completed but before its report went out commits the
 * restored pending transaction again on restore and reports its partition at the next
 * completed checkpoint. */
static void test_writer_restore_reports_again(void **state) {
  spate_env *env = new_env(1);
  spate_stream *ws = sink_job(env, q10_options);
  harness w, c;
  open_writer(&w, env, ws, 0);
  open_committer(&c, env, ws, NULL);
  write_row(&w, 1, "2023-11-14", "22:13");
  assert_int_equal(harness_watermark(&c, T13 + 5 * MIN), 0);
  sp_writer sw, sc;
  snapshot(&w, 1, &sw);
  snapshot(&c, 1, &sc);
  harness_close(&w); /* checkpoint 1 completes, but the writer is gone before it hears so */
  assert_int_equal(finished_parts(P13), 0);
  snap_section sec = {sw.data, sw.len};
  if (harness_open_restored(&w, env, ws, 0, &sec, 1) < 0) fail_msg("%s", w.err);
  assert_int_equal(finished_parts(P13), 1); /* the restore committed the pending part */
  size_t seen = 0;
  assert_int_equal(relay(&w, &seen, &c), 0); /* reported only with a completed checkpoint */
  sp_writer_free(&sw);
  sp_writer_free(&sc);
  snapshot(&w, 2, &sw);
  snapshot(&c, 2, &sc);
  assert_false(has(P13, "_SUCCESS"));
  complete(&w, 2);
  assert_int_equal(relay(&w, &seen, &c), 2);
  assert_true(has(P13, "_SUCCESS"));
  sp_writer_free(&sw);
  sp_writer_free(&sc);
  harness_close(&w);
  harness_close(&c);
  spate_env_free(env);
}

/* process-time: committable once the committer's clock is past the time it first heard of the
 * partition plus the delay, checked when a checkpoint's reports are complete. */
static void test_process_time_trigger(void **state) {
  spate_env *env = new_env(1);
  static const char *const opts[] = {"sink.partition-commit.policy.kind",
                                     "success-file",
                                     "sink.partition-commit.delay",
                                     "10 s",
                                     "sink.partition-commit.success-file.name",
                                     "_DONE",
                                     NULL};
  spate_stream *ws = sink_job(env, opts);
  harness w, c;
  open_writer(&w, env, ws, 0);
  open_committer(&c, env, ws, NULL);
  size_t seen = 0;
  write_row(&w, 1, "2023-11-14", "22:13");
  int64_t id = 0;
  sp_writer sw, sc;
  /* one checkpoint: snapshots, completion, the report */
#define CHECKPOINT()       \
  do {                     \
    id++;                  \
    snapshot(&w, id, &sw); \
    snapshot(&c, id, &sc); \
    complete(&w, id);      \
    relay(&w, &seen, &c);  \
    sp_writer_free(&sw);   \
    sp_writer_free(&sc);   \
  } while (0)
  assert_int_equal(harness_processing_time(&c, 5000), 0);
  CHECKPOINT(); /* first heard of at 5000 */
  assert_false(has(P13, "_DONE"));
  assert_int_equal(harness_processing_time(&c, 15000), 0);
  CHECKPOINT(); /* 15000 is not past 5000 + 10 s */
  assert_false(has(P13, "_DONE"));
  assert_int_equal(harness_processing_time(&c, 15001), 0);
  assert_false(has(P13, "_DONE")); /* only a checkpoint's reports commit */
  CHECKPOINT();
  assert_true(has(P13, "_DONE"));
  assert_false(has(P13, "_SUCCESS"));
#undef CHECKPOINT
  harness_close(&w);
  harness_close(&c);
  spate_env_free(env);
}

/* ---- options --------------------------------------------------------------------------------- */
static void expect_refused(const char *key, const char *value, const char *why) {
  spate_env *env = new_env(1);
  const spate_schema *s = spate_env_schema(env,
                                           "v BIGINT NOT NULL, dt STRING NOT NULL, "
                                           "hm STRING NOT NULL");
  static const char *const keys[] = {"dt", "hm"};
  const char *const options[] = {"sink.partition-commit.policy.kind", "success-file", key, value,
                                 NULL};
  spate_file_sink_options o = {
      .bucket_format = "", .partition_keys = keys, .npartition_keys = 2, .options = options};
  assert_null(spate_sink_file(spate_map(spate_from_sequence(env, 1, 10), pc_row, s), tmpdir, &o));
  const char *err = spate_env_error(env);
  if (!err || !strstr(err, key) || !strstr(err, why))
    fail_msg("'%s' = '%s': expected an error naming the key and '%s', got '%s'", key, value, why,
             err ? err : "(none)");
  spate_env_free(env);
}

static void test_bad_options_refused(void **state) {
  expect_refused("sink.partition-commit.trigger", "event-time",
                 "'process-time' or 'partition-time'");
  expect_refused("sink.partition-commit.delay", "soon", "duration");
  expect_refused("sink.partition-commit.delay", "-1 s", "duration");
  expect_refused("sink.rolling-policy.rollover-interval", "0 s", "positive duration");
  expect_refused("sink.rolling-policy.check-interval", "1 fortnight", "duration");
  expect_refused("sink.rolling-policy.file-size", "big", "memory size");
  expect_refused("sink.partition-commit.watermark-time-zone", "Asia/Shanghai", "region ids");
  expect_refused("sink.partition-commit.watermark-time-zone", "+25:00", "fixed offsets");
  expect_refused("sink.partition-commit.success-file.name", "a/b", "file name");
  expect_refused("partition.time-extractor.kind", "custom", "not supported");
  expect_refused("partition.time-extractor.class", "com.example.X", "not supported");
  expect_refused("partition.time-extractor.timestamp-formatter", "yyyy-MM-dd EEE", "'E'");
  expect_refused("sink.partition-commit.policy.class", "com.example.P", "not supported");
  expect_refused("sink.partition-commit.success-file", "x", "unknown file sink option");
  expect_refused("sink.partition-commit.policy.kind", "success-file", "given twice");
  /* the policy kinds themselves */
  spate_env *env = new_env(1);
  static const char *const keys[] = {"dt", "hm"};
  const spate_schema *s = spate_env_schema(env,
                                           "v BIGINT NOT NULL, dt STRING NOT NULL, "
                                           "hm STRING NOT NULL");
  static const char *const meta[] = {"sink.partition-commit.policy.kind", "metastore,success-file",
                                     NULL};
  spate_file_sink_options o = {
      .bucket_format = "", .partition_keys = keys, .npartition_keys = 2, .options = meta};
  assert_null(spate_sink_file(spate_map(spate_from_sequence(env, 1, 10), pc_row, s), tmpdir, &o));
  assert_non_null(strstr(spate_env_error(env), "'sink.partition-commit.policy.kind'"));
  assert_non_null(strstr(spate_env_error(env), "Hive metastore"));
  spate_env_free(env);
  env = new_env(1);
  static const char *const custom[] = {"sink.partition-commit.policy.kind", "custom", NULL};
  o.options = custom;
  assert_null(spate_sink_file(spate_from_sequence(env, 1, 10), tmpdir,
                              &(spate_file_sink_options){.bucket_format = "", .options = custom}));
  assert_non_null(strstr(spate_env_error(env), "'sink.partition-commit.policy.kind'"));
  spate_env_free(env);
  /* a policy without partition keys */
  env = new_env(1);
  static const char *const ok[] = {"sink.partition-commit.policy.kind", "success-file", NULL};
  assert_null(spate_sink_file(spate_from_sequence(env, 1, 10), tmpdir,
                              &(spate_file_sink_options){.bucket_format = "", .options = ok}));
  assert_non_null(strstr(spate_env_error(env), "needs partition keys"));
  spate_env_free(env);
  /* a key without its value */
  char err[SP_ERRMSG_MAX];
  fs_sink_options fo;
  const char *const odd[] = {"sink.partition-commit.delay"};
  assert_int_equal(fs_sink_options_parse(&fo, 1, odd, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "'sink.partition-commit.delay' has no value"));
}

/* The options' values and defaults. */
static void test_options_parse(void **state) {
  char err[SP_ERRMSG_MAX];
  fs_sink_options o;
  assert_int_equal(fs_sink_options_parse(&o, 0, NULL, err, sizeof err), 0);
  assert_false(o.commit);
  assert_int_equal(o.trigger, FS_TRIGGER_PROCESS_TIME);
  assert_int_equal(o.delay_ms, 0);
  assert_int_equal(o.tz_offset_ms, 0);
  assert_string_equal(o.success_name, "_SUCCESS");
  assert_null(o.pattern);
  fs_sink_options_free(&o);
  const char *const kv[] = {"sink.partition-commit.policy.kind",
                            " Success-File ",
                            "sink.partition-commit.trigger",
                            "partition-time",
                            "sink.partition-commit.delay",
                            "1 min",
                            "sink.partition-commit.watermark-time-zone",
                            "UTC+8",
                            "sink.rolling-policy.rollover-interval",
                            "1min",
                            "sink.rolling-policy.check-interval",
                            "30 s",
                            "sink.rolling-policy.inactivity-interval",
                            "2 h",
                            "sink.rolling-policy.file-size",
                            "1 kb"};
  assert_int_equal(fs_sink_options_parse(&o, 16, kv, err, sizeof err), 0);
  assert_true(o.commit && o.success_file);
  assert_int_equal(o.trigger, FS_TRIGGER_PARTITION_TIME);
  assert_int_equal(o.delay_ms, 60000);
  assert_int_equal(o.tz_offset_ms, 8 * 3600000LL);
  assert_int_equal(o.rollover_ms, 60000);
  assert_int_equal(o.check_ms, 30000);
  assert_int_equal(o.inactivity_ms, 7200000);
  assert_int_equal(o.file_size, 1024);
  fs_sink_options_free(&o);
}

static int64_t ptime(const char *const *kv, uint32_t n, const char *k1, const char *k2,
                     const char *path, char *err) {
  fs_sink_options o;
  assert_int_equal(fs_sink_options_parse(&o, n, kv, err, SP_ERRMSG_MAX), 0);
  const char *keys[] = {k1, k2};
  op_str_list l = {k2 ? 2 : 1, keys};
  int64_t t = INT64_MIN;
  int rc = fs_partition_time(&o, &l, path, &t, err, SP_ERRMSG_MAX);
  fs_sink_options_free(&o);
  return rc < 0 ? INT64_MIN : t;
}

/* Flink's DefaultPartTimeExtractor: pattern, default parser (lenient), formatter, time zone. */
static void test_partition_time_extraction(void **state) {
  char err[SP_ERRMSG_MAX];
  const char *const q10[] = {"partition.time-extractor.timestamp-pattern", "$dt $hm:00"};
  assert_int_equal(ptime(q10, 2, "dt", "hm", P13, err), T13);
  /* without a pattern: the first value; a date alone is midnight */
  assert_int_equal(ptime(NULL, 0, "dt", "hm", P13, err), T13 - (22 * 60 + 13) * MIN);
  /* 1-digit fields, a fraction, a month past December (lenient: the next year's January) */
  assert_int_equal(ptime(NULL, 0, "d", NULL, "d=2023-11-14 22%3A13%3A00.5", err), T13 + 500);
  assert_int_equal(ptime(NULL, 0, "d", NULL, "d=2022-23-14 22%3A13%3A00", err), T13);
  assert_int_equal(ptime(NULL, 0, "d", NULL, "d=1970-1-1", err), 0);
  /* the default parser needs seconds when there is a time */
  assert_int_equal(ptime(NULL, 0, "d", NULL, "d=2023-11-14 22%3A13", err), INT64_MIN);
  assert_non_null(strstr(err, "'2023-11-14 22:13' does not match"));
  /* a year past Java's range */
  assert_int_equal(ptime(NULL, 0, "d", NULL, "d=9999999999-1-1", err), INT64_MIN);
  assert_non_null(strstr(err, "out of range"));
  /* a formatter */
  const char *const f[] = {"partition.time-extractor.timestamp-pattern", "$day $h",
                           "partition.time-extractor.timestamp-formatter", "yyyyMMdd HH"};
  assert_int_equal(ptime(f, 4, "day", "h", "day=20231114/h=22", err), T13 - 13 * MIN);
  assert_int_equal(ptime(f, 4, "day", "h", "day=20231314/h=22", err), INT64_MIN); /* strict */
  const char *const quoted[] = {"partition.time-extractor.timestamp-formatter", "'d'yyyy-MM-dd"};
  assert_int_equal(ptime(quoted, 2, "x", NULL, "x=d2023-11-14", err), T13 - (22 * 60 + 13) * MIN);
  /* the watermark time zone: 22:13 at +08:00 is 14:13 UTC */
  const char *const tz[] = {"partition.time-extractor.timestamp-pattern", "$dt $hm:00",
                            "sink.partition-commit.watermark-time-zone", "+08:00"};
  assert_int_equal(ptime(tz, 4, "dt", "hm", P13, err), T13 - 8 * 60 * MIN);
  const char *const west[] = {"partition.time-extractor.timestamp-pattern", "$dt $hm:00",
                              "sink.partition-commit.watermark-time-zone", "GMT-05:30"};
  assert_int_equal(ptime(west, 4, "dt", "hm", P13, err), T13 + 330 * MIN);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_options_parse),
      cmocka_unit_test(test_partition_time_extraction),
      cmocka_unit_test_setup_teardown(test_bad_options_refused, setup_dir, teardown_dir),
      cmocka_unit_test_setup_teardown(test_partition_time_two_writers, setup_dir, teardown_dir),
      cmocka_unit_test_setup_teardown(test_committer_restore, setup_dir, teardown_dir),
      cmocka_unit_test_setup_teardown(test_writer_restore_reports_again, setup_dir, teardown_dir),
      cmocka_unit_test_setup_teardown(test_process_time_trigger, setup_dir, teardown_dir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

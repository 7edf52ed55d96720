/*
 * fuzz_partition_commit.c: the file sink's partition commit: its options and time extractor
 * (connectors/file_sink_options.c: the user's option values, a formatter pattern, partition
 * paths) and the partition committer's state (connectors/partition_committer.c: a checkpoint's
 * bytes). Byte 0 picks what the rest is:
 *   0  options: '\n'-separated key, value, key, value, ... (at most 32 strings); when they
 *      parse, the partition time of a few fixed paths is extracted
 *   1  a timestamp pattern, '\n', a formatter ("-": none), '\n', a partition path of keys
 *      (a, b): the partition time is extracted
 *   2  one entry of the committer's state list: it is restored (in the operator harness) and
 *      then told that its one writer finished (checkpoint INT64_MAX), so every restored
 *      partition is committed into a temporary directory
 * Every failure must come with a message.
 */
#include "fuzz.h" /* first: it sets _GNU_SOURCE */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h> /* declarations the harness refers to; nothing of it runs */

#include "../unit/harness.h" /* IWYU pragma: keep */
#include "base/log.h"
#include "connectors/file_sink_options.h"
#include "state/snapshot.h"

/* Splits text into at most max NUL-terminated strings at '\n' (text is modified). */
static uint32_t split(char *text, char **out, uint32_t max) {
  uint32_t n = 0;
  for (char *p = text; n < max;) {
    out[n++] = p;
    char *nl = strchr(p, '\n');
    if (!nl) break;
    *nl = 0;
    p = nl + 1;
  }
  return n;
}

static void extract(const fs_sink_options *o, const char *path) {
  static const char *const keys[] = {"a", "b"};
  op_str_list l = {2, keys};
  char err[SP_ERRMSG_MAX] = "";
  int64_t t;
  int rc = fs_partition_time(o, &l, path, &t, err, sizeof err);
  FUZZ_CHECK(rc == 0 || err[0], "partition time of '%s' failed without a message", path);
}

static void fuzz_options(char *text) {
  char *kv[32];
  uint32_t n = split(text, kv, 32);
  fs_sink_options o;
  char err[SP_ERRMSG_MAX] = "";
  int rc = fs_sink_options_parse(&o, n, (const char *const *)kv, err, sizeof err);
  FUZZ_CHECK(rc == 0 || err[0], "options failed without a message");
  if (rc < 0) return;
  extract(&o, "a=2023-11-14/b=22%3A13");
  extract(&o, "a=20231114/b=7");
  extract(&o, "a=%/b=");
  fs_sink_options_free(&o);
}

static void fuzz_extract(char *text) {
  char *s[3];
  if (split(text, s, 3) < 3) return;
  const char *kv[4] = {"partition.time-extractor.timestamp-pattern", s[0],
                       "partition.time-extractor.timestamp-formatter", s[1]};
  fs_sink_options o;
  char err[SP_ERRMSG_MAX] = "";
  int rc = fs_sink_options_parse(&o, strcmp(s[1], "-") == 0 ? 2 : 4, kv, err, sizeof err);
  FUZZ_CHECK(rc == 0 || err[0], "options failed without a message");
  if (rc < 0) return;
  extract(&o, s[2]);
  fs_sink_options_free(&o);
}

int pf_row(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);
int pf_row(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(in, 0));
  spate_rb_set_string(out, 1, "x", 1);
  spate_rb_set_string(out, 2, "y", 1);
  return 0;
}

static void fuzz_state(const uint8_t *entry, size_t len) {
  const char *dir = fuzz_dir();
  spate_env *env = spate_env_create();
  FUZZ_CHECK(env != NULL, "out of memory");
  const spate_schema *s = spate_env_schema(env,
                                           "v BIGINT NOT NULL, a STRING NOT NULL, "
                                           "b STRING NOT NULL");
  static const char *const keys[] = {"a", "b"};
  static const char *const opts[] = {"sink.partition-commit.policy.kind", "success-file",
                                     "sink.partition-commit.trigger", "partition-time", NULL};
  spate_file_sink_options o = {
      .bucket_format = "", .partition_keys = keys, .npartition_keys = 2, .options = opts};
  spate_stream *w = spate_sink_file(spate_map(spate_from_sequence(env, 1, 2), pf_row, s), dir, &o);
  FUZZ_CHECK(w != NULL, "%s", spate_env_error(env));
  /* the entry as a snapshot of the committer's one old subtask */
  snap_writer sw;
  FUZZ_CHECK(snap_writer_init(&sw, 1, ks_key_group_range_for(1, 1, 0)) == 0, "out of memory");
  FUZZ_CHECK(snap_list_add(&sw, "partition-committer.state", SNAP_UNION, entry, (uint32_t)len) == 0,
             "out of memory");
  sp_writer enc;
  sp_writer_init(&enc);
  FUZZ_CHECK(snap_encode(&sw, &enc) == 0, "out of memory");
  snap_writer_free(&sw);
  spate_stream c = {.env = env, .node = w->node + 1};
  snap_section sec = {enc.data, enc.len};
  harness h;
  int rc = harness_open_restored(&h, env, &c, 0, &sec, 1);
  if (rc < 0) {
    FUZZ_CHECK(h.err[0], "restore failed (%d) without a message", rc);
  } else {
    spate_row_builder *b = spate_rb_new(h.op->in_schema);
    spate_rb_begin(b);
    spate_rb_set_bigint(b, FS_INFO_CHECKPOINT, INT64_MAX);
    spate_rb_set_int(b, FS_INFO_SUBTASK, 0);
    spate_rb_set_int(b, FS_INFO_TASKS, 1);
    spate_rb_set_string(b, FS_INFO_PARTITION, "", 0);
    spate_row r;
    FUZZ_CHECK(spate_rb_finish(b, &r) == 0, "row");
    rc = harness_element(&h, 0, 0, &r);
    FUZZ_CHECK(rc == 0 || h.err[0], "commit failed (%d) without a message", rc);
    spate_rb_free(b);
  }
  harness_close(&h);
  sp_writer_free(&enc);
  spate_env_free(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  sp_log_set_level(SP_LOG_OFF);
  if (data[0] % 3 == 2) {
    uint8_t *entry = sp_malloc(size - 1 ? size - 1 : 1); /* exact size: reads past it are caught */
    FUZZ_CHECK(entry != NULL, "out of memory");
    if (size > 1) memcpy(entry, data + 1, size - 1);
    fuzz_state(entry, size - 1);
    sp_free(entry);
    return 0;
  }
  char *text = sp_malloc(size);
  FUZZ_CHECK(text != NULL, "out of memory");
  memcpy(text, data + 1, size - 1);
  text[size - 1] = 0;
  if (data[0] % 3 == 0)
    fuzz_options(text);
  else
    fuzz_extract(text);
  sp_free(text);
  return 0;
}

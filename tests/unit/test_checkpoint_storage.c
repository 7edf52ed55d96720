/*
 * test_checkpoint_storage.c: checkpoints on the file system (checkpoint/storage.h) in a fresh
 * directory under /tmp per test: URIs, checksummed files, metadata, loading a checkpoint by its
 * directory, its _metadata file or the job's checkpoint directory, grouping of operator state
 * by uid, and damage: truncated, flipped, missing and mismatched files are reported naming the
 * file, a corrupt newest checkpoint falls back to the previous one with a warning in the log,
 * incomplete checkpoints are ignored, and discard removes a checkpoint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "base/log.h"
#include "checkpoint/storage.h"

#define JOB_ID "0123456789abcdef0123456789abcdef"

typedef struct fx {
  int64_t base_alloc;
  char root[64]; /* mkdtemp'ed */
  char err[2048];
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->base_alloc = sp_alloc_current();
  snprintf(f->root, sizeof f->root, "/tmp/spate-ckpt-test-XXXXXX");
  if (!mkdtemp(f->root)) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  sp_alloc_fail_after(0, 0);
  sp_log_set_file(NULL);
  char err[512];
  int rc = ckpt_discard(f->root, err, sizeof err);
  int64_t leaked = sp_alloc_current() - f->base_alloc;
  free(f);
  if (rc) fail_msg("cannot clean up: %s", err);
  if (leaked != 0) fail_msg("%lld bytes still allocated through sp_malloc", (long long)leaked);
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Building checkpoints. */

static char *path_of(char *buf, size_t cap, const char *a, const char *b) {
  snprintf(buf, cap, "%s/%s", a, b);
  return buf;
}

/* One operator's snapshot for subtask `subtask` of p: key group `first of range` holds
 * "kg<g>", list "offsets" (SPLIT) one entry "v<vertex>s<subtask>". */
static void put_op_snapshot(sp_writer *out, int vertex, int p, int subtask) {
  snap_writer w;
  assert_int_equal(snap_writer_init(&w, 128, ks_key_group_range_for(128, p, subtask)), 0);
  char buf[32];
  int n = snprintf(buf, sizeof buf, "kg%d", w.range.first);
  sp_put_bytes(snap_key_group(&w, w.range.first), buf, (size_t)n);
  n = snprintf(buf, sizeof buf, "v%ds%d", vertex, subtask);
  assert_int_equal(snap_list_add(&w, "offsets", SNAP_SPLIT, buf, (uint32_t)n), 0);
  sp_writer sec;
  sp_writer_init(&sec);
  assert_int_equal(snap_encode(&w, &sec), 0);
  snap_writer_free(&w);
  sp_put_blob(out, sec.data, sec.len);
  sp_writer_free(&sec);
}

/* Writes <dir>/<vertex>-<subtask>.state: a task payload with operators uids[0..nops) (the
 * first with state, the others empty) and the given channel state; fills *file. */
static void write_state(const char *dir, int vertex, int subtask, int p, int nops,
                        const char *const *uids, const char *channel, ckpt_file *file) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u32(&w, SNAP_TASK_MAGIC);
  sp_put_u32(&w, 1);
  sp_put_i32(&w, p);
  sp_put_u32(&w, (uint32_t)nops);
  for (int k = 0; k < nops; k++) {
    sp_put_str(&w, uids[k]);
    sp_put_i32(&w, 128);
    if (k == 0)
      put_op_snapshot(&w, vertex, p, subtask);
    else
      sp_put_blob(&w, NULL, 0);
  }
  sp_put_blob(&w, channel, strlen(channel));
  char name[32], err[512] = "";
  snprintf(name, sizeof name, "%d-%d.state", vertex, subtask);
  uint64_t sum = 0;
  if (ckpt_write_file(dir, name, CKPT_STATE_MAGIC, w.data, w.len, &sum, err, sizeof err))
    fail_msg("%s", err);
  file->name = sp_strdup(name);
  file->vertex = vertex;
  file->subtask = subtask;
  file->parallelism = p;
  file->length = w.len;
  file->checksum = sum;
  sp_writer_free(&w);
}

/* Writes <job_dir>/chk-<id>: vertex 0 (parallelism 2, chain "source" -> "map") with a state
 * file per subtask, vertex 1 ("window", parallelism 3) with state files for subtasks 0 and 2
 * only, subtask 0 carrying channel state. With `complete` the metadata is written last. */
static void write_checkpoint(const char *job_dir, int64_t id, bool complete) {
  char dir[512], err[512] = "";
  snprintf(dir, sizeof dir, "%s/chk-%lld", job_dir, (long long)id);
  if (ckpt_mkdirs(dir, err, sizeof err)) fail_msg("%s", err);
  static const char *const chain[] = {"source", "map"};
  static const char *const window[] = {"window"};
  ckpt_file files[4];
  write_state(dir, 0, 0, 2, 2, chain, "", &files[0]);
  write_state(dir, 0, 1, 2, 2, chain, "", &files[1]);
  write_state(dir, 1, 0, 3, 1, window, "inflight", &files[2]);
  write_state(dir, 1, 2, 3, 1, window, "", &files[3]);
  ckpt_metadata m = {.id = id, .timestamp = 1700000000000 + id, .nfiles = 4, .files = files};
  memcpy(m.job_id, JOB_ID, sizeof m.job_id);
  if (complete && ckpt_write_metadata(dir, &m, err, sizeof err)) fail_msg("%s", err);
  for (int i = 0; i < 4; i++) sp_free(files[i].name);
}

static long file_size(const char *path) {
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return (long)st.st_size;
}

static void xor_byte(const char *path, long offset, uint8_t mask) {
  FILE *fp = fopen(path, "r+b");
  assert_non_null(fp);
  assert_int_equal(fseek(fp, offset, SEEK_SET), 0);
  int c = fgetc(fp);
  assert_true(c != EOF);
  assert_int_equal(fseek(fp, offset, SEEK_SET), 0);
  fputc(c ^ mask, fp);
  fclose(fp);
}

/* Loads path and expects rc with every one of the strings in the message. */
static void expect_load_error(fx *f, const char *path, int rc, const char *want1,
                              const char *want2) {
  ckpt_loaded *l = (ckpt_loaded *)1;
  int got = ckpt_load(path, false, &l, f->err, sizeof f->err);
  if (got != rc || !strstr(f->err, want1) || (want2 && !strstr(f->err, want2)))
    fail_msg("expected %d with '%s' and '%s', got %d: %s", rc, want1, want2 ? want2 : "", got,
             f->err);
  assert_null(l);
}

/* ---------------------------------------------------------------------------------------------
 * Tests. */

static void uri_paths(void **state) {
  fx *f = *state;
  char out[256];
  assert_int_equal(ckpt_path_from_uri("file:///a/b", out, sizeof out, f->err, sizeof f->err), 0);
  assert_string_equal(out, "/a/b");
  assert_int_equal(ckpt_path_from_uri("file:/a/b", out, sizeof out, f->err, sizeof f->err), 0);
  assert_string_equal(out, "/a/b");
  assert_int_equal(ckpt_path_from_uri("file://localhost/c", out, sizeof out, f->err, 256), 0);
  assert_string_equal(out, "/c");
  assert_int_equal(ckpt_path_from_uri("/plain/path", out, sizeof out, f->err, 256), 0);
  assert_string_equal(out, "/plain/path");
  assert_int_equal(ckpt_path_from_uri("relative/ckpts", out, sizeof out, f->err, 256), 0);
  assert_string_equal(out, "relative/ckpts");
  assert_int_equal(ckpt_path_from_uri("s3://bucket/x", out, sizeof out, f->err, sizeof f->err),
                   SPATE_EINVAL);
  assert_non_null(strstr(f->err, "s3://bucket/x"));
  assert_int_equal(ckpt_path_from_uri("hdfs:/x", out, sizeof out, f->err, sizeof f->err),
                   SPATE_EINVAL);
  assert_int_equal(ckpt_path_from_uri("file://otherhost/x", out, sizeof out, f->err, 256),
                   SPATE_EINVAL);
  assert_non_null(strstr(f->err, "file://otherhost/x"));
  assert_int_equal(ckpt_path_from_uri("", out, sizeof out, f->err, 256), SPATE_EINVAL);
  assert_int_equal(ckpt_path_from_uri("/long/path", out, 5, f->err, 256), SPATE_EINVAL);
}

static bool has_hidden_files(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *de;
  bool hidden = false;
  while ((de = readdir(d)) != NULL)
    if (de->d_name[0] == '.' && strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) hidden = true;
  closedir(d);
  return hidden;
}

static void write_and_read_files(void **state) {
  fx *f = *state;
  char dir[256], path[512];
  snprintf(dir, sizeof dir, "%s/a/b//c/", f->root);
  assert_int_equal(ckpt_mkdirs(dir, f->err, sizeof f->err), 0);
  assert_int_equal(ckpt_mkdirs(dir, f->err, sizeof f->err), 0); /* exists: fine */
  snprintf(dir, sizeof dir, "%s/a/b/c", f->root);
  uint64_t sum = 0, sum2 = 0;
  assert_int_equal(
      ckpt_write_file(dir, "x.state", CKPT_STATE_MAGIC, "hello", 5, &sum, f->err, sizeof f->err),
      0);
  assert_false(has_hidden_files(dir)); /* the temporary file was renamed */
  assert_int_equal(file_size(path_of(path, sizeof path, dir, "x.state")), 16 + 5 + 8);
  uint8_t *p = NULL;
  size_t len = 0;
  assert_int_equal(ckpt_read_file(path, CKPT_STATE_MAGIC, &p, &len, &sum2, f->err, sizeof f->err),
                   0);
  assert_int_equal(len, 5);
  assert_memory_equal(p, "hello", 5);
  assert_true(sum == sum2);
  sp_free(p);
  /* Overwriting replaces; an empty payload works. */
  assert_int_equal(
      ckpt_write_file(dir, "x.state", CKPT_STATE_MAGIC, NULL, 0, NULL, f->err, sizeof f->err), 0);
  assert_int_equal(ckpt_read_file(path, CKPT_STATE_MAGIC, &p, &len, NULL, f->err, sizeof f->err),
                   0);
  assert_int_equal(len, 0);
  assert_non_null(p);
  sp_free(p);
  /* The wrong kind of file, a missing file, a file a directory holds, bad names. */
  assert_int_equal(ckpt_read_file(path, CKPT_META_MAGIC, &p, &len, NULL, f->err, sizeof f->err),
                   SPATE_ECORRUPT);
  assert_non_null(strstr(f->err, "x.state: wrong magic"));
  assert_null(p);
  assert_int_equal(ckpt_read_file(path_of(path, sizeof path, dir, "nope"), CKPT_STATE_MAGIC, &p,
                                  &len, NULL, f->err, sizeof f->err),
                   SPATE_ENOENT);
  assert_non_null(strstr(f->err, "nope"));
  assert_int_equal(ckpt_read_file(dir, CKPT_STATE_MAGIC, &p, &len, NULL, f->err, sizeof f->err),
                   SPATE_EIO);
  assert_int_equal(
      ckpt_write_file(dir, "../escape", CKPT_STATE_MAGIC, "x", 1, NULL, f->err, sizeof f->err),
      SPATE_EINVAL);
  assert_int_equal(
      ckpt_write_file(dir, ".hidden", CKPT_STATE_MAGIC, "x", 1, NULL, f->err, sizeof f->err),
      SPATE_EINVAL);
  snprintf(path, sizeof path, "%s/missing/dir", f->root);
  assert_int_equal(
      ckpt_write_file(path, "y", CKPT_STATE_MAGIC, "x", 1, NULL, f->err, sizeof f->err), SPATE_EIO);
  assert_non_null(strstr(f->err, "missing/dir"));
}

static void check_loaded(const ckpt_loaded *l, int64_t id) {
  assert_int_equal(l->meta.id, id);
  assert_int_equal(l->meta.timestamp, 1700000000000 + id);
  assert_string_equal(l->meta.job_id, JOB_ID);
  assert_false(l->meta.savepoint);
  assert_int_equal(l->meta.nfiles, 4);
  assert_int_equal(l->nops, 3);
  const ckpt_loaded_op *src = ckpt_loaded_find(l, "source");
  const ckpt_loaded_op *map = ckpt_loaded_find(l, "map");
  const ckpt_loaded_op *win = ckpt_loaded_find(l, "window");
  assert_non_null(src);
  assert_non_null(map);
  assert_non_null(win);
  assert_null(ckpt_loaded_find(l, "sink"));
  assert_int_equal(src->parallelism, 2);
  assert_int_equal(src->max_parallelism, 128);
  assert_int_equal(win->parallelism, 3);
  assert_true(src->sections[0].len > 0 && src->sections[1].len > 0);
  assert_int_equal(map->sections[0].len, 0);
  assert_int_equal(win->sections[1].len, 0); /* subtask 1 wrote no state file */
  assert_null(win->sections[1].data);
  assert_int_equal(l->nchannels, 1);
  assert_int_equal(l->channels[0].vertex, 1);
  assert_int_equal(l->channels[0].subtask, 0);
  assert_int_equal(l->channels[0].parallelism, 3);
  assert_string_equal(l->channels[0].head_uid, "window");
  assert_int_equal(l->channels[0].state.len, 8);
  assert_memory_equal(l->channels[0].state.data, "inflight", 8);

  /* The loaded sections restore: window at parallelism 1 gets both old subtasks' groups. */
  snap_restore r;
  char err[512] = "";
  assert_int_equal(snap_assign(win->sections, win->parallelism, 128, 1, 0, &r, err, sizeof err), 0);
  const uint8_t *d;
  uint32_t len;
  int g2 = ks_key_group_range_for(128, 3, 2).first;
  assert_int_equal(snap_restore_key_group(&r, 0, &d, &len), 1);
  assert_int_equal(snap_restore_key_group(&r, g2, &d, &len), 1);
  const snap_list_view *v = snap_restore_list(&r, "offsets");
  assert_non_null(v);
  assert_int_equal(v->count, 2);
  assert_memory_equal(v->data[1], "v1s2", 4);
  snap_restore_free(&r);
}

static void checkpoint_round_trip(void **state) {
  fx *f = *state;
  char job[256], dir[512], meta[600];
  snprintf(job, sizeof job, "%s/%s", f->root, JOB_ID);
  write_checkpoint(job, 7, true);
  snprintf(dir, sizeof dir, "%s/chk-7", job);
  snprintf(meta, sizeof meta, "%s/_metadata", dir);
  const char *paths[] = {dir, meta, job};
  for (int i = 0; i < 3; i++) {
    ckpt_loaded *l = NULL;
    if (ckpt_load(paths[i], false, &l, f->err, sizeof f->err)) fail_msg("%s", f->err);
    assert_string_equal(l->dir, dir);
    check_loaded(l, 7);
    ckpt_loaded_free(l);
  }
  ckpt_loaded *l = NULL;
  assert_int_equal(ckpt_load(dir, true, &l, f->err, sizeof f->err), 0);
  assert_int_equal(l->nops, 3);
  assert_int_equal(ckpt_loaded_find(l, "source")->sections[0].len, 0);
  for (int c = 0; c < l->nchannels; c++) /* which subtasks had in-flight data, not the data */
    assert_int_equal(l->channels[c].state.len, 0);
  ckpt_loaded_free(l);
  ckpt_metadata m;
  assert_int_equal(ckpt_read_metadata(dir, &m, f->err, sizeof f->err), 0);
  assert_int_equal(m.nfiles, 4);
  assert_string_equal(m.files[2].name, "1-0.state");
  ckpt_metadata_free(&m);
  /* Paths that are not checkpoints. */
  snprintf(dir, sizeof dir, "%s/nothing-here", f->root);
  expect_load_error(f, dir, SPATE_ENOENT, "nothing-here", NULL);
  snprintf(dir, sizeof dir, "%s/chk-7/0-0.state", job);
  expect_load_error(f, dir, SPATE_EINVAL, "0-0.state", NULL);
  expect_load_error(f, f->root, SPATE_ENOENT, "neither a _metadata file nor chk-<n>", NULL);
}

/* Writes chk-1 fresh, damages it with `damage`, and expects the load to fail naming `file`. */
static void check_damage(fx *f, void (*damage)(const char *dir), const char *file,
                         const char *what) {
  char job[256], dir[512];
  snprintf(job, sizeof job, "%s/job", f->root);
  snprintf(dir, sizeof dir, "%s/chk-1", job);
  assert_int_equal(ckpt_discard(job, f->err, sizeof f->err), 0);
  write_checkpoint(job, 1, true);
  damage(dir);
  expect_load_error(f, dir, SPATE_ECORRUPT, file, what);
  assert_non_null(strstr(f->err, "chk-1 is corrupt"));
  ckpt_loaded *l = NULL;
  assert_int_equal(ckpt_load(dir, true, &l, f->err, sizeof f->err), SPATE_ECORRUPT);
}

static void truncate_state(const char *dir) {
  char p[600];
  path_of(p, sizeof p, dir, "0-1.state");
  assert_int_equal(truncate(p, file_size(p) - 3), 0);
}
static void flip_state(const char *dir) {
  char p[600];
  xor_byte(path_of(p, sizeof p, dir, "1-0.state"), 30, 0x10);
}
static void remove_state(const char *dir) {
  char p[600];
  assert_int_equal(unlink(path_of(p, sizeof p, dir, "1-2.state")), 0);
}
static void flip_metadata(const char *dir) {
  char p[600];
  xor_byte(path_of(p, sizeof p, dir, "_metadata"), 20, 0x01);
}
static void wrong_magic(const char *dir) {
  char p[600];
  xor_byte(path_of(p, sizeof p, dir, "0-0.state"), 0, 0xff);
}
static void short_metadata(const char *dir) {
  char p[600];
  assert_int_equal(truncate(path_of(p, sizeof p, dir, "_metadata"), 10), 0);
}
static void rewrite_state(const char *dir) {
  /* A well-formed state file, but not the one the metadata recorded. */
  char err[256];
  assert_int_equal(
      ckpt_write_file(dir, "0-0.state", CKPT_STATE_MAGIC, "other", 5, NULL, err, sizeof err), 0);
}
static void garbage_payload(const char *dir) {
  /* Framing and checksum fine, metadata matching, but the payload is no task snapshot. */
  ckpt_file file = {.name = "0-0.state", .vertex = 0, .subtask = 0, .parallelism = 1};
  char err[256];
  assert_int_equal(ckpt_write_file(dir, "0-0.state", CKPT_STATE_MAGIC, "garbage!", 8,
                                   &file.checksum, err, sizeof err),
                   0);
  file.length = 8;
  ckpt_metadata m = {.id = 1, .nfiles = 1, .files = &file};
  assert_int_equal(ckpt_write_metadata(dir, &m, err, sizeof err), 0);
}

static void corrupt_checkpoints_detected(void **state) {
  fx *f = *state;
  check_damage(f, truncate_state, "file 0-1.state is truncated", "announces");
  check_damage(f, flip_state, "file 1-0.state: checksum mismatch", "offset");
  check_damage(f, remove_state, "file 1-2.state listed in the metadata is missing", NULL);
  check_damage(f, flip_metadata, "file _metadata: checksum mismatch", NULL);
  check_damage(f, wrong_magic, "file 0-0.state: wrong magic", "offset 0");
  check_damage(f, short_metadata, "file _metadata is truncated", NULL);
  check_damage(f, rewrite_state, "file 0-0.state: payload of 5 bytes", "metadata records");
  check_damage(f, garbage_payload, "file 0-0.state: corrupt task snapshot: bad magic", NULL);
}

/* Hand-framed metadata payloads: a truncation at every length, and bad names. */
static void metadata_payload_checked(void **state) {
  fx *f = *state;
  char dir[256];
  snprintf(dir, sizeof dir, "%s/chk-1", f->root);
  assert_int_equal(ckpt_mkdirs(dir, f->err, sizeof f->err), 0);
  ckpt_file files[2] = {{.name = "0-0.state", .vertex = 0, .subtask = 0, .parallelism = 2},
                        {.name = "0-1.state", .vertex = 0, .subtask = 1, .parallelism = 2}};
  ckpt_metadata m = {.id = 1, .savepoint = true, .nfiles = 2, .files = files};
  memcpy(m.job_id, JOB_ID, sizeof m.job_id);
  assert_int_equal(ckpt_write_metadata(dir, &m, f->err, sizeof f->err), 0);
  ckpt_metadata back;
  assert_int_equal(ckpt_read_metadata(dir, &back, f->err, sizeof f->err), 0);
  assert_true(back.savepoint);
  assert_int_equal(back.files[1].subtask, 1);
  ckpt_metadata_free(&back);
  char path[512];
  uint8_t *p;
  size_t len;
  assert_int_equal(ckpt_read_file(path_of(path, sizeof path, dir, "_metadata"), CKPT_META_MAGIC, &p,
                                  &len, NULL, f->err, sizeof f->err),
                   0);
  for (size_t n = 0; n < len; n++) {
    assert_int_equal(
        ckpt_write_file(dir, "_metadata", CKPT_META_MAGIC, p, n, NULL, f->err, sizeof f->err), 0);
    int rc = ckpt_read_metadata(dir, &back, f->err, sizeof f->err);
    if (rc != SPATE_ECORRUPT) fail_msg("metadata cut to %zu of %zu bytes: %d", n, len, rc);
    assert_non_null(strstr(f->err, "_metadata"));
    assert_non_null(strstr(f->err, "offset"));
  }
  sp_free(p);
  /* Names that are not plain, duplicates, impossible subtasks. */
  files[1].name = "/etc/passwd";
  assert_int_equal(ckpt_write_metadata(dir, &m, f->err, sizeof f->err), SPATE_EINVAL);
  assert_non_null(strstr(f->err, "/etc/passwd"));
  files[1].name = "../0-1.state";
  assert_int_equal(ckpt_write_metadata(dir, &m, f->err, sizeof f->err), SPATE_EINVAL);
  struct {
    ckpt_file file;
    const char *want;
  } bad[] = {
      {{.name = "0-0.state", .vertex = 0, .subtask = 1, .parallelism = 2}, "listed twice"},
      {{.name = "x.state", .vertex = 0, .subtask = 0, .parallelism = 2}, "both vertex 0"},
      {{.name = "x.state", .vertex = 0, .subtask = 1, .parallelism = 3}, "vertex 0 has parallel"},
      {{.name = "x.state", .vertex = 1, .subtask = 2, .parallelism = 2}, "is impossible"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sp_writer w;
    sp_writer_init(&w);
    sp_put_str(&w, JOB_ID);
    sp_put_i64(&w, 1);
    sp_put_i64(&w, 0);
    sp_put_u8(&w, 0);
    sp_put_u32(&w, 2);
    const ckpt_file *two[2] = {&files[0], &bad[i].file};
    for (int k = 0; k < 2; k++) {
      sp_put_str(&w, two[k]->name);
      sp_put_i32(&w, two[k]->vertex);
      sp_put_i32(&w, two[k]->subtask);
      sp_put_i32(&w, two[k]->parallelism);
      sp_put_u64(&w, 0);
      sp_put_u64(&w, 0);
    }
    assert_int_equal(ckpt_write_file(dir, "_metadata", CKPT_META_MAGIC, w.data, w.len, NULL, f->err,
                                     sizeof f->err),
                     0);
    sp_writer_free(&w);
    assert_int_equal(ckpt_read_metadata(dir, &back, f->err, sizeof f->err), SPATE_ECORRUPT);
    if (!strstr(f->err, bad[i].want)) fail_msg("case %zu: %s", i, f->err);
  }
  /* A name with a slash inside, written by hand. */
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, JOB_ID);
  sp_put_i64(&w, 1);
  sp_put_i64(&w, 0);
  sp_put_u8(&w, 0);
  sp_put_u32(&w, 1);
  sp_put_str(&w, "/etc/passwd");
  for (int k = 0; k < 3; k++) sp_put_i32(&w, k == 2 ? 1 : 0);
  sp_put_u64(&w, 0);
  sp_put_u64(&w, 0);
  assert_int_equal(ckpt_write_file(dir, "_metadata", CKPT_META_MAGIC, w.data, w.len, NULL, f->err,
                                   sizeof f->err),
                   0);
  sp_writer_free(&w);
  expect_load_error(f, dir, SPATE_ECORRUPT, "'/etc/passwd' is not a plain relative name", NULL);
}

static bool file_contains(const char *path, const char *want) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return false;
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = 0;
  return strstr(buf, want) != NULL;
}

static void job_dir_falls_back_to_previous_checkpoint(void **state) {
  fx *f = *state;
  char job[256], dir[512], log[512], p[600];
  snprintf(job, sizeof job, "%s/%s", f->root, JOB_ID);
  snprintf(log, sizeof log, "%s/log.txt", f->root);
  write_checkpoint(job, 3, true);
  write_checkpoint(job, 4, true);
  write_checkpoint(job, 5, true);
  write_checkpoint(job, 6, false); /* in progress: no _metadata */
  snprintf(dir, sizeof dir, "%s/chk-5", job);
  xor_byte(path_of(p, sizeof p, dir, "1-0.state"), 40, 0x04);
  assert_int_equal(sp_log_set_file(log), 0);
  ckpt_loaded *l = NULL;
  if (ckpt_load(job, false, &l, f->err, sizeof f->err)) fail_msg("%s", f->err);
  sp_log_set_file(NULL);
  check_loaded(l, 4);
  ckpt_loaded_free(l);
  snprintf(p, sizeof p, "checkpoint %s is corrupt (file 1-0.state: checksum mismatch", dir);
  assert_true(file_contains(log, p));
  assert_true(file_contains(log, "); falling back to chk-4"));
  /* both ids, and what that means for committed output */
  assert_true(file_contains(log, "committed with chk-5 (the newest, 5) may be published again"));
  assert_true(file_contains(log, "WARN"));

  /* Every complete one corrupt: an error naming the newest and its problem. */
  for (int id = 3; id <= 4; id++) {
    snprintf(dir, sizeof dir, "%s/chk-%d/0-0.state", job, id);
    assert_int_equal(unlink(dir), 0);
  }
  expect_load_error(f, job, SPATE_ECORRUPT, "every complete checkpoint", "chk-5");
  assert_non_null(strstr(f->err, "checksum mismatch"));
  /* Only an incomplete one left. */
  for (int id = 3; id <= 5; id++) {
    snprintf(dir, sizeof dir, "%s/chk-%d", job, id);
    assert_int_equal(ckpt_discard(dir, f->err, sizeof f->err), 0);
  }
  expect_load_error(f, job, SPATE_ENOENT, "no complete checkpoint", "none with _metadata");
}

/* HEADERS and LAZY loads do not read the state: a state file whose payload is damaged past its
 * task layer loads, and only verifying that file (as the TaskExecutor does for the files its
 * subtask reads) finds it, naming the checkpoint and the file; the other files verify. */
/* Files are written as version 2 (XXH3-64); version 1 files (XXH64) are still read, each
 * checked with its own checksum. */
static void version_one_files_still_read(void **state) {
  fx *f = *state;
  static const char payload[] = "written by an older Spate";
  size_t n = sizeof payload - 1;
  uint8_t file[16 + sizeof payload + 8];
  char path[600];
  path_of(path, sizeof path, f->root, "old.state");
  for (int v = 1; v <= 2; v++) {
    uint64_t sum = v == 1 ? XXH64(payload, n, 0) : XXH3_64bits(payload, n);
    for (int i = 0; i < 4; i++) file[i] = (uint8_t)(CKPT_STATE_MAGIC >> (8 * i));
    for (int i = 0; i < 4; i++) file[4 + i] = (uint8_t)(i == 0 ? v : 0);
    for (int i = 0; i < 8; i++) file[8 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(file + 16, payload, n);
    for (int i = 0; i < 8; i++) file[16 + n + i] = (uint8_t)(sum >> (8 * i));
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(file, 1, 16 + n + 8, fp), 16 + n + 8);
    fclose(fp);
    uint8_t *got = NULL;
    size_t len = 0;
    uint64_t checked = 0;
    if (ckpt_read_file(path, CKPT_STATE_MAGIC, &got, &len, &checked, f->err, sizeof f->err))
      fail_msg("version %d: %s", v, f->err);
    assert_int_equal(len, n);
    assert_memory_equal(got, payload, n);
    assert_int_equal(checked, sum);
    sp_free(got);
    /* the other version's checksum does not pass */
    file[4] = (uint8_t)(3 - v);
    fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(file, 1, 16 + n + 8, fp), 16 + n + 8);
    fclose(fp);
    assert_int_equal(
        ckpt_read_file(path, CKPT_STATE_MAGIC, &got, &len, NULL, f->err, sizeof f->err),
        SPATE_ECORRUPT);
    assert_non_null(strstr(f->err, "checksum mismatch"));
  }
  /* what is written now is version 2 */
  uint64_t sum = 0;
  assert_int_equal(ckpt_write_file(f->root, "new.state", CKPT_STATE_MAGIC, payload, n, &sum, f->err,
                                   sizeof f->err),
                   0);
  assert_int_equal(sum, XXH3_64bits(payload, n));
  path_of(path, sizeof path, f->root, "new.state");
  FILE *fp = fopen(path, "rb");
  assert_non_null(fp);
  assert_int_equal(fread(file, 1, 8, fp), 8);
  fclose(fp);
  assert_int_equal(file[4], 2);
}

static void lazy_load_verifies_only_what_is_read(void **state) {
  fx *f = *state;
  char job[256], dir[512], path[600];
  path_of(job, sizeof job, f->root, JOB_ID);
  write_checkpoint(job, 1, true);
  snprintf(dir, sizeof dir, "%s/chk-1", job);
  path_of(path, sizeof path, dir, "0-1.state");
  /* the payload ends: ... first operator's section | "map" (u32 3 + 3 bytes) | i32 128 | u32 0
   * (its empty section) | u32 0 (no channel state), then the 8-byte trailer. 20 bytes before
   * the trailer is thus the last byte of the first section (its list entry "v0s1"): state,
   * not the task layer's framing */
  long size = file_size(path);
  xor_byte(path, size - 8 - 20, 0x5a);

  ckpt_loaded *l = NULL;
  assert_int_equal(ckpt_load(dir, CKPT_LOAD_VERIFY, &l, f->err, sizeof f->err), SPATE_ECORRUPT);
  assert_non_null(strstr(f->err, "0-1.state"));
  assert_int_equal(ckpt_load(dir, CKPT_LOAD_HEADERS, &l, f->err, sizeof f->err), 0);
  const ckpt_loaded_op *src = ckpt_loaded_find(l, "source");
  assert_non_null(src);
  assert_true(src->has_state);
  assert_null(src->sections[0].data); /* nothing kept */
  ckpt_loaded_free(l);

  assert_int_equal(ckpt_load(dir, CKPT_LOAD_LAZY, &l, f->err, sizeof f->err), 0);
  src = ckpt_loaded_find(l, "source");
  assert_non_null(src);
  assert_int_equal(src->parallelism, 2);
  int good = src->files[0], bad = src->files[1];
  assert_true(good >= 0 && bad >= 0 && good != bad);
  assert_string_equal(l->meta.files[bad].name, "0-1.state");
  assert_false(l->verified[good]);
  assert_int_equal(ckpt_loaded_verify(l, good, f->err, sizeof f->err), 0);
  assert_true(l->verified[good]);
  assert_int_equal(ckpt_loaded_verify(l, bad, f->err, sizeof f->err), SPATE_ECORRUPT);
  assert_non_null(strstr(f->err, "0-1.state"));
  assert_non_null(strstr(f->err, dir));
  assert_false(l->verified[bad]);
  assert_int_equal(ckpt_loaded_verify(l, l->nbufs, f->err, sizeof f->err), SPATE_EINVAL);
  const ckpt_loaded_channel *ch = &l->channels[0];
  assert_string_equal(l->meta.files[ch->file].name, "1-0.state");
  ckpt_loaded_free(l);
}

/* snap_section_needed: a section is read by a new subtask whose range holds one of its key
 * groups, or for its operator state; an empty one never, one that does not decode always. */
static void sections_needed_by_a_new_range(void **state) {
  (void)state;
  snap_writer w;
  sp_writer keyed, listed;
  sp_writer_init(&keyed);
  sp_writer_init(&listed);
  assert_int_equal(snap_writer_init(&w, 128, (ks_key_group_range){0, 63}), 0);
  sp_put_bytes(snap_key_group(&w, 10), "x", 1);
  assert_int_equal(snap_encode(&w, &keyed), 0);
  snap_writer_free(&w);
  assert_int_equal(snap_writer_init(&w, 128, (ks_key_group_range){0, 63}), 0);
  assert_int_equal(snap_list_add(&w, "offsets", SNAP_SPLIT, "o", 1), 0);
  assert_int_equal(snap_encode(&w, &listed), 0);
  snap_writer_free(&w);
  snap_section k = {keyed.data, keyed.len}, s = {listed.data, listed.len}, none = {0};
  assert_true(snap_section_needed(&k, (ks_key_group_range){0, 31}));
  assert_true(snap_section_needed(&k, (ks_key_group_range){10, 10}));
  assert_false(snap_section_needed(&k, (ks_key_group_range){11, 63}));
  assert_false(snap_section_needed(&k, (ks_key_group_range){64, 127}));
  assert_true(snap_section_needed(&s, (ks_key_group_range){64, 127}));
  assert_false(snap_section_needed(&none, (ks_key_group_range){0, 127}));
  uint8_t junk[16] = {1, 2, 3};
  snap_section j = {junk, sizeof junk};
  assert_true(snap_section_needed(&j, (ks_key_group_range){64, 127}));
  sp_writer_free(&keyed);
  sp_writer_free(&listed);
}

static void list_complete_ignores_incomplete(void **state) {
  fx *f = *state;
  char job[256], p[600];
  snprintf(job, sizeof job, "%s/job", f->root);
  write_checkpoint(job, 1, true);
  write_checkpoint(job, 2, false);
  write_checkpoint(job, 10, true);
  write_checkpoint(job, 9, true);
  assert_int_equal(ckpt_mkdirs(path_of(p, sizeof p, job, "chk-x"), f->err, 256), 0);
  assert_int_equal(ckpt_mkdirs(path_of(p, sizeof p, job, "chk-"), f->err, 256), 0);
  assert_int_equal(ckpt_mkdirs(path_of(p, sizeof p, job, "chk-11/_metadata"), f->err, 256), 0);
  FILE *fp = fopen(path_of(p, sizeof p, job, "chk-12"), "w"); /* a file, not a directory */
  fclose(fp);
  int64_t ids[8];
  assert_int_equal(ckpt_list_complete(job, ids, 8, f->err, sizeof f->err), 3);
  assert_int_equal(ids[0], 10);
  assert_int_equal(ids[1], 9);
  assert_int_equal(ids[2], 1);
  assert_int_equal(ckpt_list_complete(job, ids, 1, f->err, sizeof f->err), 1);
  assert_int_equal(ids[0], 10);
  assert_int_equal(ckpt_list_complete(job, ids, 0, f->err, sizeof f->err), 0);
  assert_int_equal(
      ckpt_list_complete(path_of(p, sizeof p, job, "none"), ids, 8, f->err, sizeof f->err),
      SPATE_ENOENT);
  assert_non_null(strstr(f->err, "none"));
}

static void discard_removes_a_checkpoint(void **state) {
  fx *f = *state;
  char job[256], dir[512], p[600], outside[512];
  snprintf(job, sizeof job, "%s/job", f->root);
  write_checkpoint(job, 1, true);
  write_checkpoint(job, 2, true);
  snprintf(dir, sizeof dir, "%s/chk-1", job);
  assert_int_equal(ckpt_mkdirs(path_of(p, sizeof p, dir, "nested/deeper"), f->err, 256), 0);
  /* A symbolic link out of the checkpoint: removed, its target left alone. */
  snprintf(outside, sizeof outside, "%s/keep.txt", f->root);
  FILE *fp = fopen(outside, "w");
  fputs("keep", fp);
  fclose(fp);
  assert_int_equal(symlink(outside, path_of(p, sizeof p, dir, "nested/link")), 0);
  char other[512];
  snprintf(other, sizeof other, "%s/other", f->root);
  assert_int_equal(mkdir(other, 0755), 0);
  assert_int_equal(symlink(other, path_of(p, sizeof p, dir, "dirlink")), 0);

  assert_int_equal(ckpt_discard(dir, f->err, sizeof f->err), 0);
  struct stat st;
  assert_int_not_equal(lstat(dir, &st), 0);
  assert_int_equal(stat(outside, &st), 0);
  assert_int_equal(stat(other, &st), 0);
  int64_t ids[4];
  assert_int_equal(ckpt_list_complete(job, ids, 4, f->err, sizeof f->err), 1);
  assert_int_equal(ids[0], 2);
  assert_int_equal(ckpt_discard(dir, f->err, sizeof f->err), 0); /* missing is fine */
  assert_int_equal(ckpt_discard("/", f->err, sizeof f->err), SPATE_EINVAL);
  assert_int_equal(ckpt_discard("", f->err, sizeof f->err), SPATE_EINVAL);
}

/* Allocation failures while loading are SPATE_ENOMEM, never mistaken for corruption (which
 * would make a job directory fall back to older state), and leak nothing (teardown). */
static void allocation_failures_are_not_corruption(void **state) {
  fx *f = *state;
  char job[256];
  snprintf(job, sizeof job, "%s/job", f->root);
  write_checkpoint(job, 1, true);
  write_checkpoint(job, 2, true);
  for (int n = 1;; n++) {
    ckpt_loaded *l = NULL;
    sp_alloc_fail_after(n, 0);
    int rc = ckpt_load(job, false, &l, f->err, sizeof f->err);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) {
      check_loaded(l, 2);
      ckpt_loaded_free(l);
      break;
    }
    if (rc != SPATE_ENOMEM) fail_msg("allocation %d failing gave %d: %s", n, rc, f->err);
    assert_null(l);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(uri_paths, setup, teardown),
      cmocka_unit_test_setup_teardown(write_and_read_files, setup, teardown),
      cmocka_unit_test_setup_teardown(checkpoint_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(corrupt_checkpoints_detected, setup, teardown),
      cmocka_unit_test_setup_teardown(metadata_payload_checked, setup, teardown),
      cmocka_unit_test_setup_teardown(job_dir_falls_back_to_previous_checkpoint, setup, teardown),
      cmocka_unit_test_setup_teardown(list_complete_ignores_incomplete, setup, teardown),
      cmocka_unit_test_setup_teardown(discard_removes_a_checkpoint, setup, teardown),
      cmocka_unit_test_setup_teardown(lazy_load_verifies_only_what_is_read, setup, teardown),
      cmocka_unit_test_setup_teardown(version_one_files_still_read, setup, teardown),
      cmocka_unit_test_setup_teardown(sections_needed_by_a_new_range, setup, teardown),
      cmocka_unit_test_setup_teardown(allocation_failures_are_not_corruption, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

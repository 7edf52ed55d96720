/*
 * test_snapshot_stream.c: an operator snapshot streamed into a state file (snap_encode_to with
 * a small flush threshold into ckpt_stream, so lengths written earlier are patched in the file)
 * reads back byte for byte as the in-memory encoding, with a valid checksum; deferred key-group
 * sections, empty groups and list states included. A stream that is aborted leaves no file.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "checkpoint/storage.h"
#include "state/snapshot.h"
#include "support/testkit.h"

/* deferred sections: every third group empty, the others kg+1 copies of a pattern */
static int deferred(void *arg, int kg, sp_writer *w) {
  (void)arg;
  if (kg % 3 == 0) return 0;
  for (int i = 0; i <= kg; i++) sp_put_u64(w, 0x0102030405060708ull * (uint64_t)(kg + 1));
  return w->failed ? SPATE_ENOMEM : 0;
}

static void fill(snap_writer *w) {
  ks_key_group_range r = ks_key_group_range_for(128, 1, 0);
  assert_int_equal(snap_writer_init(w, 128, r), 0);
  for (int kg = 0; kg < 128; kg += 5) { /* some groups also have synchronous bytes */
    sp_writer *s = snap_key_group(w, kg);
    assert_non_null(s);
    sp_put_u32(s, (uint32_t)kg * 7u);
  }
  assert_int_equal(snap_list_add(w, "offsets", SNAP_SPLIT, "abc", 3), 0);
  assert_int_equal(snap_list_add(w, "all", SNAP_UNION, "defg", 4), 0);
  assert_int_equal(snap_defer_key_groups(w, deferred, NULL, NULL), 0);
}

static int flush_fn(void *arg, const void *p, size_t n) { return ckpt_stream_write(arg, p, n); }
static int patch_fn(void *arg, uint64_t off, const void *p, size_t n) {
  return ckpt_stream_patch(arg, off, p, n);
}

static void test_streamed_equals_in_memory(void **state) {
  (void)state;
  char dir[] = "/tmp/spate_stream_XXXXXX";
  assert_non_null(mkdtemp(dir));
  snap_writer w;
  fill(&w);
  sp_writer mem;
  sp_writer_init(&mem);
  assert_int_equal(snap_encode(&w, &mem), 0);

  for (size_t flush_at = 1; flush_at <= 1u << 20; flush_at *= 64) {
    char err[256];
    ckpt_stream *cs;
    assert_int_equal(ckpt_stream_open(dir, "0-0.state", CKPT_STATE_MAGIC, &cs, err, sizeof err), 0);
    snap_out o = {.flush_at = flush_at, .flush = flush_fn, .patch = patch_fn, .arg = cs};
    sp_writer_init(&o.buf);
    sp_put_u32(&o.buf, 0xAABBCCDD); /* something before, as a task payload has */
    assert_int_equal(snap_encode_to(&w, &o), 0);
    assert_int_equal(ckpt_stream_write(cs, o.buf.data, o.buf.len), 0);
    sp_writer_free(&o.buf);
    uint64_t len, sum;
    assert_int_equal(ckpt_stream_finish(cs, &len, &sum, err, sizeof err), 0);
    assert_int_equal(len, mem.len + 4);

    char path[256];
    snprintf(path, sizeof path, "%s/0-0.state", dir);
    uint8_t *payload;
    size_t plen;
    uint64_t rsum;
    if (ckpt_read_file(path, CKPT_STATE_MAGIC, &payload, &plen, &rsum, err, sizeof err) < 0)
      fail_msg("%s", err);
    assert_int_equal(rsum, sum);
    assert_int_equal(plen, mem.len + 4);
    assert_memory_equal(payload + 4, mem.data, mem.len);
    sp_free(payload);
  }
  /* an aborted stream leaves nothing behind but the finished file */
  char err[256];
  ckpt_stream *cs;
  assert_int_equal(ckpt_stream_open(dir, "1-0.state", CKPT_STATE_MAGIC, &cs, err, sizeof err), 0);
  assert_int_equal(ckpt_stream_write(cs, "xyz", 3), 0);
  assert_int_equal(ckpt_stream_patch(cs, 2, "w", 1), 0);
  assert_int_equal(ckpt_stream_patch(cs, 3, "w", 1), SPATE_EINVAL); /* not written yet */
  ckpt_stream_abort(cs);
  DIR *d = opendir(dir);
  assert_non_null(d);
  int entries = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    assert_string_equal(e->d_name, "0-0.state");
    entries++;
  }
  closedir(d);
  assert_int_equal(entries, 1);
  tk_rm_rf(dir);
  sp_writer_free(&mem);
  snap_writer_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_streamed_equals_in_memory)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

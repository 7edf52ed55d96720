/*
 * test_snapshot_stream.c: an operator snapshot streamed into a state file (snap_encode_to with
 * a small flush threshold into ckpt_stream, so lengths written earlier are patched in the file)
 * reads back byte for byte as the in-memory encoding, with a valid checksum; deferred key-group
 * sections, empty groups and list states included, with the pieces written in place
 * (ckpt_stream_write) or handed to the stream's thread (ckpt_stream_put). A stream that is
 * aborted leaves no file. A streamed file's checksum is the documented one (version 3: XXH3-64
 * of its 1 MiB blocks' XXH3-64s) after patches in several blocks, and one flipped byte fails it.
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

#include <xxhash.h>

#include "base/alloc.h"
#include "base/err.h"
#include "checkpoint/storage.h"
#include "checkpoint/storage_internal.h" /* ckpt_checksum */
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

/* the two ways to hand bytes over: written on this thread, or to the stream's thread */
static int write_fn(void *arg, sp_writer *buf) {
  int rc = ckpt_stream_write(arg, buf->data, buf->len);
  buf->len = 0;
  return rc;
}
static int patch_fn(void *arg, uint64_t off, const void *p, size_t n) {
  return ckpt_stream_patch(arg, off, p, n);
}
static int put_fn(void *arg, sp_writer *buf) { return ckpt_stream_put(arg, buf); }

static void test_streamed_equals_in_memory(void **state) {
  (void)state;
  char dir[] = "/tmp/spate_stream_XXXXXX";
  assert_non_null(mkdtemp(dir));
  snap_writer w;
  fill(&w);
  sp_writer mem;
  sp_writer_init(&mem);
  assert_int_equal(snap_encode(&w, &mem), 0);

  for (int step = 0; step < 8; step++) {
    size_t flush_at = (size_t)1 << (6 * (step / 2)); /* 1 B .. 256 KiB */
    bool put = step % 2;
    char err[256];
    ckpt_stream *cs;
    assert_int_equal(ckpt_stream_open(dir, "0-0.state", CKPT_STATE_MAGIC, &cs, err, sizeof err), 0);
    snap_out o = {
        .flush_at = flush_at, .put = put ? put_fn : write_fn, .patch = patch_fn, .arg = cs};
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

#define BLOCK ((size_t)1 << 20) /* storage.h: the block of version 3 checksums */

static uint64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* The version 3 checksum as storage.h documents it, computed here independently. */
static uint64_t blocks_checksum(const uint8_t *p, size_t n) {
  size_t nb = (n + BLOCK - 1) / BLOCK;
  uint8_t *sums = malloc(nb * 8 + 1);
  assert_non_null(sums);
  for (size_t b = 0; b < nb; b++) {
    uint64_t h = XXH3_64bits(p + b * BLOCK, n - b * BLOCK < BLOCK ? n - b * BLOCK : BLOCK);
    for (int i = 0; i < 8; i++) sums[b * 8 + (size_t)i] = (uint8_t)(h >> (8 * i));
  }
  uint64_t h = XXH3_64bits(sums, nb * 8);
  free(sums);
  return h;
}

static void test_stream_block_checksum(void **state) {
  (void)state;
  char dir[] = "/tmp/spate-test-stream-XXXXXX";
  assert_non_null(mkdtemp(dir));
  size_t n = 3 * BLOCK + BLOCK / 2;
  uint8_t *want = malloc(n);
  assert_non_null(want);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    want[i] = (uint8_t)x;
  }
  char err[256];
  ckpt_stream *cs;
  assert_int_equal(ckpt_stream_open(dir, "2-0.state", CKPT_STATE_MAGIC, &cs, err, sizeof err), 0);
  /* uneven pieces, handed to the thread, then one written in place */
  sp_writer w;
  sp_writer_init(&w);
  size_t off = 0, piece = 300000;
  for (; off + piece < n - 1000; off += piece, piece += 77777) {
    sp_put_bytes(&w, want + off, piece);
    assert_int_equal(ckpt_stream_put(cs, &w), 0);
    assert_int_equal(w.len, 0);
  }
  assert_int_equal(ckpt_stream_write(cs, want + off, n - off), 0);
  sp_writer_free(&w);
  /* patches in the first block, across its end into the second, and in the last (partial) one:
   * the third block is patched nowhere, so its checksum is the one computed while it was
   * written, never re-read */
  const struct {
    size_t at;
    const char *b;
  } patches[] = {{10, "abcd"}, {BLOCK - 2, "wxyz"}, {n - 3, "end"}};
  for (size_t i = 0; i < sizeof patches / sizeof *patches; i++) {
    memcpy(want + patches[i].at, patches[i].b, strlen(patches[i].b));
    assert_int_equal(ckpt_stream_patch(cs, patches[i].at, patches[i].b, strlen(patches[i].b)), 0);
  }
  uint64_t len, sum;
  if (ckpt_stream_finish(cs, &len, &sum, err, sizeof err) < 0) fail_msg("%s", err);
  assert_int_equal(len, n);
  assert_int_equal(sum, blocks_checksum(want, n));

  char path[256];
  snprintf(path, sizeof path, "%s/2-0.state", dir);
  uint8_t *payload;
  size_t plen;
  uint64_t rsum;
  if (ckpt_read_file(path, CKPT_STATE_MAGIC, &payload, &plen, &rsum, err, sizeof err) < 0)
    fail_msg("%s", err);
  assert_int_equal(plen, n);
  assert_memory_equal(payload, want, n);
  assert_int_equal(rsum, sum);
  sp_free(payload);

  /* the file says version 3 and holds the checksum; one flipped byte in block 1 is caught */
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  uint8_t head[16], tail[8];
  assert_int_equal(fread(head, 1, 16, f), 16);
  assert_int_equal(le64(head + 4) & 0xffffffffu, 3);
  assert_int_equal(fseek(f, (long)(16 + n), SEEK_SET), 0);
  assert_int_equal(fread(tail, 1, 8, f), 8);
  assert_int_equal(le64(tail), sum);
  assert_int_equal(fseek(f, (long)(16 + BLOCK + 12345), SEEK_SET), 0);
  assert_int_equal(fputc(want[BLOCK + 12345] ^ 0x20, f), want[BLOCK + 12345] ^ 0x20);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(ckpt_read_file(path, CKPT_STATE_MAGIC, &payload, &plen, &rsum, err, sizeof err),
                   SPATE_ECORRUPT);
  assert_non_null(strstr(err, "checksum mismatch"));
  free(want);
  tk_rm_rf(dir);
}

/* A payload of 64 MiB or more is checksummed by two threads, each taking half of the blocks:
 * the result is the one block after the other gives (an odd number of blocks, the last one
 * partial), and a byte changed in either half changes it. */
static void test_parallel_block_checksum(void **state) {
  (void)state;
  size_t n = ((size_t)64 << 20) + 2 * BLOCK + BLOCK / 3;
  uint8_t *p = malloc(n);
  assert_non_null(p);
  uint64_t x = 0x2545f4914f6cdd1dull;
  for (size_t i = 0; i < n; i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    memcpy(p + i, &x, n - i < 8 ? n - i : 8);
  }
  uint64_t want = blocks_checksum(p, n);
  assert_int_equal(ckpt_checksum(FILE_VERSION_BLOCKS, p, n), want);
  size_t at[] = {BLOCK / 2, n - 5}; /* in the first thread's half, in the second's */
  for (size_t i = 0; i < 2; i++) {
    p[at[i]] ^= 1;
    assert_true(ckpt_checksum(FILE_VERSION_BLOCKS, p, n) != want);
    p[at[i]] ^= 1;
  }
  assert_int_equal(ckpt_checksum(FILE_VERSION_BLOCKS, p, n), want);
  free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_streamed_equals_in_memory),
                                     cmocka_unit_test(test_stream_block_checksum),
                                     cmocka_unit_test(test_parallel_block_checksum)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

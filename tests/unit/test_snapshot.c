/*
 * test_snapshot.c: operator snapshots (state/snapshot.h): the writer and its encoding, the
 * assignment of old subtasks' snapshots to new subtasks when the parallelism changes (key
 * groups follow their ranges; SPLIT lists are cut evenly but stay put at unchanged
 * parallelism; UNION and BROADCAST), the refusal of a changed max parallelism, task payloads,
 * and hostile input: hand-made corruptions with their messages, every truncation and byte flip
 * of an encoding (run under ASan), and allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "state/snapshot.h"

/* ---------------------------------------------------------------------------------------------
 * Fixture: leak check through the accounting allocator. */

static int setup(void **state) {
  int64_t *base = malloc(sizeof *base);
  *base = sp_alloc_current();
  *state = base;
  return 0;
}

static int teardown(void **state) {
  int64_t *base = *state;
  sp_alloc_fail_after(0, 0);
  int64_t leaked = sp_alloc_current() - *base;
  free(base);
  if (leaked != 0) fail_msg("%lld bytes still allocated through sp_malloc", (long long)leaked);
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Helpers. */

/* Old subtask i's snapshot: key group g (g % 3 != 1, so some groups are empty) holds
 * "kg<g>", and list "split" holds split_counts[i] entries "s<i>.<k>" (if split_counts), list
 * "union" one entry "u<i>", list "bcast" one entry "b<i>". */
static snap_section make_old(int max, int p, int i, const int *split_counts) {
  snap_writer w;
  assert_int_equal(snap_writer_init(&w, max, ks_key_group_range_for(max, p, i)), 0);
  for (int g = w.range.first; g <= w.range.last; g++) {
    if (g % 3 == 1) continue;
    sp_writer *kw = snap_key_group(&w, g);
    assert_non_null(kw);
    char buf[32];
    int n = snprintf(buf, sizeof buf, "kg%d", g);
    sp_put_bytes(kw, buf, (size_t)n);
  }
  char buf[32];
  for (int k = 0; split_counts && k < split_counts[i]; k++) {
    int n = snprintf(buf, sizeof buf, "s%d.%d", i, k);
    assert_int_equal(snap_list_add(&w, "split", SNAP_SPLIT, buf, (uint32_t)n), 0);
  }
  int n = snprintf(buf, sizeof buf, "u%d", i);
  assert_int_equal(snap_list_add(&w, "union", SNAP_UNION, buf, (uint32_t)n), 0);
  n = snprintf(buf, sizeof buf, "b%d", i);
  assert_int_equal(snap_list_add(&w, "bcast", SNAP_BROADCAST, buf, (uint32_t)n), 0);
  sp_writer out;
  sp_writer_init(&out);
  assert_int_equal(snap_encode(&w, &out), 0);
  snap_writer_free(&w);
  snap_section s;
  s.data = sp_writer_take(&out, &s.len);
  return s;
}

static void free_sections(snap_section *s, int n) {
  for (int i = 0; i < n; i++) sp_free((void *)s[i].data);
}

static bool entry_is(const snap_list_view *v, uint32_t k, const char *want) {
  return k < v->count && v->len[k] == strlen(want) && memcmp(v->data[k], want, v->len[k]) == 0;
}

/* An exact-size heap copy, so ASan catches any read past the end. */
static uint8_t *copy_of(const uint8_t *p, size_t n) {
  uint8_t *c = malloc(n ? n : 1);
  if (n) memcpy(c, p, n);
  return c;
}

/* ---------------------------------------------------------------------------------------------
 * Writer and round trip. */

static void writer_encode_assign_round_trip(void **state) {
  (void)state;
  snap_writer w;
  assert_int_equal(snap_writer_init(&w, 128, (ks_key_group_range){10, 20}), 0);
  sp_put_bytes(snap_key_group(&w, 12), "twelve", 6);
  sp_put_bytes(snap_key_group(&w, 15), "fif", 3);
  sp_put_bytes(snap_key_group(&w, 15), "teen", 4); /* the open group again: appends */
  sp_put_bytes(snap_key_group(&w, 20), "twenty", 6);
  assert_int_equal(snap_list_add(&w, "offsets", SNAP_SPLIT, "o1", 2), 0);
  assert_int_equal(snap_list_add(&w, "offsets", SNAP_SPLIT, "", 0), 0);
  assert_int_equal(snap_list_add(&w, "all", SNAP_UNION, "x", 1), 0);
  sp_writer out;
  sp_writer_init(&out);
  sp_put_u32(&out, 0xdeadbeef); /* encode appends */
  assert_int_equal(snap_encode(&w, &out), 0);
  assert_int_equal(out.failed, false);
  snap_writer_free(&w);

  snap_section s = {out.data + 4, out.len - 4};
  snap_restore r;
  char err[256] = "";
  /* The one old subtask wrote groups of [10, 20]; new subtask 0 of 1 owns all 128. */
  assert_int_equal(snap_assign(&s, 1, 128, 1, 0, &r, err, sizeof err), 0);
  assert_int_equal(r.max_parallelism, 128);
  assert_int_equal(r.range.first, 0);
  assert_int_equal(r.range.last, 127);
  assert_int_equal(r.nkg, 3);
  const uint8_t *d;
  uint32_t len;
  assert_int_equal(snap_restore_key_group(&r, 12, &d, &len), 1);
  assert_memory_equal(d, "twelve", 6);
  assert_int_equal(len, 6);
  assert_int_equal(snap_restore_key_group(&r, 15, &d, &len), 1);
  assert_int_equal(len, 7);
  assert_memory_equal(d, "fifteen", 7);
  assert_int_equal(snap_restore_key_group(&r, 20, &d, &len), 1);
  assert_memory_equal(d, "twenty", 6);
  assert_int_equal(snap_restore_key_group(&r, 13, &d, &len), 0);
  assert_int_equal(snap_restore_key_group(&r, 0, &d, &len), 0);
  const snap_list_view *v = snap_restore_list(&r, "offsets");
  assert_non_null(v);
  assert_int_equal(v->mode, SNAP_SPLIT);
  assert_int_equal(v->count, 2);
  assert_true(entry_is(v, 0, "o1"));
  assert_true(entry_is(v, 1, ""));
  v = snap_restore_list(&r, "all");
  assert_non_null(v);
  assert_int_equal(v->mode, SNAP_UNION);
  assert_true(entry_is(v, 0, "x"));
  assert_null(snap_restore_list(&r, "nope"));
  snap_restore_free(&r);
  sp_writer_free(&out);
}

static void writer_rejects_bad_use(void **state) {
  (void)state;
  snap_writer w;
  assert_int_equal(snap_writer_init(&w, 0, (ks_key_group_range){0, 0}), SPATE_EINVAL);
  snap_writer_free(&w);
  assert_int_equal(snap_writer_init(&w, 128, (ks_key_group_range){100, 128}), SPATE_EINVAL);
  snap_writer_free(&w);
  assert_int_equal(snap_writer_init(&w, 128, (ks_key_group_range){64, 127}), 0);
  assert_null(snap_key_group(&w, 63));  /* out of range */
  assert_null(snap_key_group(&w, 128)); /* out of range */
  assert_non_null(snap_key_group(&w, 70));
  assert_null(snap_key_group(&w, 69)); /* below a group asked for before */
  assert_non_null(snap_key_group(&w, 70));
  assert_int_equal(snap_list_add(&w, "l", SNAP_UNION, "a", 1), 0);
  assert_int_equal(snap_list_add(&w, "l", SNAP_SPLIT, "a", 1), SPATE_EINVAL);
  assert_int_equal(snap_list_add(&w, NULL, SNAP_SPLIT, "a", 1), SPATE_EINVAL);
  assert_int_equal(snap_list_add(&w, "m", (snap_list_mode)7, "a", 1), SPATE_EINVAL);
  assert_int_equal(snap_list_add(&w, "m", SNAP_SPLIT, NULL, 3), SPATE_EINVAL);
  snap_writer_free(&w);

  /* An empty writer encodes and restores to nothing. */
  assert_int_equal(snap_writer_init(&w, 128, ks_key_group_range_for(128, 2, 1)), 0);
  sp_writer out;
  sp_writer_init(&out);
  assert_int_equal(snap_encode(&w, &out), 0);
  snap_writer_free(&w);
  snap_section s[2] = {{NULL, 0}, {out.data, out.len}};
  snap_restore r;
  char err[256];
  assert_int_equal(snap_assign(s, 2, 128, 1, 0, &r, err, sizeof err), 0);
  assert_int_equal(r.nkg, 0);
  assert_int_equal(r.nlists, 0);
  snap_restore_free(&r);
  /* Bad arguments. */
  assert_int_equal(snap_assign(s, 0, 128, 1, 0, &r, err, sizeof err), SPATE_EINVAL);
  assert_int_equal(snap_assign(s, 2, 128, 2, 2, &r, err, sizeof err), SPATE_EINVAL);
  assert_int_equal(snap_assign(s, 2, 128, 129, 0, &r, err, sizeof err), SPATE_EINVAL);
  sp_writer_free(&out);
}

/* ---------------------------------------------------------------------------------------------
 * Rescaling. */

/* Every key group the old subtasks wrote lands on exactly the new subtask whose range holds it,
 * with its bytes. */
static void check_key_groups(int max, int old_p, int new_p) {
  snap_section *old = calloc((size_t)old_p, sizeof *old);
  for (int i = 0; i < old_p; i++) old[i] = make_old(max, old_p, i, NULL);
  int *seen = calloc((size_t)max, sizeof *seen);
  for (int i = 0; i < new_p; i++) {
    snap_restore r;
    char err[256] = "";
    int rc = snap_assign(old, old_p, max, new_p, i, &r, err, sizeof err);
    if (rc) fail_msg("%d -> %d, subtask %d: %s", old_p, new_p, i, err);
    ks_key_group_range want = ks_key_group_range_for(max, new_p, i);
    assert_int_equal(r.range.first, want.first);
    assert_int_equal(r.range.last, want.last);
    for (int k = 0; k < r.nkg; k++) {
      int g = r.kgs[k].kg;
      assert_true(ks_key_group_range_contains(want, g));
      assert_true(k == 0 || r.kgs[k - 1].kg < g);
      char buf[32];
      int n = snprintf(buf, sizeof buf, "kg%d", g);
      assert_int_equal(r.kgs[k].len, n);
      assert_memory_equal(r.kgs[k].data, buf, (size_t)n);
      seen[g]++;
    }
    /* UNION: everybody gets every old subtask's entry, in old subtask order. */
    const snap_list_view *u = snap_restore_list(&r, "union");
    assert_non_null(u);
    assert_int_equal(u->count, old_p);
    for (int j = 0; j < old_p; j++) {
      char buf[16];
      snprintf(buf, sizeof buf, "u%d", j);
      assert_true(entry_is(u, (uint32_t)j, buf));
    }
    /* BROADCAST: new subtask i gets old subtask i % old_p's entries. */
    const snap_list_view *b = snap_restore_list(&r, "bcast");
    assert_non_null(b);
    assert_int_equal(b->count, 1);
    char buf[16];
    snprintf(buf, sizeof buf, "b%d", i % old_p);
    assert_true(entry_is(b, 0, buf));
    snap_restore_free(&r);
  }
  for (int g = 0; g < max; g++) assert_int_equal(seen[g], g % 3 == 1 ? 0 : 1);
  free(seen);
  free_sections(old, old_p);
  free(old);
}

static void key_groups_land_on_the_right_subtask(void **state) {
  (void)state;
  static const int cases[][3] = {{128, 2, 4}, {128, 4, 2}, {128, 3, 3}, {128, 1, 5},
                                 {128, 5, 1}, {128, 3, 7}, {10, 10, 3}, {7, 3, 7}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    check_key_groups(cases[c][0], cases[c][1], cases[c][2]);
}

/* Assigns new subtask i of new_p and returns its "split" entries joined with ',' into out. */
static void split_of(const snap_section *old, int old_p, int new_p, int i, char *out, size_t cap) {
  snap_restore r;
  char err[256] = "";
  if (snap_assign(old, old_p, 128, new_p, i, &r, err, sizeof err)) fail_msg("%s", err);
  out[0] = 0;
  const snap_list_view *v = snap_restore_list(&r, "split");
  for (uint32_t k = 0; v && k < v->count; k++) {
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "%s%.*s", k ? "," : "", (int)v->len[k], (const char *)v->data[k]);
  }
  if (v) assert_int_not_equal(v->count, 0); /* a list without entries is left out */
  snap_restore_free(&r);
}

static void split_lists_rescale_2_to_4(void **state) {
  (void)state;
  static const int counts[] = {3, 2};
  snap_section old[2] = {make_old(128, 2, 0, counts), make_old(128, 2, 1, counts)};
  /* Pool s0.0 s0.1 s0.2 s1.0 s1.1 (n = 5); subtask i of 4 gets [i*5/4, (i+1)*5/4). */
  static const char *want[] = {"s0.0", "s0.1", "s0.2", "s1.0,s1.1"};
  char got[256];
  for (int i = 0; i < 4; i++) {
    split_of(old, 2, 4, i, got, sizeof got);
    assert_string_equal(got, want[i]);
  }
  free_sections(old, 2);
}

static void split_lists_rescale_4_to_2(void **state) {
  (void)state;
  static const int counts[] = {1, 0, 2, 3};
  snap_section old[4];
  for (int i = 0; i < 4; i++) old[i] = make_old(128, 4, i, counts);
  char got[256];
  split_of(old, 4, 2, 0, got, sizeof got); /* n = 6: [0, 3) and [3, 6) */
  assert_string_equal(got, "s0.0,s2.0,s2.1");
  split_of(old, 4, 2, 1, got, sizeof got);
  assert_string_equal(got, "s3.0,s3.1,s3.2");
  split_of(old, 4, 1, 0, got, sizeof got);
  assert_string_equal(got, "s0.0,s2.0,s2.1,s3.0,s3.1,s3.2");
  free_sections(old, 4);
}

static void split_lists_keep_own_entries_3_to_3(void **state) {
  (void)state;
  /* An even cut would give [0, 2), [2, 4), [4, 6) = s0.0,s0.1 | s0.2,s0.3 | s0.4,s2.0; with the
   * parallelism unchanged every subtask keeps its own instead, as Flink does. */
  static const int counts[] = {5, 0, 1};
  snap_section old[3];
  for (int i = 0; i < 3; i++) old[i] = make_old(128, 3, i, counts);
  char got[256];
  split_of(old, 3, 3, 0, got, sizeof got);
  assert_string_equal(got, "s0.0,s0.1,s0.2,s0.3,s0.4");
  split_of(old, 3, 3, 1, got, sizeof got);
  assert_string_equal(got, "");
  split_of(old, 3, 3, 2, got, sizeof got);
  assert_string_equal(got, "s2.0");
  free_sections(old, 3);
}

static void union_and_broadcast_with_stateless_subtasks(void **state) {
  (void)state;
  /* Old subtask 1 had no state at all (an empty section). */
  snap_section old[3] = {make_old(128, 3, 0, NULL), {NULL, 0}, make_old(128, 3, 2, NULL)};
  for (int i = 0; i < 4; i++) {
    snap_restore r;
    char err[256] = "";
    assert_int_equal(snap_assign(old, 3, 128, 4, i, &r, err, sizeof err), 0);
    const snap_list_view *u = snap_restore_list(&r, "union");
    assert_non_null(u);
    assert_int_equal(u->count, 2);
    assert_true(entry_is(u, 0, "u0"));
    assert_true(entry_is(u, 1, "u2"));
    const snap_list_view *b = snap_restore_list(&r, "bcast");
    if (i % 3 == 1) {
      assert_null(b); /* its old subtask had nothing */
    } else {
      char buf[8];
      snprintf(buf, sizeof buf, "b%d", i % 3);
      assert_non_null(b);
      assert_true(entry_is(b, 0, buf));
    }
    snap_restore_free(&r);
  }
  free_sections(old, 3);
}

static void max_parallelism_change_refused(void **state) {
  (void)state;
  snap_section old[2] = {make_old(128, 2, 0, NULL), make_old(128, 2, 1, NULL)};
  snap_restore r;
  char err[512] = "";
  assert_int_equal(snap_assign(old, 2, 256, 2, 0, &r, err, sizeof err), SPATE_ESTATE);
  assert_non_null(strstr(err, "max parallelism 128"));
  assert_non_null(strstr(err, "now has 256"));
  assert_non_null(strstr(err, "not supported"));
  assert_int_equal(r.nkg, 0);
  assert_null(r.kgs);
  assert_int_equal(snap_assign(old, 2, 64, 2, 0, &r, err, sizeof err), SPATE_ESTATE);
  free_sections(old, 2);
}

/* ---------------------------------------------------------------------------------------------
 * Corrupt input. */

/* Assigns subtask 0 of 1 from the given sections and expects rc and a message with `want`. */
static void expect_assign_error(const snap_section *s, int n, int rc, const char *want) {
  snap_restore r;
  char err[512] = "";
  int got = snap_assign(s, n, 128, 1, 0, &r, err, sizeof err);
  if (got != rc || !strstr(err, want))
    fail_msg("expected %d with '%s', got %d: '%s'", rc, want, got, err);
  assert_int_equal(r.nkg, 0);
  assert_int_equal(r.nlists, 0);
}

/* Encodes the header of a snapshot by hand, for corruptions the writer cannot produce. */
static void put_header(sp_writer *w, int max, int first, int last) {
  sp_put_u32(w, SNAP_OP_MAGIC);
  sp_put_u32(w, 1);
  sp_put_i32(w, max);
  sp_put_i32(w, first);
  sp_put_i32(w, last);
}

static void corrupt_encodings_rejected(void **state) {
  (void)state;
  snap_section good = make_old(128, 2, 0, NULL);
  uint8_t *b = copy_of(good.data, good.len);
  snap_section s = {b, good.len};

  b[0] ^= 0xff; /* magic */
  expect_assign_error(&s, 1, SPATE_ECORRUPT, "old subtask 0 of 1 is corrupt: bad magic");
  b[0] ^= 0xff;
  b[4] = 2; /* version */
  expect_assign_error(&s, 1, SPATE_ECORRUPT, "unsupported version 2 (expected 1) at offset 4");
  b[4] = 1;
  snap_section two[2] = {s, {b, good.len - 1}};
  expect_assign_error(two, 2, SPATE_ECORRUPT, "old subtask 1 of 2 is corrupt: blob length");

  sp_writer w;

  /* A key-group count larger than the bytes can hold. */
  sp_writer_init(&w);
  put_header(&w, 128, 0, 63);
  sp_put_u32(&w, 1000000);
  s = (snap_section){w.data, w.len};
  expect_assign_error(&s, 1, SPATE_ECORRUPT, "key-group count 1000000 exceeds");
  sp_writer_free(&w);

  /* A key group outside the declared range. */
  sp_writer_init(&w);
  put_header(&w, 128, 0, 63);
  sp_put_u32(&w, 1);
  sp_put_i32(&w, 64);
  sp_put_blob(&w, "x", 1);
  sp_put_u32(&w, 0);
  s = (snap_section){w.data, w.len};
  expect_assign_error(&s, 1, SPATE_ECORRUPT, "key group 64 is outside the range [0, 63]");
  expect_assign_error(&s, 1, SPATE_ECORRUPT, "at offset 24");
  sp_writer_free(&w);

  /* A range outside [0, max). */
  sp_writer_init(&w);
  put_header(&w, 128, 0, 300);
  s = (snap_section){w.data, w.len};
  expect_assign_error(&s, 1, SPATE_ECORRUPT, "range [0, 300] is outside [0, 128)");
  sp_writer_free(&w);

  /* An unknown list mode, a duplicate list, trailing bytes. */
  sp_writer_init(&w);
  put_header(&w, 128, 0, 127);
  sp_put_u32(&w, 0);
  sp_put_u32(&w, 1);
  sp_put_str(&w, "l");
  sp_put_u8(&w, 9);
  sp_put_u32(&w, 0);
  s = (snap_section){w.data, w.len};
  expect_assign_error(&s, 1, SPATE_ECORRUPT, "unknown list mode 9");
  sp_writer_free(&w);
  sp_writer_init(&w);
  put_header(&w, 128, 0, 127);
  sp_put_u32(&w, 0);
  sp_put_u32(&w, 2);
  for (int i = 0; i < 2; i++) {
    sp_put_str(&w, "l");
    sp_put_u8(&w, SNAP_SPLIT);
    sp_put_u32(&w, 0);
  }
  s = (snap_section){w.data, w.len};
  expect_assign_error(&s, 1, SPATE_ECORRUPT, "list 'l' appears twice");
  sp_writer_free(&w);
  sp_writer_init(&w);
  sp_put_bytes(&w, good.data, good.len);
  sp_put_u8(&w, 0);
  s = (snap_section){w.data, w.len};
  expect_assign_error(&s, 1, SPATE_ECORRUPT, "1 unexpected bytes after the snapshot");
  sp_writer_free(&w);

  /* Two old subtasks claiming the same key group, and disagreeing list modes. */
  snap_section same[2] = {good, good};
  expect_assign_error(same, 2, SPATE_ECORRUPT, "key group 0 has a section in the snapshots");
  snap_writer sw;
  sp_writer e1, e2;
  sp_writer_init(&e1);
  sp_writer_init(&e2);
  assert_int_equal(snap_writer_init(&sw, 128, ks_key_group_range_for(128, 2, 0)), 0);
  assert_int_equal(snap_list_add(&sw, "l", SNAP_SPLIT, "a", 1), 0);
  assert_int_equal(snap_encode(&sw, &e1), 0);
  snap_writer_free(&sw);
  assert_int_equal(snap_writer_init(&sw, 128, ks_key_group_range_for(128, 2, 1)), 0);
  assert_int_equal(snap_list_add(&sw, "l", SNAP_UNION, "a", 1), 0);
  assert_int_equal(snap_encode(&sw, &e2), 0);
  snap_writer_free(&sw);
  snap_section modes[2] = {{e1.data, e1.len}, {e2.data, e2.len}};
  expect_assign_error(modes, 2, SPATE_ECORRUPT, "'l' is UNION in the snapshot of old subtask 1");
  /* Old subtasks that disagree on the max parallelism. */
  sp_writer_free(&e2);
  sp_writer_init(&e2);
  assert_int_equal(snap_writer_init(&sw, 64, ks_key_group_range_for(64, 2, 1)), 0);
  assert_int_equal(snap_encode(&sw, &e2), 0);
  snap_writer_free(&sw);
  modes[1] = (snap_section){e2.data, e2.len};
  expect_assign_error(modes, 2, SPATE_ECORRUPT, "has max parallelism 64 but the one of old");
  sp_writer_free(&e1);
  sp_writer_free(&e2);
  free(b);
  free_sections(&good, 1);
}

/* Assigns from a single damaged section: must succeed or fail cleanly, never crash. */
static void assign_damaged(const uint8_t *p, size_t n, int *ok, int *bad) {
  uint8_t *c = copy_of(p, n);
  snap_section s = {c, n};
  snap_restore r;
  char err[512] = "";
  for (int i = 0; i < 2; i++) {
    int rc = snap_assign(&s, 1, 128, 2, i, &r, err, sizeof err);
    if (rc == 0) {
      (*ok)++;
      for (int k = 0; k < r.nkg; k++) assert_true(r.kgs[k].data + r.kgs[k].len <= c + n);
      for (int l = 0; l < r.nlists; l++)
        for (uint32_t k = 0; k < r.lists[l].count; k++)
          assert_true(r.lists[l].data[k] + r.lists[l].len[k] <= c + n);
      snap_restore_free(&r);
    } else {
      (*bad)++;
      if (rc != SPATE_ECORRUPT && rc != SPATE_ESTATE) fail_msg("rc %d: %s", rc, err);
      assert_true(err[0] != 0);
    }
  }
  free(c);
}

static void truncations_and_byte_flips_never_crash(void **state) {
  (void)state;
  static const int counts[] = {4};
  snap_section good = make_old(128, 1, 0, counts);
  int ok = 0, bad = 0;
  /* Every proper prefix but the empty one (an empty section is a stateless subtask) fails. */
  for (size_t n = 1; n < good.len; n++) {
    int before = bad;
    assign_damaged(good.data, n, &ok, &bad);
    if (bad != before + 2)
      fail_msg("a snapshot truncated to %zu of %zu bytes was accepted", n, good.len);
  }
  uint8_t *b = copy_of(good.data, good.len);
  static const uint8_t masks[] = {0x01, 0x80, 0xff};
  for (size_t i = 0; i < good.len; i++) {
    for (size_t m = 0; m < sizeof masks; m++) {
      b[i] ^= masks[m];
      assign_damaged(b, good.len, &ok, &bad);
      b[i] ^= masks[m];
    }
  }
  assert_true(bad > 0);
  free(b);
  free_sections(&good, 1);
}

/* ---------------------------------------------------------------------------------------------
 * Task payloads. */

static void put_task(sp_writer *w, int p, int nops, const char *const *uids,
                     const snap_section *secs, const char *channel) {
  sp_put_u32(w, SNAP_TASK_MAGIC);
  sp_put_u32(w, 1);
  sp_put_i32(w, p);
  sp_put_u32(w, (uint32_t)nops);
  for (int i = 0; i < nops; i++) {
    sp_put_str(w, uids[i]);
    sp_put_i32(w, 128);
    sp_put_blob(w, secs[i].data, secs[i].len);
  }
  sp_put_blob(w, channel, strlen(channel));
}

static void expect_task_error(const sp_writer *w, const char *want) {
  snap_task t;
  char err[512] = "";
  int rc = snap_task_decode(w->data, w->len, &t, err, sizeof err);
  if (rc != SPATE_ECORRUPT || !strstr(err, want))
    fail_msg("expected ECORRUPT with '%s', got %d: '%s'", want, rc, err);
  assert_int_equal(t.nops, 0);
  assert_null(t.ops);
}

static void task_payload_round_trip_and_corruption(void **state) {
  (void)state;
  snap_section sec = make_old(128, 1, 0, NULL);
  const char *uids[] = {"source", "map"};
  snap_section secs[] = {sec, {NULL, 0}};
  sp_writer w;
  sp_writer_init(&w);
  put_task(&w, 3, 2, uids, secs, "chan");
  snap_task t;
  char err[512] = "";
  assert_int_equal(snap_task_decode(w.data, w.len, &t, err, sizeof err), 0);
  assert_int_equal(t.parallelism, 3);
  assert_int_equal(t.nops, 2);
  assert_string_equal(t.ops[0].uid, "source");
  assert_int_equal(t.ops[0].max_parallelism, 128);
  assert_int_equal(t.ops[0].section.len, sec.len);
  assert_memory_equal(t.ops[0].section.data, sec.data, sec.len);
  assert_string_equal(t.ops[1].uid, "map");
  assert_int_equal(t.ops[1].section.len, 0);
  assert_int_equal(t.channel_state.len, 4);
  assert_memory_equal(t.channel_state.data, "chan", 4);
  snap_task_free(&t);

  /* Every truncation fails; every byte flip fails cleanly or decodes. */
  for (size_t n = 0; n < w.len; n++) {
    uint8_t *c = copy_of(w.data, n);
    int rc = snap_task_decode(c, n, &t, err, sizeof err);
    if (rc != SPATE_ECORRUPT) fail_msg("truncated to %zu of %zu: rc %d", n, w.len, rc);
    assert_non_null(strstr(err, "offset"));
    free(c);
  }
  uint8_t *c = copy_of(w.data, w.len);
  for (size_t i = 0; i < w.len; i++) {
    c[i] ^= 0x41;
    int rc = snap_task_decode(c, w.len, &t, err, sizeof err);
    if (rc == 0)
      snap_task_free(&t);
    else
      assert_int_equal(rc, SPATE_ECORRUPT);
    c[i] ^= 0x41;
  }
  free(c);
  sp_writer_free(&w);

  sp_writer_init(&w);
  put_task(&w, 1, 0, NULL, NULL, "");
  w.data[0] = 'X';
  expect_task_error(&w, "bad magic");
  sp_writer_free(&w);
  const char *dup[] = {"a", "a"};
  snap_section empty[] = {{NULL, 0}, {NULL, 0}};
  sp_writer_init(&w);
  put_task(&w, 1, 2, dup, empty, "");
  expect_task_error(&w, "operator uid 'a' appears twice at offset");
  sp_writer_free(&w);
  const char *null_uid[] = {NULL};
  sp_writer_init(&w);
  put_task(&w, 1, 1, null_uid, empty, "");
  expect_task_error(&w, "operator uid is a NULL string at offset 16");
  sp_writer_free(&w);
  const char *blank[] = {""};
  sp_writer_init(&w);
  put_task(&w, 1, 1, blank, empty, "");
  expect_task_error(&w, "empty uid");
  sp_writer_free(&w);
  sp_writer_init(&w);
  put_task(&w, 0, 0, NULL, NULL, "");
  expect_task_error(&w, "parallelism 0 is outside");
  sp_writer_free(&w);
  sp_writer_init(&w);
  put_task(&w, 1, 0, NULL, NULL, "");
  sp_put_u8(&w, 7);
  expect_task_error(&w, "1 unexpected bytes after the task snapshot");
  sp_writer_free(&w);
  sp_writer_init(&w);
  sp_put_u32(&w, SNAP_TASK_MAGIC);
  sp_put_u32(&w, 1);
  sp_put_i32(&w, 1);
  sp_put_u32(&w, 0x7fffffff);
  expect_task_error(&w, "operator count 2147483647 exceeds");
  sp_writer_free(&w);
  free_sections(&sec, 1);
}

/* ---------------------------------------------------------------------------------------------
 * Allocation failures. */

static void allocation_failures(void **state) {
  (void)state;
  static const int counts[] = {2, 3};
  snap_section old[2] = {make_old(128, 2, 0, counts), make_old(128, 2, 1, counts)};
  /* snap_assign failing at every allocation in turn: ENOMEM, nothing leaked (teardown). */
  for (int n = 1;; n++) {
    snap_restore r;
    char err[256] = "";
    sp_alloc_fail_after(n, 0);
    int rc = snap_assign(old, 2, 128, 3, 1, &r, err, sizeof err);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) {
      assert_non_null(snap_restore_list(&r, "split"));
      snap_restore_free(&r);
      break;
    }
    assert_int_equal(rc, SPATE_ENOMEM);
    assert_int_equal(r.nlists, 0);
  }
  /* The writer: a failed list add leaves the list as it was. */
  snap_writer w;
  assert_int_equal(snap_writer_init(&w, 128, ks_key_group_range_for(128, 1, 0)), 0);
  assert_int_equal(snap_list_add(&w, "l", SNAP_SPLIT, "a", 1), 0);
  static char big[1000];
  int failures = 0;
  for (int i = 0; i < 20; i++) {
    sp_alloc_fail_after(1, 0);
    int rc = snap_list_add(&w, "l", SNAP_SPLIT, big, sizeof big);
    sp_alloc_fail_after(0, 0);
    failures += rc == SPATE_ENOMEM;
  }
  assert_true(failures > 0);
  assert_int_equal(w.lists[0].count, 1 + 20 - failures);
  sp_writer out;
  sp_writer_init(&out);
  assert_int_equal(snap_encode(&w, &out), 0);
  snap_section s = {out.data, out.len};
  snap_restore r;
  char err[256] = "";
  assert_int_equal(snap_assign(&s, 1, 128, 1, 0, &r, err, sizeof err), 0);
  assert_int_equal(snap_restore_list(&r, "l")->count, 1 + 20 - failures);
  snap_restore_free(&r);
  sp_writer_free(&out);
  snap_writer_free(&w);
  free_sections(old, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(writer_encode_assign_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(writer_rejects_bad_use, setup, teardown),
      cmocka_unit_test_setup_teardown(key_groups_land_on_the_right_subtask, setup, teardown),
      cmocka_unit_test_setup_teardown(split_lists_rescale_2_to_4, setup, teardown),
      cmocka_unit_test_setup_teardown(split_lists_rescale_4_to_2, setup, teardown),
      cmocka_unit_test_setup_teardown(split_lists_keep_own_entries_3_to_3, setup, teardown),
      cmocka_unit_test_setup_teardown(union_and_broadcast_with_stateless_subtasks, setup, teardown),
      cmocka_unit_test_setup_teardown(max_parallelism_change_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(corrupt_encodings_rejected, setup, teardown),
      cmocka_unit_test_setup_teardown(truncations_and_byte_flips_never_crash, setup, teardown),
      cmocka_unit_test_setup_teardown(task_payload_round_trip_and_corruption, setup, teardown),
      cmocka_unit_test_setup_teardown(allocation_failures, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

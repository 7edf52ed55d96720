/*
 * test_keyed_state.c: the heap keyed-state backend (state/keyed_state.h): Flink's key-group
 * ranges, every state kind with namespaces and many keys across key groups, wrong-kind and
 * missing-key errors, TTL as Flink's StateTtlConfig documents it (expiry on create/write,
 * OnReadAndWrite extending, NeverReturnExpired vs ReturnExpiredIfNotCleanedUp, per-element
 * expiry of lists and maps, reduce/aggregate restarting after expiry, full-scan cleanup and the
 * full-snapshot filter), snapshot per key group and restore into a backend with another range,
 * and allocation failures that must leave the state unchanged. The checkpoint encoding of a
 * key group (ks_write_key_group / ks_read_key_group): a round trip of every kind with TTL
 * timestamps into another range between other sections, records of states registered only
 * later (kept aside, carried through further checkpoints, checked against the descriptor when
 * registered), every truncation and byte corruption refused or survived without harm, and
 * allocation failures while reading and registering. A value changed in place
 * (ks_value_get_writable, as keyed aggregations do).
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
#include "base/hash.h"
#include "state/keyed_state.h"
#include "types/row.h"

/* ---------------------------------------------------------------------------------------------
 * Fixture: schemas, builders, a controllable clock. */

typedef struct fx {
  int64_t base_alloc;
  int64_t now;
  spate_schema *key_s, *long_s, *str_s, *acc_s, *avg_s;
  spate_row_builder *kb, *lb, *lb2, *sb, *sb2;
} fx;

static spate_schema *parse(const char *spec) {
  spate_schema *s = NULL;
  char err[256] = "";
  if (spate_schema_parse(spec, &s, err, sizeof err) != 0) fail_msg("%s", err);
  return s;
}

static int64_t test_clock(void *arg) { return ((fx *)arg)->now; }

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->base_alloc = sp_alloc_current();
  f->key_s = parse("k BIGINT NOT NULL");
  f->long_s = parse("v BIGINT");
  f->str_s = parse("s STRING");
  f->acc_s = parse("sum BIGINT NOT NULL, cnt BIGINT NOT NULL");
  f->avg_s = parse("avg DOUBLE");
  f->kb = spate_rb_new(f->key_s);
  f->lb = spate_rb_new(f->long_s);
  f->lb2 = spate_rb_new(f->long_s);
  f->sb = spate_rb_new(f->str_s);
  f->sb2 = spate_rb_new(f->str_s);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  sp_alloc_fail_after(0, 0);
  spate_rb_free(f->kb);
  spate_rb_free(f->lb);
  spate_rb_free(f->lb2);
  spate_rb_free(f->sb);
  spate_rb_free(f->sb2);
  spate_schema_free(f->key_s);
  spate_schema_free(f->long_s);
  spate_schema_free(f->str_s);
  spate_schema_free(f->acc_s);
  spate_schema_free(f->avg_s);
  int64_t leaked = sp_alloc_current() - f->base_alloc;
  free(f);
  if (leaked != 0) fail_msg("%lld bytes still allocated through sp_malloc", (long long)leaked);
  return 0;
}

static spate_row long_row(spate_row_builder *b, int64_t v) {
  spate_row r;
  spate_rb_begin(b);
  spate_rb_set_bigint(b, 0, v);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  return r;
}

static spate_row str_row(spate_row_builder *b, const char *s) {
  spate_row r;
  spate_rb_begin(b);
  spate_rb_set_string(b, 0, s, strlen(s));
  assert_int_equal(spate_rb_finish(b, &r), 0);
  return r;
}

static int key_group_of(int64_t k, int max) { return sp_key_group(sp_java_long_hash(k), max); }

/* Sets the current key to the BIGINT key k (its key group computed as the partitioner does). */
static int set_key(fx *f, ks_backend *b, int64_t k) {
  spate_row r = long_row(f->kb, k);
  return ks_set_current_key(b, r.data, r.len, key_group_of(k, ks_backend_max_parallelism(b)));
}

static void set_ns(ks_backend *b, const char *ns) {
  assert_int_equal(ks_set_namespace(b, ns, (uint32_t)strlen(ns)), 0);
}

static ks_backend *new_backend(fx *f, int max, int p, int i) {
  ks_backend *b = NULL;
  assert_int_equal(ks_backend_new(max, ks_key_group_range_for(max, p, i), test_clock, f, &b), 0);
  return b;
}

static ks_state *reg(ks_backend *b, ks_descriptor d) {
  ks_state *s = NULL;
  int rc = ks_register(b, &d, &s);
  if (rc != 0) fail_msg("register %s: %s", d.name, ks_error(b));
  return s;
}

static int64_t get_long(ks_state *s) {
  spate_row r;
  int rc = ks_state_kind(s) == KS_VALUE ? ks_value_get(s, &r) : ks_reducing_get(s, &r);
  assert_int_equal(rc, 1);
  return spate_row_bigint(&r, 0);
}

/* ---------------------------------------------------------------------------------------------
 * Key-group ranges. */

static void key_group_ranges_match_flink(void **state) {
  (void)state;
  /* KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex for a few documented cases. */
  struct {
    int max, p, i, first, last;
  } cases[] = {
      {128, 1, 0, 0, 127},
      {128, 2, 0, 0, 63},
      {128, 2, 1, 64, 127},
      {128, 3, 0, 0, 42},
      {128, 3, 1, 43, 85},
      {128, 3, 2, 86, 127},
      {10, 3, 0, 0, 3},
      {10, 3, 1, 4, 6},
      {10, 3, 2, 7, 9},
      {4096, 2, 1, 2048, 4095},
      {32768, 7, 6, 28087, 32767},
      {5, 5, 4, 4, 4},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    ks_key_group_range r = ks_key_group_range_for(cases[c].max, cases[c].p, cases[c].i);
    assert_int_equal(r.first, cases[c].first);
    assert_int_equal(r.last, cases[c].last);
  }
  /* The ranges tile [0, max) and agree with the partitioner's operator index. */
  int maxes[] = {1, 7, 128, 130, 1000, 32768};
  int ps[] = {1, 2, 3, 5, 7, 64, 128};
  for (size_t a = 0; a < 6; a++) {
    for (size_t c = 0; c < 7; c++) {
      int max = maxes[a], p = ps[c];
      if (p > max) continue;
      int next = 0;
      for (int i = 0; i < p; i++) {
        ks_key_group_range r = ks_key_group_range_for(max, p, i);
        assert_int_equal(r.first, next);
        assert_true(ks_key_group_range_size(r) >= 1);
        for (int g = r.first; g <= r.last; g++) assert_int_equal(sp_operator_index(max, p, g), i);
        next = r.last + 1;
      }
      assert_int_equal(next, max);
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * Kinds. */

static void value_state_basics(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_state *v = reg(b, (ks_descriptor){.name = "v", .kind = KS_VALUE, .value_schema = f->str_s});
  spate_row r, in = str_row(f->sb, "hello");

  /* No current key yet. */
  assert_int_equal(ks_value_get(v, &r), SPATE_ESTATE);
  assert_non_null(strstr(ks_error(b), "without a current key"));
  assert_int_equal(ks_value_update(v, &in), SPATE_ESTATE);

  assert_int_equal(set_key(f, b, 1), 0);
  assert_int_equal(ks_value_get(v, &r), 0);
  assert_int_equal(ks_value_update(v, &in), 0);
  assert_int_equal(ks_value_get(v, &r), 1);
  spate_bytes s = spate_row_string(&r, 0);
  assert_int_equal(s.len, 5);
  assert_memory_equal(s.ptr, "hello", 5);

  /* A larger value grows the entry; an equal or smaller one is written in place. */
  in = str_row(f->sb, "a considerably longer string than before, to force a regrowth");
  assert_int_equal(ks_value_update(v, &in), 0);
  assert_int_equal(ks_value_get(v, &r), 1);
  assert_int_equal(spate_row_string(&r, 0).len,
                   strlen("a considerably longer string than before, to force a regrowth"));
  int64_t before = sp_alloc_current();
  in = str_row(f->sb, "short");
  assert_int_equal(ks_value_update(v, &in), 0);
  assert_int_equal(ks_value_update(v, &in), 0);
  assert_int_equal(ks_value_get(v, &r), 1);
  assert_int_equal(sp_alloc_current(), before);
  assert_memory_equal(spate_row_string(&r, 0).ptr, "short", 5);
  /* Writing back the row just read (a view into the entry) is fine. */
  assert_int_equal(ks_value_update(v, &r), 0);
  assert_int_equal(ks_value_get(v, &r), 1);
  assert_memory_equal(spate_row_string(&r, 0).ptr, "short", 5);

  /* Namespaces are separate; setting the key resets to the default namespace. */
  set_ns(b, "window-1");
  assert_int_equal(ks_value_get(v, &r), 0);
  in = str_row(f->sb, "in-window");
  assert_int_equal(ks_value_update(v, &in), 0);
  assert_int_equal(set_key(f, b, 1), 0);
  assert_int_equal(ks_value_get(v, &r), 1);
  assert_memory_equal(spate_row_string(&r, 0).ptr, "short", 5);
  set_ns(b, "window-1");
  assert_int_equal(ks_value_get(v, &r), 1);
  assert_memory_equal(spate_row_string(&r, 0).ptr, "in-window", 9);

  /* Another key sees nothing; clear and update(NULL) remove. */
  assert_int_equal(set_key(f, b, 2), 0);
  assert_int_equal(ks_value_get(v, &r), 0);
  assert_int_equal(set_key(f, b, 1), 0);
  assert_int_equal(ks_clear(v), 0);
  assert_int_equal(ks_value_get(v, &r), 0);
  set_ns(b, "window-1");
  assert_int_equal(ks_value_update(v, NULL), 0);
  assert_int_equal(ks_value_get(v, &r), 0);
  assert_int_equal(ks_key_group_entries(b, key_group_of(1, 128)), 0);

  /* Wrong row shape, wrong key group, unset key. */
  spate_row two = {r.data, 8, 2};
  assert_int_equal(ks_value_update(v, &two), SPATE_EINVAL);
  assert_int_equal(ks_set_current_key(b, "x", 1, 128), SPATE_EINVAL);
  assert_non_null(strstr(ks_error(b), "outside"));
  /* A namespace longer than an entry can describe (16 bits) is refused, naming its length;
   * the namespace set before stays. */
  static uint8_t huge_ns[65536];
  set_ns(b, "window-2");
  assert_int_equal(ks_set_namespace(b, huge_ns, sizeof huge_ns), SPATE_EINVAL);
  assert_non_null(strstr(ks_error(b), "namespace of 65536 bytes"));
  in = str_row(f->sb, "w2");
  assert_int_equal(ks_value_update(v, &in), 0);
  set_ns(b, "window-2"); /* the same namespace again (its hash is reused) */
  assert_int_equal(ks_value_get(v, &r), 1);
  set_ns(b, "window-3");
  assert_int_equal(ks_value_get(v, &r), 0);
  set_ns(b, "window-2");
  assert_int_equal(ks_value_get(v, &r), 1);
  assert_memory_equal(spate_row_string(&r, 0).ptr, "w2", 2);
  assert_int_equal(ks_set_namespace(b, huge_ns, sizeof huge_ns - 1), 0);
  ks_unset_current_key(b);
  assert_int_equal(ks_value_get(v, &r), SPATE_ESTATE);
  ks_backend_free(b);
}

static void registration_and_kind_errors(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 2, 1);
  ks_state *v = reg(b, (ks_descriptor){.name = "v", .kind = KS_VALUE, .value_schema = f->long_s});
  ks_state *l = reg(b, (ks_descriptor){.name = "l", .kind = KS_LIST, .value_schema = f->long_s});
  /* The same descriptor again gives the same state (Flink's getState called twice). */
  assert_ptr_equal(
      reg(b, (ks_descriptor){.name = "v", .kind = KS_VALUE, .value_schema = f->long_s}), v);
  ks_state *s = NULL;
  ks_descriptor other = {.name = "v", .kind = KS_LIST, .value_schema = f->long_s};
  assert_int_equal(ks_register(b, &other, &s), SPATE_ESTATE);
  assert_non_null(strstr(ks_error(b), "already registered as VALUE"));
  other = (ks_descriptor){.name = "v", .kind = KS_VALUE, .value_schema = f->str_s};
  assert_int_equal(ks_register(b, &other, &s), SPATE_ESTATE);
  assert_int_equal(ks_lookup(b, "l", &s), 0);
  assert_ptr_equal(s, l);
  assert_int_equal(ks_lookup(b, "nope", &s), SPATE_ESTATE);
  assert_non_null(strstr(ks_error(b), "unknown state 'nope'"));
  other = (ks_descriptor){.name = "r", .kind = KS_REDUCING, .value_schema = f->long_s};
  assert_int_equal(ks_register(b, &other, &s), SPATE_EINVAL); /* no reduce function */
  other = (ks_descriptor){.name = "m", .kind = KS_MAP, .value_schema = f->long_s};
  assert_int_equal(ks_register(b, &other, &s), SPATE_EINVAL); /* no user key schema */
  other = (ks_descriptor){.name = "t",
                          .kind = KS_VALUE,
                          .value_schema = f->long_s,
                          .ttl = {.update = KS_TTL_ON_CREATE_AND_WRITE, .ttl_ms = 0}};
  assert_int_equal(ks_register(b, &other, &s), SPATE_EINVAL); /* TTL must be positive */

  /* Calls of the wrong kind fail with a message naming both kinds. */
  int64_t k = 0;
  while (key_group_of(k, 128) < 64) k++; /* a key of this backend's range [64, 127] */
  assert_int_equal(set_key(f, b, k), 0);
  spate_row in = long_row(f->lb, 5), out;
  ks_list_iter it;
  assert_int_equal(ks_list_add(v, &in), SPATE_ESTATE);
  assert_non_null(strstr(ks_error(b), "VALUE state 'v', which is not LIST"));
  assert_int_equal(ks_value_get(l, &out), SPATE_ESTATE);
  assert_int_equal(ks_list_get(v, &it), SPATE_ESTATE);
  assert_int_equal(ks_map_put(l, &in, &in), SPATE_ESTATE);
  assert_int_equal(ks_reducing_add(v, &in), SPATE_ESTATE);
  assert_int_equal(ks_aggregating_get(v, &out), SPATE_ESTATE);
  /* A backend without clock refuses TTL states. */
  ks_backend *nc = NULL;
  assert_int_equal(ks_backend_new(128, ks_key_group_range_for(128, 1, 0), NULL, NULL, &nc), 0);
  other = (ks_descriptor){.name = "t",
                          .kind = KS_VALUE,
                          .value_schema = f->long_s,
                          .ttl = {.update = KS_TTL_ON_CREATE_AND_WRITE, .ttl_ms = 10}};
  assert_int_equal(ks_register(nc, &other, &s), SPATE_EINVAL);
  ks_backend_free(nc);
  assert_int_equal(ks_backend_new(128, (ks_key_group_range){5, 200}, NULL, NULL, &nc),
                   SPATE_EINVAL);
  ks_backend_free(b);
}

static void many_keys_across_key_groups(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_state *v = reg(b, (ks_descriptor){.name = "v", .kind = KS_VALUE, .value_schema = f->long_s});
  enum { N = 20000 };
  size_t per_group[128] = {0};
  for (int64_t k = 0; k < N; k++) {
    assert_int_equal(set_key(f, b, k), 0);
    spate_row in = long_row(f->lb, k * 3);
    assert_int_equal(ks_value_update(v, &in), 0);
    set_ns(b, "ns");
    in = long_row(f->lb, -k);
    assert_int_equal(ks_value_update(v, &in), 0);
    per_group[key_group_of(k, 128)] += 2;
  }
  size_t total = 0;
  for (int g = 0; g < 128; g++) {
    assert_int_equal(ks_key_group_entries(b, g), per_group[g]);
    assert_true(per_group[g] > 0); /* keys spread over all groups */
    total += per_group[g];
  }
  assert_int_equal(total, 2 * N);
  for (int64_t k = 0; k < N; k++) {
    assert_int_equal(set_key(f, b, k), 0);
    assert_int_equal(get_long(v), k * 3);
    set_ns(b, "ns");
    assert_int_equal(get_long(v), -k);
    if (k % 2) assert_int_equal(ks_clear(v), 0);
  }
  for (int64_t k = 0; k < N; k++) {
    assert_int_equal(set_key(f, b, k), 0);
    set_ns(b, "ns");
    spate_row r;
    assert_int_equal(ks_value_get(v, &r), k % 2 ? 0 : 1);
  }
  ks_backend_free(b);
}

/* Look-ahead hints (ks_prefetch) are declined while the state is small and taken
 * once it holds about KS_PREFETCH_MIN_ENTRIES entries; hints for keys and namespaces present,
 * absent, or in a key group outside the range change nothing that state calls observe. */
static void prefetch_hints_change_nothing(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 2, 0); /* key groups 0..63 */
  ks_state *v = reg(b, (ks_descriptor){.name = "v", .kind = KS_VALUE, .value_schema = f->long_s});
  enum { N = 2 * KS_PREFETCH_MIN_ENTRIES };
  int64_t first_in = -1;
  for (int64_t k = 0; first_in < 0; k++)
    if (key_group_of(k, 128) < 64) first_in = k;
  assert_false(ks_prefetch_useful(b, key_group_of(first_in, 128))); /* empty */
  int64_t in_range = 0;
  for (int64_t k = 0; k < N; k++) {
    int g = key_group_of(k, 128);
    spate_row key = long_row(f->kb, k + 7); /* a hint for a key seven ahead */
    ks_prefetch(b, key.data, key.len, NULL, 0, key_group_of(k + 7, 128));
    ks_prefetch(b, key.data, key.len, "ns", 2, key_group_of(k + 7, 128));
    if (g >= 64) continue;
    in_range++;
    assert_int_equal(set_key(f, b, k), 0);
    spate_row in = long_row(f->lb, k * 5);
    assert_int_equal(ks_value_update(v, &in), 0);
    set_ns(b, "ns");
    in = long_row(f->lb, -k);
    assert_int_equal(ks_value_update(v, &in), 0);
  }
  assert_true(2 * in_range >= KS_PREFETCH_MIN_ENTRIES);
  assert_true(ks_prefetch_useful(b, key_group_of(first_in, 128)));
  assert_false(ks_prefetch_useful(b, 64)); /* outside the range */
  for (int64_t k = 0; k < N; k++) {
    spate_row key = long_row(f->kb, N - k); /* hints for other keys between the reads */
    ks_prefetch(b, key.data, key.len, "ns", 2, key_group_of(N - k, 128));
    if (key_group_of(k, 128) >= 64) continue;
    assert_int_equal(set_key(f, b, k), 0);
    assert_int_equal(get_long(v), k * 5);
    set_ns(b, "ns");
    assert_int_equal(get_long(v), -k);
  }
  size_t total = 0;
  for (int g = 0; g < 64; g++) total += ks_key_group_entries(b, g);
  assert_int_equal(total, 2 * in_range);
  ks_backend_free(b);
}

static void list_state(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_state *l = reg(b, (ks_descriptor){.name = "l", .kind = KS_LIST, .value_schema = f->long_s});
  ks_list_iter it;
  spate_row r;
  assert_int_equal(set_key(f, b, 42), 0);
  assert_int_equal(ks_list_get(l, &it), 0);
  assert_false(ks_list_next(&it, &r));
  for (int i = 0; i < 100; i++) {
    spate_row in = long_row(f->lb, i);
    assert_int_equal(ks_list_add(l, &in), 0);
  }
  spate_row batch[3] = {long_row(f->lb, 100), {0}, {0}};
  spate_row c1, c2;
  assert_int_equal(spate_row_copy(&batch[0], &c1), 0);
  batch[1] = long_row(f->lb2, 101);
  assert_int_equal(spate_row_copy(&batch[1], &c2), 0);
  batch[0] = c1;
  batch[1] = c2;
  batch[2] = long_row(f->lb, 102);
  assert_int_equal(ks_list_add_all(l, batch, 3), 0);
  assert_int_equal(ks_list_add_all(l, batch, 0), 0);
  assert_int_equal(ks_list_get(l, &it), 103);
  for (int i = 0; i < 103; i++) {
    assert_true(ks_list_next(&it, &r));
    assert_int_equal(spate_row_bigint(&r, 0), i);
  }
  assert_false(ks_list_next(&it, &r));

  /* Another namespace is another list. */
  set_ns(b, "w");
  assert_int_equal(ks_list_get(l, &it), 0);
  assert_int_equal(ks_list_update(l, batch, 2), 0);
  assert_int_equal(ks_list_get(l, &it), 2);

  /* update with views into the list itself: keep the even elements. */
  assert_int_equal(set_key(f, b, 42), 0);
  spate_row evens[52];
  int n = 0;
  assert_int_equal(ks_list_get(l, &it), 103);
  for (int i = 0; ks_list_next(&it, &r); i++)
    if (i % 2 == 0) evens[n++] = r;
  assert_int_equal(ks_list_update(l, evens, (size_t)n), 0);
  assert_int_equal(ks_list_get(l, &it), 52);
  for (int i = 0; ks_list_next(&it, &r); i++) assert_int_equal(spate_row_bigint(&r, 0), 2 * i);
  /* add_all of its own elements, which forces a regrowth. */
  assert_int_equal(ks_list_get(l, &it), 52);
  n = 0;
  while (ks_list_next(&it, &r)) evens[n++] = r;
  assert_int_equal(ks_list_add_all(l, evens, (size_t)n), 0);
  assert_int_equal(ks_list_get(l, &it), 104);
  for (int i = 0; ks_list_next(&it, &r); i++)
    assert_int_equal(spate_row_bigint(&r, 0), 2 * (i % 52));

  /* update with nothing clears; so does clear. */
  assert_int_equal(ks_list_update(l, NULL, 0), 0);
  assert_int_equal(ks_list_get(l, &it), 0);
  set_ns(b, "w");
  assert_int_equal(ks_clear(l), 0);
  assert_int_equal(ks_list_get(l, &it), 0);
  assert_int_equal(ks_key_group_entries(b, key_group_of(42, 128)), 0);
  assert_int_equal(ks_list_add(l, NULL), SPATE_EINVAL);
  spate_row_free(&c1);
  spate_row_free(&c2);
  ks_backend_free(b);
}

static void map_state(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_state *m = reg(
      b, (ks_descriptor){
             .name = "m", .kind = KS_MAP, .value_schema = f->long_s, .user_key_schema = f->str_s});
  spate_row r, uk, v;
  char name[32];
  assert_int_equal(set_key(f, b, 9), 0);
  assert_int_equal(ks_map_is_empty(m), 1);
  uk = str_row(f->sb, "a");
  assert_int_equal(ks_map_get(m, &uk, &r), 0);
  assert_int_equal(ks_map_contains(m, &uk), 0);
  assert_int_equal(ks_map_remove(m, &uk), 0);
  for (int i = 0; i < 500; i++) {
    snprintf(name, sizeof name, "user-%d", i);
    uk = str_row(f->sb, name);
    v = long_row(f->lb, i);
    assert_int_equal(ks_map_put(m, &uk, &v), 0);
  }
  /* Overwrite one. */
  uk = str_row(f->sb, "user-7");
  v = long_row(f->lb, 700);
  assert_int_equal(ks_map_put(m, &uk, &v), 0);
  assert_int_equal(ks_map_is_empty(m), 0);
  assert_int_equal(ks_map_get(m, &uk, &r), 1);
  assert_int_equal(spate_row_bigint(&r, 0), 700);
  assert_int_equal(ks_map_contains(m, &uk), 1);

  /* Iteration sees every entry once. */
  ks_map_iter it;
  assert_int_equal(ks_map_iter_begin(m, &it), 500);
  char seen[500] = {0};
  int n = 0;
  while (ks_map_next(&it, &uk, &v)) {
    spate_bytes s = spate_row_string(&uk, 0);
    int idx = atoi(s.ptr + 5); /* "user-N" followed by padding zeros */
    assert_true(idx >= 0 && idx < 500);
    assert_false(seen[idx]);
    seen[idx] = 1;
    assert_int_equal(spate_row_bigint(&v, 0), idx == 7 ? 700 : idx);
    n++;
  }
  assert_int_equal(n, 500);

  /* Another namespace, another map. */
  set_ns(b, "w");
  assert_int_equal(ks_map_is_empty(m), 1);
  assert_int_equal(set_key(f, b, 9), 0);
  for (int i = 0; i < 500; i += 2) {
    snprintf(name, sizeof name, "user-%d", i);
    uk = str_row(f->sb, name);
    assert_int_equal(ks_map_remove(m, &uk), 1);
  }
  assert_int_equal(ks_map_iter_begin(m, &it), 250);
  for (int i = 1; i < 500; i += 2) {
    snprintf(name, sizeof name, "user-%d", i);
    uk = str_row(f->sb, name);
    assert_int_equal(ks_map_remove(m, &uk), 1);
  }
  /* Removing the last entry removes the map. */
  assert_int_equal(ks_map_is_empty(m), 1);
  assert_int_equal(ks_key_group_entries(b, key_group_of(9, 128)), 0);
  uk = str_row(f->sb, "x");
  v = long_row(f->lb, 1);
  assert_int_equal(ks_map_put(m, &uk, &v), 0);
  assert_int_equal(ks_clear(m), 0);
  assert_int_equal(ks_map_is_empty(m), 1);
  assert_int_equal(ks_map_put(m, &uk, NULL), SPATE_EINVAL);
  ks_backend_free(b);
}

static int sum_reduce(void *arg, const spate_row *acc, const spate_row *in,
                      spate_row_builder *out) {
  (*(int *)arg)++;
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0) + spate_row_bigint(in, 0));
  return 0;
}

static int failing_reduce(void *arg, const spate_row *acc, const spate_row *in,
                          spate_row_builder *out) {
  return SPATE_EUDF;
}

static void reducing_state(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  int calls = 0;
  ks_state *r = reg(b, (ks_descriptor){.name = "r",
                                       .kind = KS_REDUCING,
                                       .value_schema = f->long_s,
                                       .reduce = sum_reduce,
                                       .fn_arg = &calls});
  spate_row out;
  for (int64_t k = 0; k < 50; k++) {
    assert_int_equal(set_key(f, b, k), 0);
    assert_int_equal(ks_reducing_get(r, &out), 0);
    for (int i = 1; i <= 10; i++) {
      spate_row in = long_row(f->lb, i * (k + 1));
      assert_int_equal(ks_reducing_add(r, &in), 0);
    }
    set_ns(b, "other");
    spate_row in = long_row(f->lb, 1);
    assert_int_equal(ks_reducing_add(r, &in), 0);
  }
  /* The first add stores the value, each later one reduces. */
  assert_int_equal(calls, 50 * 9);
  for (int64_t k = 0; k < 50; k++) {
    assert_int_equal(set_key(f, b, k), 0);
    assert_int_equal(get_long(r), 55 * (k + 1));
    set_ns(b, "other");
    assert_int_equal(get_long(r), 1);
  }
  assert_int_equal(set_key(f, b, 3), 0);
  assert_int_equal(ks_clear(r), 0);
  assert_int_equal(ks_reducing_get(r, &out), 0);

  /* A failing reduce function leaves the accumulator as it was. */
  ks_state *bad = reg(
      b,
      (ks_descriptor){
          .name = "bad", .kind = KS_REDUCING, .value_schema = f->long_s, .reduce = failing_reduce});
  spate_row in = long_row(f->lb, 4);
  assert_int_equal(ks_reducing_add(bad, &in), 0);
  assert_int_equal(ks_reducing_add(bad, &in), SPATE_EUDF);
  assert_non_null(strstr(ks_error(b), "reduce function of state 'bad'"));
  assert_int_equal(get_long(bad), 4);
  ks_backend_free(b);
}

/* AVG as an AggregateFunction: acc (sum, cnt), result sum / cnt. */
static int avg_create(void *arg, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, 0);
  spate_rb_set_bigint(out, 1, 0);
  return 0;
}
static int avg_add(void *arg, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  int64_t sum = acc ? spate_row_bigint(acc, 0) : 0, cnt = acc ? spate_row_bigint(acc, 1) : 0;
  if (arg) assert_non_null(acc); /* with a create function, never NULL */
  spate_rb_set_bigint(out, 0, sum + spate_row_bigint(in, 0));
  spate_rb_set_bigint(out, 1, cnt + 1);
  return 0;
}
static int avg_result(void *arg, const spate_row *acc, spate_row_builder *out) {
  spate_rb_set_double(out, 0, (double)spate_row_bigint(acc, 0) / (double)spate_row_bigint(acc, 1));
  return 0;
}

static void aggregating_state(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_descriptor d = {.name = "avg",
                     .kind = KS_AGGREGATING,
                     .value_schema = f->long_s,
                     .acc_schema = f->acc_s,
                     .result_schema = f->avg_s,
                     .agg_create = avg_create,
                     .agg_add = avg_add,
                     .agg_result = avg_result,
                     .fn_arg = (void *)1};
  ks_state *a = reg(b, d);
  d.name = "avg2";
  d.agg_create = NULL;
  d.fn_arg = NULL;
  ks_state *a2 = reg(b, d);
  spate_row out;
  for (int64_t k = 0; k < 20; k++) {
    assert_int_equal(set_key(f, b, k), 0);
    assert_int_equal(ks_aggregating_get(a, &out), 0);
    for (int i = 1; i <= 4; i++) {
      spate_row in = long_row(f->lb, i * 10 + k);
      assert_int_equal(ks_aggregating_add(a, &in), 0);
      assert_int_equal(ks_aggregating_add(a2, &in), 0);
    }
  }
  for (int64_t k = 0; k < 20; k++) {
    assert_int_equal(set_key(f, b, k), 0);
    assert_int_equal(ks_aggregating_get(a, &out), 1);
    assert_int_equal(out.nfields, 1);
    assert_true(spate_row_double(&out, 0) == 25.0 + (double)k);
    assert_int_equal(ks_aggregating_get(a2, &out), 1);
    assert_true(spate_row_double(&out, 0) == 25.0 + (double)k);
  }
  assert_int_equal(ks_clear(a), 0);
  assert_int_equal(ks_aggregating_get(a, &out), 0);
  assert_int_equal(ks_aggregating_get(a2, &out), 1);
  ks_backend_free(b);
}

/* ---------------------------------------------------------------------------------------------
 * TTL. */

static ks_ttl_config ttl(ks_ttl_update u, int64_t ms, ks_ttl_visibility vis) {
  return (ks_ttl_config){.update = u, .ttl_ms = ms, .visibility = vis};
}

static void ttl_value_on_create_and_write(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_state *v = reg(
      b, (ks_descriptor){.name = "v",
                         .kind = KS_VALUE,
                         .value_schema = f->long_s,
                         .ttl = ttl(KS_TTL_ON_CREATE_AND_WRITE, 100, KS_TTL_NEVER_RETURN_EXPIRED)});
  spate_row r, in = long_row(f->lb, 1);
  assert_int_equal(set_key(f, b, 1), 0);
  f->now = 1000;
  assert_int_equal(ks_value_update(v, &in), 0);
  f->now = 1050; /* reading does not extend the TTL under OnCreateAndWrite */
  assert_int_equal(ks_value_get(v, &r), 1);
  f->now = 1099;
  assert_int_equal(ks_value_get(v, &r), 1);
  f->now = 1100; /* expired: last access + ttl <= now */
  assert_int_equal(ks_value_get(v, &r), 0);
  assert_int_equal(ks_key_group_entries(b, key_group_of(1, 128)), 0); /* cleaned up on read */
  /* A write re-creates it and restarts the TTL. */
  in = long_row(f->lb, 2);
  assert_int_equal(ks_value_update(v, &in), 0);
  f->now = 1150;
  in = long_row(f->lb, 3);
  assert_int_equal(ks_value_update(v, &in), 0); /* write extends */
  f->now = 1249;
  assert_int_equal(get_long(v), 3);
  f->now = 1250;
  assert_int_equal(ks_value_get(v, &r), 0);
  ks_backend_free(b);
}

static void ttl_value_on_read_and_write(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_state *v = reg(
      b, (ks_descriptor){.name = "v",
                         .kind = KS_VALUE,
                         .value_schema = f->long_s,
                         .ttl = ttl(KS_TTL_ON_READ_AND_WRITE, 100, KS_TTL_NEVER_RETURN_EXPIRED)});
  spate_row r, in = long_row(f->lb, 7);
  assert_int_equal(set_key(f, b, 1), 0);
  f->now = 0;
  assert_int_equal(ks_value_update(v, &in), 0);
  f->now = 99;
  assert_int_equal(get_long(v), 7); /* extends to 199 */
  f->now = 198;
  assert_int_equal(get_long(v), 7); /* extends to 298 */
  f->now = 297;
  assert_int_equal(get_long(v), 7);
  f->now = 397;
  assert_int_equal(ks_value_get(v, &r), 0);
  ks_backend_free(b);
}

/* ks_value_get_writable, as keyed aggregations use it: the stored bytes changed in place
 * without a copy; a write for TTL; an expired value removed and absent whatever the
 * visibility. */
static void value_written_in_place(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_state *v = reg(b, (ks_descriptor){.name = "v",
                                       .kind = KS_VALUE,
                                       .value_schema = f->long_s,
                                       .ttl = ttl(KS_TTL_ON_CREATE_AND_WRITE, 100,
                                                  KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP)});
  ks_state *l = reg(b, (ks_descriptor){.name = "l", .kind = KS_LIST, .value_schema = f->long_s});
  spate_row r, in = long_row(f->lb, 5);
  assert_int_equal(ks_value_get_writable(v, &r), SPATE_ESTATE);
  assert_non_null(strstr(ks_error(b), "without a current key"));
  assert_int_equal(set_key(f, b, 1), 0);
  assert_int_equal(ks_value_get_writable(l, &r), SPATE_ESTATE);
  assert_non_null(strstr(ks_error(b), "which is not VALUE"));
  assert_int_equal(ks_value_get_writable(v, &r), 0);
  f->now = 1000;
  assert_int_equal(ks_value_update(v, &in), 0);
  int64_t before = sp_alloc_current();
  assert_int_equal(ks_value_get_writable(v, &r), 1);
  assert_int_equal(spate_row_bigint(&r, 0), 5);
  int64_t x = 42;
  memcpy((uint8_t *)r.data + 8, &x, 8);         /* the field's slot, after the null bitmap word */
  assert_int_equal(sp_alloc_current(), before); /* no snapshot: written where it is stored */
  assert_int_equal(get_long(v), 42);
  f->now = 1090; /* a write: the TTL restarts */
  assert_int_equal(ks_value_get_writable(v, &r), 1);
  f->now = 1150;
  assert_int_equal(get_long(v), 42);
  f->now = 1190; /* expired: absent and removed, although a read would return it once */
  assert_int_equal(ks_value_get_writable(v, &r), 0);
  assert_int_equal(ks_key_group_entries(b, key_group_of(1, 128)), 0);
  ks_backend_free(b);
}

static void ttl_return_expired_if_not_cleaned_up(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_ttl_config t = ttl(KS_TTL_ON_CREATE_AND_WRITE, 10, KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP);
  ks_state *v =
      reg(b, (ks_descriptor){.name = "v", .kind = KS_VALUE, .value_schema = f->str_s, .ttl = t});
  ks_state *never = reg(
      b, (ks_descriptor){.name = "n",
                         .kind = KS_VALUE,
                         .value_schema = f->str_s,
                         .ttl = ttl(KS_TTL_ON_CREATE_AND_WRITE, 10, KS_TTL_NEVER_RETURN_EXPIRED)});
  spate_row r, in = str_row(f->sb, "stale but visible");
  assert_int_equal(set_key(f, b, 5), 0);
  f->now = 0;
  assert_int_equal(ks_value_update(v, &in), 0);
  assert_int_equal(ks_value_update(never, &in), 0);
  f->now = 10;
  /* Expired and not yet cleaned up: returned once, and cleaned up by that read. */
  assert_int_equal(ks_value_get(v, &r), 1);
  assert_memory_equal(spate_row_string(&r, 0).ptr, "stale but visible", 17);
  assert_int_equal(ks_value_get(v, &r), 0);
  assert_int_equal(ks_value_get(never, &r), 0);
  assert_int_equal(ks_key_group_entries(b, key_group_of(5, 128)), 0);
  ks_backend_free(b);
}

static void ttl_reducing_and_aggregating_restart(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  int calls = 0;
  ks_ttl_config t = ttl(KS_TTL_ON_CREATE_AND_WRITE, 100, KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP);
  ks_state *r = reg(b, (ks_descriptor){.name = "r",
                                       .kind = KS_REDUCING,
                                       .value_schema = f->long_s,
                                       .reduce = sum_reduce,
                                       .fn_arg = &calls,
                                       .ttl = t});
  ks_state *a = reg(b, (ks_descriptor){.name = "a",
                                       .kind = KS_AGGREGATING,
                                       .value_schema = f->long_s,
                                       .acc_schema = f->acc_s,
                                       .result_schema = f->avg_s,
                                       .agg_create = avg_create,
                                       .agg_add = avg_add,
                                       .agg_result = avg_result,
                                       .fn_arg = (void *)1,
                                       .ttl = t});
  assert_int_equal(set_key(f, b, 1), 0);
  f->now = 0;
  spate_row in = long_row(f->lb, 5), out;
  assert_int_equal(ks_reducing_add(r, &in), 0);
  assert_int_equal(ks_aggregating_add(a, &in), 0);
  f->now = 60;
  in = long_row(f->lb, 7);
  assert_int_equal(ks_reducing_add(r, &in), 0); /* 12, written at 60 */
  assert_int_equal(ks_aggregating_add(a, &in), 0);
  f->now = 159;
  assert_int_equal(get_long(r), 12);
  assert_int_equal(ks_aggregating_get(a, &out), 1);
  assert_true(spate_row_double(&out, 0) == 6.0);
  f->now = 160;
  /* An add after expiry ignores the expired accumulator even though reads may return it. */
  in = long_row(f->lb, 3);
  assert_int_equal(ks_reducing_add(r, &in), 0);
  assert_int_equal(get_long(r), 3);
  assert_int_equal(ks_aggregating_add(a, &in), 0);
  assert_int_equal(ks_aggregating_get(a, &out), 1);
  assert_true(spate_row_double(&out, 0) == 3.0);
  /* ... and a read after expiry returns the stale result once. */
  f->now = 260;
  assert_int_equal(ks_aggregating_get(a, &out), 1);
  assert_true(spate_row_double(&out, 0) == 3.0);
  assert_int_equal(ks_aggregating_get(a, &out), 0);
  ks_backend_free(b);
}

static void ttl_list_per_element(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_state *l = reg(
      b, (ks_descriptor){.name = "l",
                         .kind = KS_LIST,
                         .value_schema = f->long_s,
                         .ttl = ttl(KS_TTL_ON_CREATE_AND_WRITE, 100, KS_TTL_NEVER_RETURN_EXPIRED)});
  ks_state *lr = reg(b, (ks_descriptor){.name = "lr",
                                        .kind = KS_LIST,
                                        .value_schema = f->long_s,
                                        .ttl = ttl(KS_TTL_ON_CREATE_AND_WRITE, 100,
                                                   KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP)});
  ks_state *lt = reg(
      b, (ks_descriptor){.name = "lt",
                         .kind = KS_LIST,
                         .value_schema = f->long_s,
                         .ttl = ttl(KS_TTL_ON_READ_AND_WRITE, 100, KS_TTL_NEVER_RETURN_EXPIRED)});
  ks_state *all[3] = {l, lr, lt};
  assert_int_equal(set_key(f, b, 1), 0);
  ks_list_iter it;
  spate_row r;
  for (int s = 0; s < 3; s++) {
    f->now = 0;
    spate_row in = long_row(f->lb, 1);
    assert_int_equal(ks_list_add(all[s], &in), 0);
    f->now = 50;
    in = long_row(f->lb, 2);
    assert_int_equal(ks_list_add(all[s], &in), 0);
    in = long_row(f->lb, 3);
    assert_int_equal(ks_list_add(all[s], &in), 0);
  }
  /* OnReadAndWrite: a read at 60 stamps every element with 60. */
  f->now = 60;
  assert_int_equal(ks_list_get(lt, &it), 3);
  f->now = 100;
  /* Element 1 (written at 0) expired, 2 and 3 (written at 50) not. */
  assert_int_equal(ks_list_get(l, &it), 2);
  assert_true(ks_list_next(&it, &r));
  assert_int_equal(spate_row_bigint(&r, 0), 2);
  assert_true(ks_list_next(&it, &r));
  assert_int_equal(spate_row_bigint(&r, 0), 3);
  assert_false(ks_list_next(&it, &r));
  /* ReturnExpiredIfNotCleanedUp: the expired element is returned once, in its place. */
  assert_int_equal(ks_list_get(lr, &it), 3);
  for (int i = 1; i <= 3; i++) {
    assert_true(ks_list_next(&it, &r));
    assert_int_equal(spate_row_bigint(&r, 0), i);
  }
  assert_int_equal(ks_list_get(lr, &it), 2);
  assert_int_equal(ks_list_get(lt, &it), 3); /* all stamped at 60 */
  f->now = 159;
  assert_int_equal(ks_list_get(lt, &it), 3); /* touched at 100 */
  f->now = 259;
  assert_int_equal(ks_list_get(lt, &it), 0);
  /* A list whose elements all expired is gone. */
  f->now = 150;
  assert_int_equal(ks_list_get(l, &it), 0);
  assert_int_equal(ks_list_get(lr, &it), 2);
  assert_int_equal(ks_list_get(lr, &it), 0);
  assert_int_equal(ks_key_group_entries(b, key_group_of(1, 128)), 0);
  ks_backend_free(b);
}

static void ttl_map_per_entry(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_state *m = reg(
      b, (ks_descriptor){.name = "m",
                         .kind = KS_MAP,
                         .value_schema = f->long_s,
                         .user_key_schema = f->str_s,
                         .ttl = ttl(KS_TTL_ON_READ_AND_WRITE, 100, KS_TTL_NEVER_RETURN_EXPIRED)});
  ks_state *mr = reg(b, (ks_descriptor){.name = "mr",
                                        .kind = KS_MAP,
                                        .value_schema = f->long_s,
                                        .user_key_schema = f->str_s,
                                        .ttl = ttl(KS_TTL_ON_CREATE_AND_WRITE, 100,
                                                   KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP)});
  assert_int_equal(set_key(f, b, 3), 0);
  spate_row x = str_row(f->sb, "x"), y = str_row(f->sb2, "y"), r, uk, v;
  ks_state *both[2] = {m, mr};
  for (int s = 0; s < 2; s++) {
    f->now = 0;
    spate_row one = long_row(f->lb, 1);
    assert_int_equal(ks_map_put(both[s], &x, &one), 0);
    f->now = 50;
    spate_row two = long_row(f->lb, 2);
    assert_int_equal(ks_map_put(both[s], &y, &two), 0);
  }
  f->now = 100;
  assert_int_equal(ks_map_get(m, &x, &r), 0);  /* expired per entry */
  assert_int_equal(ks_map_contains(m, &y), 1); /* a read: y now lives until 200 */
  ks_map_iter it;
  assert_int_equal(ks_map_iter_begin(mr, &it), 2); /* x returned once more */
  int n = 0;
  int64_t sum = 0;
  while (ks_map_next(&it, &uk, &v)) {
    n++;
    sum += spate_row_bigint(&v, 0);
  }
  assert_int_equal(n, 2);
  assert_int_equal(sum, 3);
  assert_int_equal(ks_map_iter_begin(mr, &it), 1);
  assert_true(ks_map_next(&it, &uk, &v));
  assert_memory_equal(spate_row_string(&uk, 0).ptr, "y", 1);
  assert_false(ks_map_next(&it, &uk, &v));
  f->now = 150;
  assert_int_equal(ks_map_get(mr, &y, &r), 1); /* expired, still returned once */
  assert_int_equal(spate_row_bigint(&r, 0), 2);
  assert_int_equal(ks_map_is_empty(mr), 1);
  f->now = 199;
  assert_int_equal(ks_map_iter_begin(m, &it), 1); /* iteration reads y: lives until 299 */
  assert_true(ks_map_next(&it, &uk, &v));
  f->now = 298;
  assert_int_equal(ks_map_is_empty(m), 0);
  f->now = 299;
  assert_int_equal(ks_map_is_empty(m), 1);
  assert_int_equal(ks_key_group_entries(b, key_group_of(3, 128)), 0);
  ks_backend_free(b);
}

typedef struct counter {
  size_t records;
} counter;
static int count_records(void *arg, const ks_record *rec) {
  ((counter *)arg)->records++;
  return 0;
}

static void ttl_full_cleanup_and_snapshot_filter(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 16, 1, 0);
  ks_ttl_config t = ttl(KS_TTL_ON_CREATE_AND_WRITE, 100, KS_TTL_NEVER_RETURN_EXPIRED);
  t.cleanup_full_snapshot = true;
  ks_state *v =
      reg(b, (ks_descriptor){.name = "v", .kind = KS_VALUE, .value_schema = f->long_s, .ttl = t});
  ks_state *l =
      reg(b, (ks_descriptor){.name = "l", .kind = KS_LIST, .value_schema = f->long_s, .ttl = t});
  ks_state *m = reg(b, (ks_descriptor){.name = "m",
                                       .kind = KS_MAP,
                                       .value_schema = f->long_s,
                                       .user_key_schema = f->long_s,
                                       .ttl = t});
  ks_state *keep =
      reg(b, (ks_descriptor){.name = "keep", .kind = KS_VALUE, .value_schema = f->long_s});
  /* 200 keys; even keys written at 0, odd at 80; lists and maps get one element at each time. */
  for (int64_t k = 0; k < 200; k++) {
    assert_int_equal(set_key(f, b, k), 0);
    spate_row in = long_row(f->lb, k);
    f->now = 0;
    assert_int_equal(ks_value_update(keep, &in), 0);
    f->now = k % 2 ? 80 : 0;
    assert_int_equal(ks_value_update(v, &in), 0);
    for (int64_t e = 0; e < 2; e++) {
      f->now = e ? 80 : 0;
      spate_row uk = long_row(f->lb2, e);
      assert_int_equal(ks_list_add(l, &in), 0);
      assert_int_equal(ks_map_put(m, &uk, &in), 0);
    }
  }
  f->now = 120;
  /* The snapshot leaves out what expired, without touching the live state. */
  counter c = {0};
  size_t entries = 0;
  for (int g = 0; g < 16; g++) {
    assert_int_equal(ks_snapshot_key_group(b, g, count_records, &c), 0);
    entries += ks_key_group_entries(b, g);
  }
  /* keep: 200, v: 100 (odd keys), l: 200 (one element each), m: 200. */
  assert_int_equal(c.records, 200 + 100 + 200 + 200);
  assert_int_equal(entries, 4 * 200);
  /* The full scan removes 100 values, 200 list elements and 200 map entries. */
  assert_int_equal(ks_ttl_cleanup_full(b), 100 + 200 + 200);
  entries = 0;
  for (int g = 0; g < 16; g++) entries += ks_key_group_entries(b, g);
  assert_int_equal(entries, 200 + 100 + 200 + 200);
  assert_int_equal(ks_ttl_cleanup_full(b), 0);
  for (int64_t k = 0; k < 200; k++) {
    assert_int_equal(set_key(f, b, k), 0);
    assert_int_equal(get_long(keep), k);
    spate_row r;
    assert_int_equal(ks_value_get(v, &r), (int)(k % 2));
    ks_list_iter it;
    assert_int_equal(ks_list_get(l, &it), 1);
    assert_int_equal(ks_map_is_empty(m), 0);
  }
  f->now = 1000;
  assert_int_equal(ks_ttl_cleanup_full(b), 100 + 200 + 200);
  entries = 0;
  for (int g = 0; g < 16; g++) entries += ks_key_group_entries(b, g);
  assert_int_equal(entries, 200);
  ks_backend_free(b);
}

/* ---------------------------------------------------------------------------------------------
 * Snapshot and restore. */

/* The five states of the snapshot tests: value and map with TTL, list, reduce, aggregate. */
static ks_descriptor descriptor(fx *f, int i, int *calls) {
  ks_ttl_config t = ttl(KS_TTL_ON_CREATE_AND_WRITE, 1000, KS_TTL_NEVER_RETURN_EXPIRED);
  switch (i) {
  case 0:
    return (ks_descriptor){.name = "value", .kind = KS_VALUE, .value_schema = f->long_s, .ttl = t};
  case 1: return (ks_descriptor){.name = "list", .kind = KS_LIST, .value_schema = f->long_s};
  case 2:
    return (ks_descriptor){.name = "map",
                           .kind = KS_MAP,
                           .value_schema = f->long_s,
                           .user_key_schema = f->long_s,
                           .ttl = t};
  case 3:
    return (ks_descriptor){.name = "reduce",
                           .kind = KS_REDUCING,
                           .value_schema = f->long_s,
                           .reduce = sum_reduce,
                           .fn_arg = calls};
  default:
    return (ks_descriptor){.name = "agg",
                           .kind = KS_AGGREGATING,
                           .value_schema = f->long_s,
                           .acc_schema = f->acc_s,
                           .result_schema = f->avg_s,
                           .agg_create = avg_create,
                           .agg_add = avg_add,
                           .agg_result = avg_result,
                           .fn_arg = (void *)1};
  }
}

static void register_all(fx *f, ks_backend *b, ks_state **st, int *calls) {
  for (int i = 0; i < 5; i++) st[i] = reg(b, descriptor(f, i, calls));
}

/* Writes every kind for the keys, in the default and the "w1" namespace; values are functions
 * of the key (see write_record and read_all). */
static void fill(fx *f, ks_backend *b, ks_state **st, const int64_t *keys, int nk) {
  for (int i = 0; i < nk; i++) {
    int64_t k = keys[i];
    assert_int_equal(set_key(f, b, k), 0);
    for (int ns = 0; ns < 2; ns++) {
      if (ns) set_ns(b, "w1");
      spate_row in = long_row(f->lb, k * 10 + ns);
      assert_int_equal(ks_value_update(st[0], &in), 0);
      for (int64_t e = 0; e < k % 4; e++) {
        spate_row el = long_row(f->lb, k + e);
        assert_int_equal(ks_list_add(st[1], &el), 0);
        spate_row uk = long_row(f->lb2, e);
        assert_int_equal(ks_map_put(st[2], &uk, &el), 0);
      }
      in = long_row(f->lb, k * 10 + ns); /* the loop reused the builder behind `in` */
      assert_int_equal(ks_reducing_add(st[3], &in), 0);
      assert_int_equal(ks_reducing_add(st[3], &in), 0);
      assert_int_equal(ks_aggregating_add(st[4], &in), 0);
    }
  }
}

/* Serialises records as a checkpoint would; checks each one against what the test wrote. */
typedef struct snap_ctx {
  sp_writer w;
  int key_group, max;
  size_t records;
} snap_ctx;

static int write_record(void *arg, const ks_record *rec) {
  snap_ctx *c = arg;
  spate_row key = {rec->key, rec->key_len, 1};
  int64_t k = spate_row_bigint(&key, 0);
  assert_int_equal(key_group_of(k, c->max), c->key_group);
  int64_t v = spate_row_bigint(&rec->value, 0);
  int ns = rec->ns_len > 0;
  switch (rec->kind) {
  case KS_VALUE: assert_int_equal(v, k * 10 + ns); break;
  case KS_REDUCING: assert_int_equal(v, 2 * (k * 10 + ns)); break;
  case KS_AGGREGATING: assert_int_equal(v, k * 10 + ns); break; /* the accumulator's sum */
  case KS_LIST: assert_true(v >= k && v < k + 4); break;
  case KS_MAP: {
    spate_row uk = {rec->user_key, rec->user_key_len, 1};
    assert_int_equal(v, k + spate_row_bigint(&uk, 0));
    break;
  }
  }
  assert_int_equal(rec->ttl_ts, rec->kind == KS_VALUE || rec->kind == KS_MAP ? 5 : 0);
  sp_put_str(&c->w, rec->state);
  sp_put_u8(&c->w, (uint8_t)rec->kind);
  sp_put_blob(&c->w, rec->key, rec->key_len);
  sp_put_blob(&c->w, rec->ns, rec->ns_len);
  sp_put_blob(&c->w, rec->user_key, rec->user_key_len);
  sp_put_u32(&c->w, rec->value.nfields);
  sp_put_blob(&c->w, rec->value.data, rec->value.len);
  sp_put_i64(&c->w, rec->ttl_ts);
  c->records++;
  return 0;
}

static size_t restore_group(ks_backend *b, int key_group, const uint8_t *data, size_t len) {
  sp_reader r;
  sp_reader_init(&r, data, len);
  size_t n = 0;
  while (r.pos < r.len) {
    ks_record rec = {0};
    char *name = sp_get_str(&r);
    rec.state = name;
    rec.kind = (ks_kind)sp_get_u8(&r);
    rec.key = sp_get_blob(&r, &rec.key_len);
    rec.ns = sp_get_blob(&r, &rec.ns_len);
    rec.user_key = sp_get_blob(&r, &rec.user_key_len);
    rec.value.nfields = sp_get_u32(&r);
    rec.value.data = sp_get_blob(&r, &rec.value.len);
    rec.ttl_ts = sp_get_i64(&r);
    assert_true(sp_reader_ok(&r));
    if (rec.user_key_len == 0) rec.user_key = NULL;
    /* Rows are read in place from an 8-byte unaligned buffer: copy to be safe on alignment. */
    spate_row value;
    assert_int_equal(spate_row_copy(&rec.value, &value), 0);
    rec.value = value;
    int rc = ks_restore_record(b, key_group, &rec);
    if (rc != 0) fail_msg("restore: %s", ks_error(b));
    spate_row_free(&value);
    sp_free(name);
    n++;
  }
  return n;
}

/* Reads everything written for key k (see the snapshot test) for key k into a checksum-like summary. */
static int64_t read_all(fx *f, ks_backend *b, ks_state **st, int64_t k) {
  int64_t acc = 0;
  assert_int_equal(set_key(f, b, k), 0);
  for (int ns = 0; ns < 2; ns++) {
    if (ns) set_ns(b, "w1");
    acc = acc * 31 + get_long(st[0]);
    ks_list_iter it;
    spate_row r, uk, v;
    assert_int_equal(ks_list_get(st[1], &it), (int)(k % 4));
    for (int64_t e = 0; ks_list_next(&it, &r); e++)
      assert_int_equal(spate_row_bigint(&r, 0), k + e);
    ks_map_iter mi;
    assert_int_equal(ks_map_iter_begin(st[2], &mi), (int)(k % 4));
    while (ks_map_next(&mi, &uk, &v)) acc += spate_row_bigint(&uk, 0) * spate_row_bigint(&v, 0);
    acc = acc * 31 + get_long(st[3]);
    assert_int_equal(ks_aggregating_get(st[4], &r), 1);
    acc = acc * 31 + (int64_t)spate_row_double(&r, 0);
  }
  return acc;
}

static void snapshot_and_restore_with_other_range(void **state) {
  fx *f = *state;
  enum { MAX = 128, NKEYS = 3000 };
  int calls = 0;
  /* Subtask 0 of 2 owns [0, 63]; it restores into subtask 0 of 3, which owns [0, 42]. */
  ks_backend *a = new_backend(f, MAX, 2, 0);
  ks_state *sa[5];
  register_all(f, a, sa, &calls);
  f->now = 5;
  /* Keys of subtask 0 only, as the partitioner would send. */
  int64_t keys[NKEYS];
  int nk = 0;
  for (int64_t k = 0; nk < NKEYS; k++)
    if (key_group_of(k, MAX) <= 63) keys[nk++] = k;
  /* Every kind, default and "w1" namespace; values are functions of the key (write_record). */
  fill(f, a, sa, keys, nk);
  /* Expected records per key group: per key and namespace 3 single values + 2 * (k % 4). */
  size_t expected[MAX] = {0};
  for (int i = 0; i < nk; i++) expected[key_group_of(keys[i], MAX)] += 2 * (3 + 2 * (keys[i] % 4));

  ks_backend *c = new_backend(f, MAX, 3, 0);
  ks_state *sc[5];
  register_all(f, c, sc, &calls);
  for (int g = 0; g <= 63; g++) {
    snap_ctx sn = {.key_group = g, .max = MAX};
    sp_writer_init(&sn.w);
    assert_int_equal(ks_snapshot_key_group(a, g, write_record, &sn), 0);
    assert_false(sn.w.failed);
    assert_int_equal(sn.records, expected[g]);
    if (g <= 42)
      assert_int_equal(restore_group(c, g, sn.w.data, sn.w.len), expected[g]);
    else
      assert_int_equal(ks_restore_record(c, g, &(ks_record){.state = "value"}), SPATE_EINVAL);
    sp_writer_free(&sn.w);
  }
  /* Reads agree for every moved key; other keys belong elsewhere now. */
  int moved = 0;
  for (int i = 0; i < nk; i++) {
    if (key_group_of(keys[i], MAX) > 42) {
      assert_int_equal(set_key(f, c, keys[i]), SPATE_EINVAL);
      continue;
    }
    assert_int_equal(read_all(f, c, sc, keys[i]), read_all(f, a, sa, keys[i]));
    moved++;
  }
  assert_true(moved > NKEYS / 2);
  /* Entries restored with their TTL timestamps: they expire as in the original. */
  f->now = 1004;
  assert_int_equal(set_key(f, c, keys[0]), 0);
  assert_int_equal(get_long(sc[0]), keys[0] * 10);
  f->now = 1005;
  spate_row r;
  assert_int_equal(ks_value_get(sc[0], &r), 0);

  /* Clearing a key group drops exactly its state. */
  int g0 = key_group_of(keys[1], MAX);
  assert_int_equal(ks_clear_key_group(c, g0), 0);
  assert_int_equal(ks_key_group_entries(c, g0), 0);
  assert_int_equal(set_key(f, c, keys[1]), 0);
  assert_int_equal(ks_list_get(sc[1], &(ks_list_iter){0}), 0);
  /* A record for an unregistered state or of the wrong kind is refused. */
  ks_record bad = {.state = "nope", .kind = KS_VALUE, .value = long_row(f->lb, 1)};
  assert_int_equal(ks_restore_record(c, 0, &bad), SPATE_ESTATE);
  bad.state = "list";
  assert_int_equal(ks_restore_record(c, 0, &bad), SPATE_ESTATE);
  ks_backend_free(a);
  ks_backend_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * Checkpoint encoding (ks_write_key_group / ks_read_key_group). */

/* The encoding of key group g of b, with a marker before and after (the caller frees). */
static sp_writer encode_group(ks_backend *b, int g) {
  sp_writer w;
  sp_writer_init(&w);
  sp_put_u32(&w, 0x5EC0);
  int rc = ks_write_key_group(b, g, &w);
  if (rc != 0) fail_msg("write key group %d: %s", g, ks_error(b));
  sp_put_u32(&w, 0x5EC1);
  assert_false(w.failed);
  return w;
}

/* Reads what encode_group wrote; returns the code of ks_read_key_group. */
static int decode_group(ks_backend *b, int g, const sp_writer *w) {
  sp_reader r;
  sp_reader_init(&r, w->data, w->len);
  assert_int_equal(sp_get_u32(&r), 0x5EC0);
  int rc = ks_read_key_group(b, g, &r);
  if (rc == 0) {
    assert_int_equal(sp_get_u32(&r), 0x5EC1); /* the encoding ends where it should */
    assert_true(sp_reader_ok(&r));
    assert_int_equal(r.pos, r.len);
  }
  return rc;
}

/* NKEYS keys whose key groups lie in [first, last] of max 128. */
static int keys_in(int64_t *keys, int n, int first, int last) {
  int nk = 0;
  for (int64_t k = 0; nk < n; k++) {
    int g = key_group_of(k, 128);
    if (g >= first && g <= last) keys[nk++] = k;
  }
  return nk;
}

static void checkpoint_round_trip_other_range(void **state) {
  fx *f = *state;
  enum { NKEYS = 1500 };
  int calls = 0;
  int64_t keys[NKEYS];
  int nk = keys_in(keys, NKEYS, 0, 63);
  /* Subtask 0 of 2 owns [0, 63]; its groups [0, 42] go to subtask 0 of 3. */
  ks_backend *a = new_backend(f, 128, 2, 0), *c = new_backend(f, 128, 3, 0);
  ks_state *sa[5], *sc[5];
  register_all(f, a, sa, &calls);
  register_all(f, c, sc, &calls);
  f->now = 5;
  fill(f, a, sa, keys, nk);
  /* c holds state of its own in every group: a read replaces the group. */
  f->now = 7;
  for (int i = 0; i < nk; i++) {
    if (key_group_of(keys[i], 128) > 42) continue;
    assert_int_equal(set_key(f, c, keys[i]), 0);
    set_ns(c, "stale");
    spate_row v = long_row(f->lb, -1);
    assert_int_equal(ks_value_update(sc[0], &v), 0);
    assert_int_equal(ks_list_add(sc[1], &v), 0);
  }
  for (int g = 0; g <= 42; g++) {
    sp_writer w = encode_group(a, g);
    if (decode_group(c, g, &w) != 0) fail_msg("read key group %d: %s", g, ks_error(c));
    sp_writer_free(&w);
    assert_int_equal(ks_key_group_entries(c, g), ks_key_group_entries(a, g));
  }
  int moved = 0;
  for (int i = 0; i < nk; i++) {
    if (key_group_of(keys[i], 128) > 42) continue;
    assert_int_equal(read_all(f, c, sc, keys[i]), read_all(f, a, sa, keys[i]));
    assert_int_equal(set_key(f, c, keys[i]), 0);
    set_ns(c, "stale");
    spate_row r;
    assert_int_equal(ks_value_get(sc[0], &r), 0);
    moved++;
  }
  assert_true(moved > NKEYS / 2);
  /* The TTL timestamps came along: value and map entries written at 5 expire at 1005. */
  int64_t k0 = keys[0];
  assert_true(key_group_of(k0, 128) <= 42);
  f->now = 1004;
  assert_int_equal(set_key(f, c, k0), 0);
  assert_int_equal(get_long(sc[0]), k0 * 10);
  f->now = 1005;
  spate_row r;
  assert_int_equal(ks_value_get(sc[0], &r), 0);
  int64_t k3 = 3;
  while (key_group_of(k3, 128) > 42) k3 += 4; /* a key with three map entries */
  assert_int_equal(set_key(f, c, k3), 0);
  assert_int_equal(ks_map_iter_begin(sc[2], &(ks_map_iter){0}), 0);
  assert_int_equal(ks_list_get(sc[1], &(ks_list_iter){0}), 3); /* no TTL */
  /* An empty group is the four bytes of its state count; other ranges are refused. */
  assert_int_equal(ks_clear_key_group(c, 0), 0);
  sp_writer w = encode_group(c, 0);
  assert_int_equal(w.len, 4 + 4 + 4);
  assert_int_equal(decode_group(a, 1, &w), 0);
  assert_int_equal(ks_key_group_entries(a, 1), 0);
  assert_int_equal(ks_write_key_group(c, 50, &w), SPATE_EINVAL);
  sp_reader rd;
  sp_reader_init(&rd, w.data, w.len);
  assert_int_equal(ks_read_key_group(c, 50, &rd), SPATE_EINVAL);
  sp_writer_free(&w);
  ks_backend_free(a);
  ks_backend_free(c);
}

static void checkpoint_lazily_registered_states(void **state) {
  fx *f = *state;
  enum { NKEYS = 400 };
  int calls = 0;
  int64_t keys[NKEYS];
  int nk = keys_in(keys, NKEYS, 0, 63);
  ks_backend *a = new_backend(f, 128, 2, 0);
  ks_state *sa[5];
  register_all(f, a, sa, &calls);
  f->now = 5;
  fill(f, a, sa, keys, nk);
  sp_writer sec[64];
  for (int g = 0; g < 64; g++) sec[g] = encode_group(a, g);

  /* c registers only the list before the restore: it works at once, the rest waits. */
  ks_backend *c = new_backend(f, 128, 1, 0);
  ks_state *sc[5] = {0};
  sc[1] = reg(c, descriptor(f, 1, &calls));
  for (int g = 0; g < 64; g++) assert_int_equal(decode_group(c, g, &sec[g]), 0);
  for (int i = 0; i < nk; i++) {
    assert_int_equal(set_key(f, c, keys[i]), 0);
    assert_int_equal(ks_list_get(sc[1], &(ks_list_iter){0}), (int)(keys[i] % 4));
  }
  /* A checkpoint of c carries the states nobody registered: d gets all of them. */
  ks_backend *d = new_backend(f, 128, 2, 0);
  ks_state *sd[5];
  register_all(f, d, sd, &calls);
  for (int g = 0; g < 64; g++) {
    sp_writer w = encode_group(c, g);
    assert_int_equal(w.len, sec[g].len);
    assert_int_equal(decode_group(d, g, &w), 0);
    sp_writer_free(&w);
  }
  for (int i = 0; i < nk; i++)
    assert_int_equal(read_all(f, d, sd, keys[i]), read_all(f, a, sa, keys[i]));

  /* Registered with another kind or other schemas than restored: refused, nothing registered. */
  ks_state *s = NULL;
  ks_descriptor bad = descriptor(f, 0, &calls);
  bad.kind = KS_LIST;
  assert_int_equal(ks_register(c, &bad, &s), SPATE_ESTATE);
  assert_non_null(strstr(ks_error(c), "VALUE"));
  assert_int_equal(ks_lookup(c, "value", &s), SPATE_ESTATE);
  bad = descriptor(f, 2, &calls);
  bad.user_key_schema = f->str_s; /* the user keys were BIGINT rows */
  assert_int_equal(ks_register(c, &bad, &s), SPATE_ECORRUPT);
  assert_int_equal(ks_lookup(c, "map", &s), SPATE_ESTATE);
  /* Allocation failures while registering leave the state unregistered and still pending. */
  int failures = 0;
  for (int n = 1;; n++) {
    ks_descriptor dd = descriptor(f, 3, &calls);
    sp_alloc_fail_after(n, 0);
    int rc = ks_register(c, &dd, &s);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) break;
    assert_int_equal(rc, SPATE_ENOMEM);
    assert_int_equal(ks_lookup(c, "reduce", &s), SPATE_ESTATE);
    failures++;
  }
  assert_true(failures > 5);
  sc[3] = s;
  sc[0] = reg(c, descriptor(f, 0, &calls));
  sc[2] = reg(c, descriptor(f, 2, &calls));
  sc[4] = reg(c, descriptor(f, 4, &calls));
  for (int i = 0; i < nk; i++)
    assert_int_equal(read_all(f, c, sc, keys[i]), read_all(f, a, sa, keys[i]));
  /* Nothing is pending any more: a checkpoint holds each record once. */
  for (int g = 0; g < 64; g++) {
    sp_writer w = encode_group(c, g);
    assert_int_equal(w.len, sec[g].len);
    sp_writer_free(&w);
  }
  /* Clearing a key group drops its pending records too. */
  ks_backend *e = new_backend(f, 128, 1, 0);
  assert_int_equal(decode_group(e, 5, &sec[5]), 0);
  sp_writer w = encode_group(e, 5);
  assert_int_equal(w.len, sec[5].len);
  sp_writer_free(&w);
  assert_int_equal(ks_clear_key_group(e, 5), 0);
  w = encode_group(e, 5);
  assert_int_equal(w.len, 12);
  sp_writer_free(&w);
  /* A second read of a group replaces its pending records. */
  assert_int_equal(decode_group(e, 6, &sec[6]), 0);
  assert_int_equal(decode_group(e, 6, &sec[6]), 0);
  w = encode_group(e, 6);
  assert_int_equal(w.len, sec[6].len);
  sp_writer_free(&w);
  for (int g = 0; g < 64; g++) sp_writer_free(&sec[g]);
  ks_backend_free(a);
  ks_backend_free(c);
  ks_backend_free(d);
  ks_backend_free(e); /* frees what is still pending */
}

/* Reads every field of every record (a corrupt row would be caught by ASan here). */
static int touch_record(void *arg, const ks_record *rec) {
  int64_t *sum = arg;
  for (uint32_t i = 0; i < rec->value.nfields; i++)
    if (!spate_row_is_null(&rec->value, (int)i)) *sum += spate_row_bigint(&rec->value, (int)i);
  return 0;
}

static void checkpoint_corrupt_input(void **state) {
  fx *f = *state;
  int calls = 0;
  int64_t keys[3];
  int g = key_group_of(3, 128), nk = 0;
  for (int64_t k = 3; nk < 3; k++)
    if (key_group_of(k, 128) == g) keys[nk++] = k;
  ks_backend *a = new_backend(f, 128, 1, 0);
  ks_state *sa[5];
  register_all(f, a, sa, &calls);
  f->now = 5;
  fill(f, a, sa, keys, nk);
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(ks_write_key_group(a, g, &w), 0);
  /* b has every state and a value of its own in the group; e has no state registered. */
  ks_backend *b = new_backend(f, 128, 1, 0), *e = new_backend(f, 128, 1, 0);
  ks_state *sb[5];
  register_all(f, b, sb, &calls);
  assert_int_equal(set_key(f, b, keys[0]), 0);
  set_ns(b, "mine");
  spate_row mine = long_row(f->lb, 4242);
  assert_int_equal(ks_value_update(sb[0], &mine), 0);
  /* Every truncation is refused with a message naming the key group and an offset, and
   * changes nothing. */
  for (size_t len = 0; len < w.len; len++) {
    for (int which = 0; which < 2; which++) {
      ks_backend *x = which ? e : b;
      sp_reader r;
      sp_reader_init(&r, w.data, len);
      assert_int_equal(ks_read_key_group(x, g, &r), SPATE_ECORRUPT);
      assert_false(sp_reader_ok(&r));
      assert_non_null(strstr(ks_error(x), "key group"));
      assert_non_null(strstr(ks_error(x), "offset"));
    }
    assert_int_equal(ks_key_group_entries(b, g), 1);
    assert_int_equal(set_key(f, b, keys[0]), 0);
    set_ns(b, "mine");
    assert_int_equal(get_long(sb[0]), 4242);
    sp_writer x = encode_group(e, g);
    assert_int_equal(x.len, 12); /* nothing set aside either */
    sp_writer_free(&x);
  }
  /* Counts no input could hold fail at once. */
  uint8_t huge[16] = {0xff, 0xff, 0xff, 0xff};
  sp_reader r;
  sp_reader_init(&r, huge, sizeof huge);
  assert_int_equal(ks_read_key_group(b, g, &r), SPATE_ECORRUPT);
  /* Every byte changed: refused, or read into a backend that can be read, checkpointed and
   * (with states registered afterwards) registered without harm. */
  uint8_t *copy = malloc(w.len);
  int accepted = 0;
  for (size_t i = 0; i < w.len; i++) {
    for (int flip = 0; flip < 2; flip++) {
      memcpy(copy, w.data, w.len);
      copy[i] = flip ? (uint8_t)(copy[i] + 1) : (uint8_t)~copy[i];
      sp_reader_init(&r, copy, w.len);
      int rc = ks_read_key_group(b, g, &r);
      assert_true(rc == 0 || rc == SPATE_ECORRUPT || rc == SPATE_ESTATE);
      int64_t sum = 0;
      if (rc == 0) {
        accepted++;
        assert_int_equal(ks_snapshot_key_group(b, g, touch_record, &sum), 0);
      }
      ks_backend *x = new_backend(f, 128, 1, 0);
      sp_reader_init(&r, copy, w.len);
      rc = ks_read_key_group(x, g, &r);
      assert_true(rc == 0 || rc == SPATE_ECORRUPT);
      if (rc == 0) {
        sp_writer again;
        sp_writer_init(&again);
        assert_int_equal(ks_write_key_group(x, g, &again), 0);
        sp_writer_free(&again);
        for (int k = 0; k < 5; k++) {
          ks_state *s;
          ks_descriptor d = descriptor(f, k, &calls);
          rc = ks_register(x, &d, &s);
          assert_true(rc == 0 || rc == SPATE_ECORRUPT || rc == SPATE_ESTATE);
        }
        assert_int_equal(ks_snapshot_key_group(x, g, touch_record, &sum), 0);
      }
      ks_backend_free(x);
    }
  }
  assert_true(accepted > 0); /* changed values and TTL timestamps are still well-formed */
  free(copy);
  /* Allocation failures while reading change nothing (never a half restored group):
   * the group encodes exactly as before the read. */
  sp_writer was = encode_group(b, g);
  int failures = 0;
  for (int n = 1;; n++) {
    sp_reader_init(&r, w.data, w.len);
    sp_alloc_fail_after(n, 0);
    int rc = ks_read_key_group(b, g, &r);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) break;
    assert_int_equal(rc, SPATE_ENOMEM);
    sp_writer now = encode_group(b, g);
    assert_int_equal(now.len, was.len);
    assert_memory_equal(now.data, was.data, was.len);
    sp_writer_free(&now);
    failures++;
  }
  sp_writer_free(&was);
  assert_true(failures > 5);
  for (int i = 0; i < nk; i++)
    assert_int_equal(read_all(f, b, sb, keys[i]), read_all(f, a, sa, keys[i]));
  sp_writer_free(&w);
  ks_backend_free(a);
  ks_backend_free(b);
  ks_backend_free(e);
}

/* ---------------------------------------------------------------------------------------------
 * Allocation failures. */

static void allocation_failures_leave_state_intact(void **state) {
  fx *f = *state;
  ks_backend *b = new_backend(f, 128, 1, 0);
  ks_state *v = reg(b, (ks_descriptor){.name = "v", .kind = KS_VALUE, .value_schema = f->str_s});
  ks_state *l = reg(b, (ks_descriptor){.name = "l", .kind = KS_LIST, .value_schema = f->long_s});
  ks_state *m = reg(
      b, (ks_descriptor){
             .name = "m", .kind = KS_MAP, .value_schema = f->long_s, .user_key_schema = f->long_s});
  spate_row r;
  int failures;

  /* A value growing beyond its allocation: the old value survives each failure. (Longer than
   * the backend's slab sizes, KS_SLAB_MAX, so that growing it must allocate.) */
  assert_int_equal(set_key(f, b, 1), 0);
  spate_row small = str_row(f->sb, "small");
  assert_int_equal(ks_value_update(v, &small), 0);
  char big_text[601];
  memset(big_text, 'x', sizeof big_text - 1);
  big_text[sizeof big_text - 1] = 0;
  memcpy(big_text, "a value that no longer fits", strlen("a value that no longer fits"));
  spate_row big = str_row(f->sb2, big_text);
  failures = 0;
  for (int n = 1;; n++) {
    sp_alloc_fail_after(n, 0);
    int rc = ks_value_update(v, &big);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) break;
    assert_int_equal(rc, SPATE_ENOMEM);
    failures++;
    assert_int_equal(ks_value_get(v, &r), 1);
    assert_memory_equal(spate_row_string(&r, 0).ptr, "small", 5);
  }
  assert_true(failures >= 1);
  assert_int_equal(ks_value_get(v, &r), 1);
  assert_int_equal(spate_row_string(&r, 0).len, strlen(big_text));

  /* New keys into a fresh map (table, map entry, nested table, nested entry). */
  for (int64_t k = 100; k < 140; k++) {
    assert_int_equal(set_key(f, b, k), 0);
    int g = key_group_of(k, 128);
    size_t before = ks_key_group_entries(b, g);
    spate_row uk = long_row(f->lb, k), val = long_row(f->lb2, -k);
    for (int n = 1;; n++) {
      sp_alloc_fail_after(n, 0);
      int rc = ks_map_put(m, &uk, &val);
      sp_alloc_fail_after(0, 0);
      if (rc == 0) break;
      assert_int_equal(rc, SPATE_ENOMEM);
      assert_int_equal(ks_key_group_entries(b, g), before); /* no empty map left behind */
      assert_int_equal(ks_map_is_empty(m), 1);
    }
    assert_int_equal(ks_map_get(m, &uk, &r), 1);
    assert_int_equal(spate_row_bigint(&r, 0), -k);
    assert_int_equal(ks_key_group_entries(b, g), before + 1);
  }

  /* List growth with elements viewing the list itself. */
  assert_int_equal(set_key(f, b, 2), 0);
  for (int i = 0; i < 8; i++) {
    spate_row in = long_row(f->lb, i);
    assert_int_equal(ks_list_add(l, &in), 0);
  }
  for (int round = 0; round < 3; round++) {
    ks_list_iter it;
    int cnt = ks_list_get(l, &it);
    spate_row views[64];
    int n = 0;
    while (ks_list_next(&it, &r)) views[n++] = r;
    assert_int_equal(n, cnt);
    failures = 0;
    for (int k = 1;; k++) {
      sp_alloc_fail_after(k, 0);
      int rc = ks_list_add_all(l, views, (size_t)n);
      sp_alloc_fail_after(0, 0);
      if (rc == 0) break;
      assert_int_equal(rc, SPATE_ENOMEM);
      failures++;
      /* Unchanged after the failure; views must be refreshed since get moves nothing. */
      assert_int_equal(ks_list_get(l, &it), cnt);
      for (int i = 0; ks_list_next(&it, &r); i++) assert_int_equal(spate_row_bigint(&r, 0), i % 8);
      n = 0;
      assert_int_equal(ks_list_get(l, &it), cnt);
      while (ks_list_next(&it, &r)) views[n++] = r;
    }
    assert_int_equal(failures, 1);
    assert_int_equal(ks_list_get(l, &it), 2 * cnt);
    for (int i = 0; ks_list_next(&it, &r); i++) assert_int_equal(spate_row_bigint(&r, 0), i % 8);
  }

  /* A longer current key than ever before needs memory; a failure leaves no current key. */
  char longkey[300];
  memset(longkey, 'k', sizeof longkey);
  sp_alloc_fail_after(1, 0);
  assert_int_equal(ks_set_current_key(b, longkey, sizeof longkey, 3), SPATE_ENOMEM);
  sp_alloc_fail_after(0, 0);
  assert_int_equal(ks_value_get(v, &r), SPATE_ESTATE);
  assert_int_equal(ks_set_current_key(b, longkey, sizeof longkey, 3), 0);
  assert_int_equal(ks_value_update(v, &small), 0);
  assert_int_equal(ks_value_get(v, &r), 1);

  /* Registration failing at every step leaves nothing registered. */
  for (int n = 1;; n++) {
    ks_state *s = NULL;
    ks_descriptor d = {.name = "agg",
                       .kind = KS_AGGREGATING,
                       .value_schema = f->long_s,
                       .acc_schema = f->acc_s,
                       .result_schema = f->avg_s,
                       .agg_add = avg_add,
                       .agg_result = avg_result};
    sp_alloc_fail_after(n, 0);
    int rc = ks_register(b, &d, &s);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) break;
    assert_int_equal(rc, SPATE_ENOMEM);
    assert_int_equal(ks_lookup(b, "agg", &s), SPATE_ESTATE);
  }
  ks_backend_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(key_group_ranges_match_flink, setup, teardown),
      cmocka_unit_test_setup_teardown(value_state_basics, setup, teardown),
      cmocka_unit_test_setup_teardown(registration_and_kind_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(many_keys_across_key_groups, setup, teardown),
      cmocka_unit_test_setup_teardown(prefetch_hints_change_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(list_state, setup, teardown),
      cmocka_unit_test_setup_teardown(map_state, setup, teardown),
      cmocka_unit_test_setup_teardown(reducing_state, setup, teardown),
      cmocka_unit_test_setup_teardown(aggregating_state, setup, teardown),
      cmocka_unit_test_setup_teardown(ttl_value_on_create_and_write, setup, teardown),
      cmocka_unit_test_setup_teardown(ttl_value_on_read_and_write, setup, teardown),
      cmocka_unit_test_setup_teardown(value_written_in_place, setup, teardown),
      cmocka_unit_test_setup_teardown(ttl_return_expired_if_not_cleaned_up, setup, teardown),
      cmocka_unit_test_setup_teardown(ttl_reducing_and_aggregating_restart, setup, teardown),
      cmocka_unit_test_setup_teardown(ttl_list_per_element, setup, teardown),
      cmocka_unit_test_setup_teardown(ttl_map_per_entry, setup, teardown),
      cmocka_unit_test_setup_teardown(ttl_full_cleanup_and_snapshot_filter, setup, teardown),
      cmocka_unit_test_setup_teardown(snapshot_and_restore_with_other_range, setup, teardown),
      cmocka_unit_test_setup_teardown(checkpoint_round_trip_other_range, setup, teardown),
      cmocka_unit_test_setup_teardown(checkpoint_lazily_registered_states, setup, teardown),
      cmocka_unit_test_setup_teardown(checkpoint_corrupt_input, setup, teardown),
      cmocka_unit_test_setup_teardown(allocation_failures_leave_state_intact, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

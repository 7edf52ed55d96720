/*
 * test_keyed_state_arena.c: the restore arena of the heap keyed-state backend (state/ks_arena.c).
 *
 * A key group of more than 1 MB restored with ks_read_key_group takes its entries from the
 * backend's arena (ks_backend_arena_bytes grows), a small one does not. Then the same
 * operations run on the restored backend and on the one the group came from: values replaced
 * by longer ones (an arena entry moves to malloc), by ones of the same length (written in
 * place), cleared (an arena entry freed), lists appended to, map entries removed and put, a
 * copy-on-write snapshot taken half way (arena entries copied and retired, the snapshot freed),
 * the group cleared and read again, the backend freed with arena entries still live. After each
 * step both backends must hold the same state, read back key by key, and the snapshots the same
 * records; the allocator's accounting checks that nothing malloc'ed leaked.
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

#define MAXP 128
#define NKEYS 1200 /* of about 1 KB each: a group of more than 1 MB */

typedef struct fx {
  int64_t base_alloc;
  spate_schema *key_s, *str_s;
  spate_row_builder *kb, *ub, *sb;
  int64_t keys[NKEYS];
  int group;
} fx;

static int64_t zero_clock(void *arg) {
  (void)arg;
  return 0;
}

static spate_schema *parse(const char *spec) {
  spate_schema *s = NULL;
  char err[256] = "";
  if (spate_schema_parse(spec, &s, err, sizeof err) != 0) fail_msg("%s", err);
  return s;
}

static int key_group_of(int64_t k) { return sp_key_group(sp_java_long_hash(k), MAXP); }

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->base_alloc = sp_alloc_current();
  f->key_s = parse("k BIGINT NOT NULL");
  f->str_s = parse("s STRING");
  f->kb = spate_rb_new(f->key_s);
  f->ub = spate_rb_new(f->key_s);
  f->sb = spate_rb_new(f->str_s);
  f->group = key_group_of(0);
  for (int64_t k = 0, n = 0; n < NKEYS; k++)
    if (key_group_of(k) == f->group) f->keys[n++] = k;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  spate_rb_free(f->kb);
  spate_rb_free(f->ub);
  spate_rb_free(f->sb);
  spate_schema_free(f->key_s);
  spate_schema_free(f->str_s);
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

/* A string of len bytes (up to 2000) that depends on seed throughout. */
static spate_row str_row(fx *f, int len, uint64_t seed) {
  char buf[2000];
  for (int i = 0; i < len; i++) buf[i] = (char)('a' + (seed * 31 + (uint64_t)i * 7) % 26);
  spate_row r;
  spate_rb_begin(f->sb);
  spate_rb_set_string(f->sb, 0, buf, (size_t)len);
  assert_int_equal(spate_rb_finish(f->sb, &r), 0);
  return r;
}

typedef struct world {
  ks_backend *b;
  ks_state *value, *list, *map;
} world;

static void world_init(fx *f, world *w) {
  assert_int_equal(ks_backend_new(MAXP, (ks_key_group_range){0, MAXP - 1}, zero_clock, NULL, &w->b),
                   0);
  ks_descriptor v = {.name = "value", .kind = KS_VALUE, .value_schema = f->str_s};
  ks_descriptor l = {.name = "list", .kind = KS_LIST, .value_schema = f->str_s};
  ks_descriptor m = {
      .name = "map", .kind = KS_MAP, .value_schema = f->str_s, .user_key_schema = f->key_s};
  assert_int_equal(ks_register(w->b, &v, &w->value), 0);
  assert_int_equal(ks_register(w->b, &l, &w->list), 0);
  assert_int_equal(ks_register(w->b, &m, &w->map), 0);
}

static void set_key(fx *f, world *w, int64_t k) {
  spate_row r = long_row(f->kb, k);
  assert_int_equal(ks_set_current_key(w->b, r.data, r.len, key_group_of(k)), 0);
}

/* The state of key k in w, as text: value, list elements, map entries 0..3. */
static void dump_key(fx *f, world *w, int64_t k, sp_writer *out) {
  set_key(f, w, k);
  spate_row r;
  int rc = ks_value_get(w->value, &r);
  assert_true(rc >= 0);
  sp_put_u8(out, (uint8_t)rc);
  if (rc == 1) sp_put_blob(out, r.data, r.len);
  ks_list_iter it;
  rc = ks_list_get(w->list, &it);
  assert_true(rc >= 0);
  while (rc > 0 && ks_list_next(&it, &r)) sp_put_blob(out, r.data, r.len);
  for (int64_t u = 0; u < 4; u++) {
    spate_row uk = long_row(f->ub, u);
    rc = ks_map_get(w->map, &uk, &r);
    assert_true(rc >= 0);
    sp_put_u8(out, (uint8_t)rc);
    if (rc == 1) sp_put_blob(out, r.data, r.len);
  }
}

static void assert_same_state(fx *f, world *a, world *b) {
  for (int i = 0; i < NKEYS; i++) {
    sp_writer x, y;
    sp_writer_init(&x);
    sp_writer_init(&y);
    dump_key(f, a, f->keys[i], &x);
    dump_key(f, b, f->keys[i], &y);
    if (x.len != y.len || memcmp(x.data, y.data, x.len) != 0)
      fail_msg("key %lld differs between the backends", (long long)f->keys[i]);
    sp_writer_free(&x);
    sp_writer_free(&y);
  }
  assert_int_equal(ks_key_group_entries(a->b, f->group), ks_key_group_entries(b->b, f->group));
}

static void fill(fx *f, world *w) {
  for (int i = 0; i < NKEYS; i++) {
    set_key(f, w, f->keys[i]);
    spate_row v = str_row(f, 1000, (uint64_t)i);
    assert_int_equal(ks_value_update(w->value, &v), 0);
    v = str_row(f, 40, (uint64_t)i + 7);
    assert_int_equal(ks_list_add(w->list, &v), 0);
    for (int64_t u = 0; u < 2; u++) {
      spate_row uk = long_row(f->ub, u);
      v = str_row(f, 30, (uint64_t)(i * 3 + u));
      assert_int_equal(ks_map_put(w->map, &uk, &v), 0);
    }
  }
}

/* Operation `round` on every key (the same on any backend). */
static void mutate(fx *f, world *w, int round) {
  for (int i = 0; i < NKEYS; i++) {
    set_key(f, w, f->keys[i]);
    spate_row v;
    switch ((i + round) % 5) {
    case 0: /* longer: the entry grows */
      v = str_row(f, 1500, (uint64_t)(i + 100 * round));
      assert_int_equal(ks_value_update(w->value, &v), 0);
      break;
    case 1: /* as long: in place */
      v = str_row(f, 1000, (uint64_t)(i + 1000 * round));
      assert_int_equal(ks_value_update(w->value, &v), 0);
      break;
    case 2: assert_int_equal(ks_value_update(w->value, NULL), 0); break;
    case 3:
      v = str_row(f, 60, (uint64_t)(i + round));
      assert_int_equal(ks_list_add(w->list, &v), 0);
      break;
    default: {
      spate_row uk = long_row(f->ub, round % 2);
      assert_true(ks_map_remove(w->map, &uk) >= 0);
      uk = long_row(f->ub, 2 + round % 2);
      v = str_row(f, 30, (uint64_t)(i + round * 5));
      assert_int_equal(ks_map_put(w->map, &uk, &v), 0);
    }
    }
  }
}

static sp_writer encode(ks_backend *b, int g) {
  sp_writer w;
  sp_writer_init(&w);
  if (ks_write_key_group(b, g, &w) != 0) fail_msg("write key group %d: %s", g, ks_error(b));
  return w;
}

static void read_group(world *w, int g, const sp_writer *enc) {
  sp_reader r;
  sp_reader_init(&r, enc->data, enc->len);
  if (ks_read_key_group(w->b, g, &r) != 0) fail_msg("read key group %d: %s", g, ks_error(w->b));
  assert_int_equal(r.pos, r.len);
}

/* The records of a snapshot's group, in an order that does not depend on the table: the
 * snapshot is read back into a fresh backend and dumped key by key. */
static void assert_same_snapshots(fx *f, ks_snapshot *sa, ks_snapshot *sb) {
  world ra, rb;
  world_init(f, &ra);
  world_init(f, &rb);
  sp_writer x, y;
  sp_writer_init(&x);
  sp_writer_init(&y);
  assert_int_equal(ks_snapshot_write_key_group(sa, f->group, &x), 0);
  assert_int_equal(ks_snapshot_write_key_group(sb, f->group, &y), 0);
  read_group(&ra, f->group, &x);
  read_group(&rb, f->group, &y);
  assert_same_state(f, &ra, &rb);
  sp_writer_free(&x);
  sp_writer_free(&y);
  ks_backend_free(ra.b);
  ks_backend_free(rb.b);
}

static void restored_state_lives_in_the_arena(void **state) {
  fx *f = *state;
  world a, b;
  world_init(f, &a);
  world_init(f, &b);
  fill(f, &a);
  sp_writer enc = encode(a.b, f->group);
  assert_true(enc.len >= ((size_t)1 << 20));
  /* a small group restores through malloc */
  int64_t other = 0;
  while (key_group_of(other) == f->group) other++;
  set_key(f, &a, other);
  spate_row v = str_row(f, 100, 1);
  assert_int_equal(ks_value_update(a.value, &v), 0);
  sp_writer small = encode(a.b, key_group_of(other));
  read_group(&b, key_group_of(other), &small);
  assert_int_equal(ks_backend_arena_bytes(b.b), 0);
  sp_writer_free(&small);

  read_group(&b, f->group, &enc);
  size_t arena = ks_backend_arena_bytes(b.b);
  assert_true(arena >= enc.len);
  assert_same_state(f, &a, &b);

  mutate(f, &a, 0);
  mutate(f, &b, 0);
  assert_same_state(f, &a, &b);
  ks_snapshot *sa, *sb;
  assert_int_equal(ks_snapshot_begin(a.b, &sa), 0);
  assert_int_equal(ks_snapshot_begin(b.b, &sb), 0);
  mutate(f, &a, 1); /* copies on write: restored entries are retired to the snapshot */
  mutate(f, &b, 1);
  assert_same_state(f, &a, &b);
  assert_same_snapshots(f, sa, sb);
  ks_snapshot_release(sa);
  ks_snapshot_release(sb);
  mutate(f, &a, 2);
  mutate(f, &b, 2);
  assert_same_state(f, &a, &b);

  /* cleared and read again: the arena serves the second restore too */
  assert_int_equal(ks_clear_key_group(b.b, f->group), 0);
  assert_int_equal(ks_key_group_entries(b.b, f->group), 0);
  sp_writer again = encode(a.b, f->group);
  read_group(&b, f->group, &again);
  assert_true(ks_backend_arena_bytes(b.b) > arena);
  assert_same_state(f, &a, &b);
  /* a snapshot outliving nothing: freed with its backend while restored entries are live */
  assert_int_equal(ks_snapshot_begin(b.b, &sb), 0);
  mutate(f, &b, 3);
  ks_backend_free(b.b);
  ks_backend_free(a.b);
  sp_writer_free(&enc);
  sp_writer_free(&again);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(restored_state_lives_in_the_arena, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

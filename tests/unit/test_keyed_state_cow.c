/*
 * test_keyed_state_cow.c: copy-on-write snapshots of the heap keyed-state backend
 * (ks_snapshot_begin / ks_snapshot_write_key_group / ks_snapshot_release in
 * state/keyed_state.h).
 *
 * Each test runs two backends in lockstep with the same states and the same random operations:
 * `cow`, which is snapshotted, and `plain`, which never is. At ks_snapshot_begin the reference
 * is ks_write_key_group of every key group of `cow`; then many random operations run on both
 * (updates that grow and shrink values, values changed in place (ks_value_get_writable), list
 * appends, replacements and appends of views into the list itself, map puts and removes,
 * reducing and aggregating adds, clears, new keys that grow the tables, reads that touch TTL
 * timestamps or clean up expired values as the controllable clock advances, full TTL cleanup,
 * clearing and re-reading whole key groups, a state registered lazily while its restored
 * records were pending, pending runs dropped).
 * Afterwards the snapshot must encode every group byte for byte as the reference, and every
 * operation must have returned the same on both backends, whose live encodings must be equal
 * too (copying on write changes nothing visible). Then: a writer thread encoding the snapshot
 * over and over while the owner mutates, a second begin refused, a backend freed with its
 * snapshot still active, and allocation failures during copy-on-write leaving the state and the
 * snapshot intact. The allocator's accounting checks for leaks after every test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "base/hash.h"
#include "state/keyed_state.h"
#include "state/ks_internal.h" /* cow_version_wraps sets the backend's version */
#include "types/row.h"

#define MAXP 64 /* max parallelism: every test backend owns all 64 key groups */

/* ---------------------------------------------------------------------------------------------
 * Fixture: schemas, builders, a controllable clock shared by both backends. */

typedef struct fx {
  int64_t base_alloc;
  int64_t now;
  spate_schema *key_s, *long_s, *str_s, *acc_s, *avg_s;
  spate_row_builder *kb, *lb, *ub, *sb, *sb2;
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
  f->now = 1000;
  f->key_s = parse("k BIGINT NOT NULL");
  f->long_s = parse("v BIGINT");
  f->str_s = parse("s STRING");
  f->acc_s = parse("sum BIGINT NOT NULL, cnt BIGINT NOT NULL");
  f->avg_s = parse("avg DOUBLE");
  f->kb = spate_rb_new(f->key_s);
  f->lb = spate_rb_new(f->long_s);
  f->ub = spate_rb_new(f->key_s);
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
  spate_rb_free(f->ub);
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

/* A string of len bytes: c repeated, then the seed's digits (so values differ by more than
 * their length). */
static spate_row str_row(spate_row_builder *b, int len, char c, uint64_t seed) {
  char buf[2048];
  for (int i = 0; i < len; i++) buf[i] = c;
  char tail[24];
  int n = snprintf(tail, sizeof tail, "%llu", (unsigned long long)seed);
  for (int i = 0; i < n && i < len; i++) buf[len - 1 - i] = tail[i];
  spate_row r;
  spate_rb_begin(b);
  spate_rb_set_string(b, 0, buf, (size_t)len);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  return r;
}

/* REDUCING over strings: the concatenation, cut at 120 bytes (so the value grows, then stays). */
static int concat_reduce(void *arg, const spate_row *acc, const spate_row *in,
                         spate_row_builder *out) {
  char buf[256];
  spate_bytes a = spate_row_string(acc, 0), b = spate_row_string(in, 0);
  uint32_t n = 0;
  for (uint32_t i = 0; i < a.len && n < 120; i++) buf[n++] = a.ptr[i];
  for (uint32_t i = 0; i < b.len && n < 120; i++) buf[n++] = b.ptr[i];
  spate_rb_set_string(out, 0, buf, n);
  return 0;
}

static int avg_create(void *arg, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, 0);
  spate_rb_set_bigint(out, 1, 0);
  return 0;
}
static int avg_add(void *arg, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_bigint(out, 0, spate_row_bigint(acc, 0) + spate_row_bigint(in, 0));
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + 1);
  return 0;
}
static int avg_result(void *arg, const spate_row *acc, spate_row_builder *out) {
  spate_rb_set_double(out, 0, (double)spate_row_bigint(acc, 0) / (double)spate_row_bigint(acc, 1));
  return 0;
}

static uint64_t rnd(uint64_t *s) { /* xorshift64* */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1DULL;
}

/* ---------------------------------------------------------------------------------------------
 * A world: one backend and its states, one per kind in use. */

enum { NKINDS = 6 }; /* indexed by ks_kind */
#define KIND_BIT(k) (1u << (k))
#define ALL_KINDS                                                                      \
  (KIND_BIT(KS_VALUE) | KIND_BIT(KS_LIST) | KIND_BIT(KS_MAP) | KIND_BIT(KS_REDUCING) | \
   KIND_BIT(KS_AGGREGATING))

typedef struct cfg {
  unsigned kinds;
  ks_ttl_config ttl;
  bool lazy;  /* records of a state pending at begin, the state registered during the snapshot */
  int keys;   /* keys written before the first snapshot (the ops use twice as many) */
  int ops;    /* random operations per snapshot */
  int rounds; /* snapshots one after the other */
  uint64_t seed;
  uint32_t start_version; /* when not 0: the snapshotted backend's version after populating */
} cfg;

typedef struct world {
  ks_backend *b;
  ks_state *st[NKINDS];
} world;

static ks_descriptor descriptor(fx *f, ks_kind kind, ks_ttl_config ttl) {
  static const char *names[NKINDS] = {"", "value", "list", "map", "reducing", "aggregating"};
  ks_descriptor d = {.name = names[kind], .kind = kind, .value_schema = f->str_s, .ttl = ttl};
  if (kind == KS_MAP) d.user_key_schema = f->key_s;
  if (kind == KS_REDUCING) d.reduce = concat_reduce;
  if (kind == KS_AGGREGATING) {
    d.value_schema = f->long_s;
    d.acc_schema = f->acc_s;
    d.result_schema = f->avg_s;
    d.agg_create = avg_create;
    d.agg_add = avg_add;
    d.agg_result = avg_result;
  }
  return d;
}

static void world_init(fx *f, world *w, const cfg *c) {
  memset(w, 0, sizeof *w);
  ks_key_group_range all = {0, MAXP - 1};
  assert_int_equal(ks_backend_new(MAXP, all, test_clock, f, &w->b), 0);
  for (int k = KS_VALUE; k <= KS_AGGREGATING; k++) {
    if (!(c->kinds & KIND_BIT(k))) continue;
    ks_descriptor d = descriptor(f, (ks_kind)k, c->ttl);
    if (ks_register(w->b, &d, &w->st[k]) != 0) fail_msg("register: %s", ks_error(w->b));
  }
}

static int key_group_of(int64_t k) { return sp_key_group(sp_java_long_hash(k), MAXP); }

static int set_key(fx *f, ks_backend *b, int64_t k, int ns) {
  static const char *nss[3] = {"", "w1", "a-longer-window-namespace"};
  spate_row r = long_row(f->kb, k);
  int rc = ks_set_current_key(b, r.data, r.len, key_group_of(k));
  if (rc == 0 && ns) rc = ks_set_namespace(b, nss[ns], (uint32_t)strlen(nss[ns]));
  return rc;
}

/* Encodes every key group of b with ks_write_key_group into out; end[g] is where group g ends. */
static void encode_live(ks_backend *b, sp_writer *out, size_t *end) {
  sp_writer_init(out);
  for (int g = 0; g < MAXP; g++) {
    if (ks_write_key_group(b, g, out) != 0) fail_msg("write group %d: %s", g, ks_error(b));
    end[g] = out->len;
  }
}

/* ---------------------------------------------------------------------------------------------
 * Operations. Each is generated once and applied to both worlds; everything it returns (codes,
 * rows) is appended to a log, and the two logs must be equal. */

typedef enum op_what {
  OP_GET,
  OP_WRITE,
  OP_CLEAR,
  OP_VALUE_NULL,
  OP_VALUE_IN_PLACE, /* ks_value_get_writable and a change of the bytes, as keyed aggregations */
  OP_LIST_ADD_ALL,
  OP_LIST_SELF, /* add_all / update with views into the list itself */
  OP_LIST_UPDATE,
  OP_MAP_CONTAINS,
  OP_MAP_REMOVE,
  OP_MAP_EMPTY,
  OP_MAP_ITER,
  OP_CLEANUP,       /* ks_ttl_cleanup_full */
  OP_CLEAR_GROUP,   /* ks_clear_key_group */
  OP_REREAD_GROUP,  /* ks_read_key_group of the group's own encoding */
  OP_REGISTER_LAZY, /* registers the state whose records are pending */
  OP_COUNT
} op_what;

typedef struct op {
  op_what what;
  ks_kind kind;
  int64_t key;
  int ns;
  int64_t uk;
  int len, len2, n;
  char ch;
  uint64_t seed;
  int kg;
} op;

static void log_rc(sp_writer *log, int rc) { sp_put_i32(log, rc); }
static void log_row(sp_writer *log, const spate_row *r) { sp_put_blob(log, r->data, r->len); }

static int value_len(uint64_t *s) {
  uint64_t x = rnd(s) % 100;
  return x < 3 ? 900 + (int)(rnd(s) % 100) : (int)(rnd(s) % 90); /* now and then a big one */
}

static op gen_op(uint64_t *s, const cfg *c, bool allow_global) {
  op o = {0};
  static const ks_kind kinds[] = {KS_VALUE, KS_LIST, KS_MAP, KS_REDUCING, KS_AGGREGATING};
  do o.kind = kinds[rnd(s) % 5];
  while (!(c->kinds & KIND_BIT(o.kind)));
  o.key = (int64_t)(rnd(s) % (uint64_t)(2 * c->keys));
  o.ns = (int)(rnd(s) % 3);
  o.uk = (int64_t)(rnd(s) % 12);
  o.len = value_len(s);
  o.len2 = value_len(s);
  o.n = (int)(rnd(s) % 4);
  o.ch = (char)('a' + rnd(s) % 26);
  o.seed = rnd(s);
  o.kg = (int)(rnd(s) % MAXP);
  uint64_t p = rnd(s) % 1000;
  if (allow_global && p < 3)
    o.what = OP_CLEANUP;
  else if (allow_global && p < 5)
    o.what = OP_CLEAR_GROUP;
  else if (allow_global && p < 8)
    o.what = OP_REREAD_GROUP;
  else if (p < 350)
    o.what = OP_GET;
  else if (p < 750)
    o.what = OP_WRITE;
  else if (p < 790)
    o.what = OP_CLEAR;
  else {
    switch (o.kind) {
    case KS_VALUE: o.what = p < 895 ? OP_VALUE_NULL : OP_VALUE_IN_PLACE; break;
    case KS_LIST:
      o.what = p < 860 ? OP_LIST_ADD_ALL : p < 930 ? OP_LIST_SELF : OP_LIST_UPDATE;
      break;
    case KS_MAP:
      o.what = p < 850   ? OP_MAP_CONTAINS
               : p < 930 ? OP_MAP_REMOVE
               : p < 960 ? OP_MAP_EMPTY
                         : OP_MAP_ITER;
      break;
    default: o.what = OP_GET; break;
    }
  }
  return o;
}

static int list_log(ks_state *s, sp_writer *log) {
  ks_list_iter it;
  int rc = ks_list_get(s, &it);
  log_rc(log, rc);
  spate_row r;
  while (rc > 0 && ks_list_next(&it, &r)) log_row(log, &r);
  return rc;
}

static int get_op(fx *f, world *w, const op *o, sp_writer *log) {
  ks_state *s = w->st[o->kind];
  spate_row r;
  int rc;
  switch (o->kind) {
  case KS_VALUE: rc = ks_value_get(s, &r); break;
  case KS_LIST: return list_log(s, log);
  case KS_MAP: {
    spate_row uk = long_row(f->ub, o->uk);
    rc = ks_map_get(s, &uk, &r);
    break;
  }
  case KS_REDUCING: rc = ks_reducing_get(s, &r); break;
  default: rc = ks_aggregating_get(s, &r); break;
  }
  log_rc(log, rc);
  if (rc == 1) log_row(log, &r);
  return rc;
}

static int write_op(fx *f, world *w, const op *o) {
  ks_state *s = w->st[o->kind];
  switch (o->kind) {
  case KS_VALUE: {
    spate_row v = str_row(f->sb, o->len, o->ch, o->seed);
    return ks_value_update(s, &v);
  }
  case KS_LIST: {
    spate_row v = str_row(f->sb, o->len, o->ch, o->seed);
    return ks_list_add(s, &v);
  }
  case KS_MAP: {
    spate_row uk = long_row(f->ub, o->uk);
    spate_row v = str_row(f->sb, o->len, o->ch, o->seed);
    return ks_map_put(s, &uk, &v);
  }
  case KS_REDUCING: {
    spate_row v = str_row(f->sb, o->len % 40, o->ch, o->seed);
    return ks_reducing_add_created(s, &v);
  }
  default: {
    spate_row v = long_row(f->lb, (int64_t)(o->seed % 1000));
    return ks_aggregating_add(s, &v);
  }
  }
}

/* Applies o to w, logging what it returns; returns the first negative code of a backend call
 * (so a failure can be told from success), else 0. */
static int apply(fx *f, world *w, const op *o, sp_writer *log) {
  ks_backend *b = w->b;
  int rc = 0;
  switch (o->what) {
  case OP_CLEANUP: {
    int64_t n = ks_ttl_cleanup_full(b);
    sp_put_i64(log, n);
    return 0;
  }
  case OP_CLEAR_GROUP:
    rc = ks_clear_key_group(b, o->kg);
    log_rc(log, rc);
    return rc < 0 ? rc : 0;
  case OP_REREAD_GROUP: {
    sp_writer enc;
    sp_writer_init(&enc);
    rc = ks_write_key_group(b, o->kg, &enc);
    log_rc(log, rc);
    sp_put_blob(log, enc.data, enc.len);
    if (rc == 0) {
      sp_reader r;
      sp_reader_init(&r, enc.data, enc.len);
      rc = ks_read_key_group(b, o->kg, &r);
      log_rc(log, rc);
      if (rc == 0 && r.pos != enc.len)
        fail_msg("group %d read %zu of %zu bytes", o->kg, r.pos, enc.len);
    }
    sp_writer_free(&enc);
    return rc < 0 ? rc : 0;
  }
  case OP_REGISTER_LAZY: {
    ks_state *s = NULL;
    ks_descriptor d = {.name = "lazy", .kind = KS_VALUE, .value_schema = f->long_s};
    rc = ks_register(b, &d, &s);
    log_rc(log, rc);
    return rc < 0 ? rc : 0;
  }
  default: break;
  }
  if ((rc = set_key(f, b, o->key, o->ns)) < 0) return rc;
  ks_state *s = w->st[o->kind];
  switch (o->what) {
  case OP_GET: rc = get_op(f, w, o, log); break;
  case OP_WRITE:
    rc = write_op(f, w, o);
    log_rc(log, rc);
    break;
  case OP_CLEAR:
    rc = ks_clear(s);
    log_rc(log, rc);
    break;
  case OP_VALUE_NULL:
    rc = ks_value_update(s, NULL);
    log_rc(log, rc);
    break;
  case OP_VALUE_IN_PLACE: {
    spate_row r;
    rc = ks_value_get_writable(s, &r);
    log_rc(log, rc);
    if (rc == 1) {
      spate_bytes v = spate_row_string(&r, 0);
      if (v.len) memset((char *)v.ptr, o->ch, 1 + (size_t)o->n % v.len);
      log_row(log, &r);
    }
    break;
  }
  case OP_LIST_ADD_ALL:
  case OP_LIST_UPDATE: {
    spate_row v[2] = {str_row(f->sb, o->len, o->ch, o->seed),
                      str_row(f->sb2, o->len2, (char)(o->ch + 1), o->seed + 1)};
    size_t n = (size_t)(o->what == OP_LIST_UPDATE ? o->n % 3 : 1 + o->n % 2);
    rc = o->what == OP_LIST_UPDATE ? ks_list_update(s, v, n) : ks_list_add_all(s, v, n);
    log_rc(log, rc);
    break;
  }
  case OP_LIST_SELF: {
    /* Views into the list itself (frozen, if the snapshot holds it) appended or made the whole
     * list. */
    ks_list_iter it;
    rc = ks_list_get(s, &it);
    log_rc(log, rc);
    if (rc <= 0) break;
    spate_row views[3];
    size_t n = 0;
    while (n < 3 && ks_list_next(&it, &views[n])) n++;
    rc = (o->n & 1) ? ks_list_update(s, views, n) : ks_list_add_all(s, views, n);
    log_rc(log, rc);
    break;
  }
  case OP_MAP_CONTAINS:
  case OP_MAP_REMOVE: {
    spate_row uk = long_row(f->ub, o->uk);
    rc = o->what == OP_MAP_REMOVE ? ks_map_remove(s, &uk) : ks_map_contains(s, &uk);
    log_rc(log, rc);
    break;
  }
  case OP_MAP_EMPTY:
    rc = ks_map_is_empty(s);
    log_rc(log, rc);
    break;
  case OP_MAP_ITER: {
    ks_map_iter it;
    rc = ks_map_iter_begin(s, &it);
    log_rc(log, rc);
    spate_row k, v;
    while (rc > 0 && ks_map_next(&it, &k, &v)) {
      log_row(log, &k);
      log_row(log, &v);
    }
    break;
  }
  default: fail_msg("op %d", (int)o->what);
  }
  return rc < 0 ? rc : 0;
}

/* Applies o to both worlds and checks that both returned the same. */
static void apply_both(fx *f, world *cow, world *plain, const op *o) {
  sp_writer la, lb;
  sp_writer_init(&la);
  sp_writer_init(&lb);
  int ra = apply(f, cow, o, &la);
  int rb = apply(f, plain, o, &lb);
  if (ra != rb || la.len != lb.len || (la.len && memcmp(la.data, lb.data, la.len) != 0))
    fail_msg(
        "op %d on %s key %lld: the snapshotted backend returned %d (%zu bytes logged), the "
        "other %d (%zu bytes)",
        (int)o->what, ks_kind_name(o->kind), (long long)o->key, ra, la.len, rb, lb.len);
  assert_int_equal(ra, 0);
  sp_writer_free(&la);
  sp_writer_free(&lb);
}

static void assert_same_live(world *cow, world *plain) {
  sp_writer a, b;
  size_t ea[MAXP], eb[MAXP];
  encode_live(cow->b, &a, ea);
  encode_live(plain->b, &b, eb);
  for (int g = 0; g < MAXP; g++)
    if (ea[g] != eb[g]) fail_msg("live group %d ends at %zu and %zu", g, ea[g], eb[g]);
  assert_memory_equal(a.data, b.data, a.len);
  sp_writer_free(&a);
  sp_writer_free(&b);
}

/* Encodes every group of snapshot s and compares each with the reference. */
static void assert_snapshot_equals(ks_snapshot *s, const sp_writer *ref, const size_t *end) {
  sp_writer w;
  sp_writer_init(&w);
  for (int g = 0; g < MAXP; g++) {
    size_t start = w.len;
    int rc = ks_snapshot_write_key_group(s, g, &w);
    if (rc != 0) fail_msg("snapshot group %d: %d %s", g, rc, ks_snapshot_error(s));
    size_t rstart = g ? end[g - 1] : 0;
    if (w.len - start != end[g] - rstart)
      fail_msg("key group %d: the snapshot wrote %zu bytes, %zu at begin", g, w.len - start,
               end[g] - rstart);
    if (memcmp(w.data + start, ref->data + rstart, end[g] - rstart) != 0)
      fail_msg("key group %d: the snapshot's bytes differ from those at begin", g);
  }
  sp_writer_free(&w);
}

/* Records of a state "lazy" in every key group, read into w before its states are used: they
 * stay pending until OP_REGISTER_LAZY. */
static void add_pending(fx *f, world *w) {
  ks_backend *donor = NULL;
  ks_key_group_range all = {0, MAXP - 1};
  assert_int_equal(ks_backend_new(MAXP, all, test_clock, f, &donor), 0);
  ks_state *s = NULL;
  ks_descriptor d = {.name = "lazy", .kind = KS_VALUE, .value_schema = f->long_s};
  assert_int_equal(ks_register(donor, &d, &s), 0);
  for (int64_t k = 0; k < 300; k++) {
    assert_int_equal(set_key(f, donor, k, 0), 0);
    spate_row v = long_row(f->lb, k * 7);
    assert_int_equal(ks_value_update(s, &v), 0);
  }
  for (int g = 0; g < MAXP; g++) {
    sp_writer enc;
    sp_writer_init(&enc);
    assert_int_equal(ks_write_key_group(donor, g, &enc), 0);
    sp_reader r;
    sp_reader_init(&r, enc.data, enc.len);
    assert_int_equal(ks_read_key_group(w->b, g, &r), 0);
    sp_writer_free(&enc);
  }
  ks_backend_free(donor);
}

/* Writes every key and namespace of the first c->keys keys, the clock advancing (so TTL
 * timestamps differ and the oldest have expired by the first snapshot). */
static void populate(fx *f, world *cow, world *plain, const cfg *c, uint64_t *rs) {
  for (int64_t k = 0; k < c->keys; k++) {
    for (int kind = KS_VALUE; kind <= KS_AGGREGATING; kind++) {
      if (!(c->kinds & KIND_BIT(kind))) continue;
      int writes = kind == KS_LIST || kind == KS_MAP ? 1 + (int)(rnd(rs) % 6) : 1;
      for (int i = 0; i < writes; i++) {
        op o = gen_op(rs, c, false);
        o.what = OP_WRITE;
        o.kind = (ks_kind)kind;
        o.key = k;
        o.ns = k % 5 == 0 ? 1 : 0;
        apply_both(f, cow, plain, &o);
      }
    }
    if (c->ttl.update && k % 4 == 0) f->now++;
  }
}

/* The scenario: populate, then rounds of begin / reference / random ops / compare / release.
 * When writer is given, it runs the snapshot on another thread during the ops (see below). */
typedef struct concurrent concurrent;
static void concurrent_start(concurrent **out, ks_snapshot *s, const sp_writer *ref,
                             const size_t *end);
static void concurrent_stop(concurrent *c);

static void run(fx *f, const cfg *c, bool threaded) {
  world cow, plain;
  world_init(f, &cow, c);
  world_init(f, &plain, c);
  if (c->lazy) {
    add_pending(f, &cow);
    add_pending(f, &plain);
  }
  uint64_t rs = c->seed;
  populate(f, &cow, &plain, c, &rs);
  if (c->start_version) cow.b->version = c->start_version; /* the entries keep theirs */
  assert_same_live(&cow, &plain);
  for (int round = 0; round < c->rounds; round++) {
    ks_snapshot *s = NULL;
    assert_int_equal(ks_snapshot_begin(cow.b, &s), 0);
    sp_writer ref;
    size_t end[MAXP];
    encode_live(cow.b, &ref, end); /* on this thread, before any change */
    concurrent *cc = NULL;
    if (threaded) concurrent_start(&cc, s, &ref, end);
    for (int i = 0; i < c->ops; i++) {
      op o = gen_op(&rs, c, true);
      /* The first snapshot ends with the runs still pending, the second registers them. */
      if (c->lazy && round == (c->rounds > 1) && i == c->ops / 2) o.what = OP_REGISTER_LAZY;
      apply_both(f, &cow, &plain, &o);
      if (c->ttl.update && rnd(&rs) % 16 == 0) f->now += (int64_t)(rnd(&rs) % 40);
    }
    if (cc) concurrent_stop(cc);
    assert_snapshot_equals(s, &ref, end);
    assert_same_live(&cow, &plain);
    ks_snapshot_release(s);
    sp_writer_free(&ref);
    assert_same_live(&cow, &plain);
  }
  ks_backend_free(cow.b);
  ks_backend_free(plain.b);
}

/* ---------------------------------------------------------------------------------------------
 * The writer thread: encodes the snapshot again and again until told to stop (at least once),
 * comparing every pass with the reference. It calls nothing but ks_snapshot_write_key_group and
 * the writer's own functions. */

struct concurrent {
  pthread_t thread;
  ks_snapshot *s;
  const sp_writer *ref;
  const size_t *end;
  atomic_bool stop;
  int passes, errors, mismatches;
};

static void *writer_main(void *arg) {
  concurrent *c = arg;
  do {
    for (int g = 0; g < MAXP; g++) {
      sp_writer w;
      sp_writer_init(&w);
      size_t rstart = g ? c->end[g - 1] : 0;
      if (ks_snapshot_write_key_group(c->s, g, &w) != 0)
        c->errors++;
      else if (w.len != c->end[g] - rstart || memcmp(w.data, c->ref->data + rstart, w.len) != 0)
        c->mismatches++;
      sp_writer_free(&w);
    }
    c->passes++;
  } while (!atomic_load(&c->stop));
  return NULL;
}

static void concurrent_start(concurrent **out, ks_snapshot *s, const sp_writer *ref,
                             const size_t *end) {
  concurrent *c = calloc(1, sizeof *c);
  c->s = s;
  c->ref = ref;
  c->end = end;
  atomic_init(&c->stop, false);
  assert_int_equal(pthread_create(&c->thread, NULL, writer_main, c), 0);
  *out = c;
}

static void concurrent_stop(concurrent *c) {
  atomic_store(&c->stop, true);
  assert_int_equal(pthread_join(c->thread, NULL), 0);
  assert_true(c->passes >= 1);
  assert_int_equal(c->errors, 0);
  assert_int_equal(c->mismatches, 0);
  free(c);
}

/* ---------------------------------------------------------------------------------------------
 * The tests. */

static const ks_ttl_config no_ttl = {0};
/* Reads extend the TTL (every read of a frozen value copies it), expired values are hidden and
 * left out of snapshots. */
static const ks_ttl_config ttl_read = {.update = KS_TTL_ON_READ_AND_WRITE,
                                       .ttl_ms = 300,
                                       .visibility = KS_TTL_NEVER_RETURN_EXPIRED,
                                       .cleanup_full_snapshot = true};
/* Expired values still returned once (through the scratch area), and kept in snapshots. */
static const ks_ttl_config ttl_return = {.update = KS_TTL_ON_READ_AND_WRITE,
                                         .ttl_ms = 300,
                                         .visibility = KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP};

static void one_kind(void **state, ks_kind kind, ks_ttl_config ttl, uint64_t seed) {
  cfg c = {
      .kinds = KIND_BIT(kind), .ttl = ttl, .keys = 600, .ops = 6000, .rounds = 3, .seed = seed};
  run(*state, &c, false);
}

static void cow_value(void **state) { one_kind(state, KS_VALUE, no_ttl, 11); }
static void cow_list(void **state) { one_kind(state, KS_LIST, no_ttl, 12); }
static void cow_map(void **state) { one_kind(state, KS_MAP, no_ttl, 13); }
static void cow_reducing(void **state) { one_kind(state, KS_REDUCING, no_ttl, 14); }
static void cow_aggregating(void **state) { one_kind(state, KS_AGGREGATING, no_ttl, 15); }
static void cow_value_ttl(void **state) { one_kind(state, KS_VALUE, ttl_read, 21); }
static void cow_list_ttl(void **state) { one_kind(state, KS_LIST, ttl_read, 22); }
static void cow_map_ttl(void **state) { one_kind(state, KS_MAP, ttl_read, 23); }
static void cow_reducing_ttl(void **state) { one_kind(state, KS_REDUCING, ttl_read, 24); }
static void cow_aggregating_ttl(void **state) { one_kind(state, KS_AGGREGATING, ttl_read, 25); }

/* The 32-bit version wraps during the second snapshot's begin, while the entries populated
 * first still have version 0 (which a plain wrap would make current again): they are renumbered
 * first, so every entry is frozen in that snapshot as in any other. */
static void cow_version_wraps(void **state) {
  cfg c = {.kinds = ALL_KINDS,
           .keys = 300,
           .ops = 3000,
           .rounds = 4,
           .seed = 61,
           .start_version = UINT32_MAX - 1};
  run(*state, &c, false);
}

/* Every kind in one backend, expired values still returned once, a state registered lazily
 * during the second snapshot while its restored records are pending. */
static void cow_all_kinds_lazy_state(void **state) {
  cfg c = {.kinds = ALL_KINDS,
           .ttl = ttl_return,
           .lazy = true,
           .keys = 500,
           .ops = 15000,
           .rounds = 3,
           .seed = 31};
  run(*state, &c, false);
  c.ttl = no_ttl;
  c.seed = 32;
  run(*state, &c, false);
}

/* The snapshot written on another thread while the owner goes on. */
static void cow_concurrent_writer(void **state) {
  cfg c = {.kinds = ALL_KINDS,
           .ttl = ttl_read,
           .lazy = true,
           .keys = 1500,
           .ops = 30000,
           .rounds = 2,
           .seed = 41};
  run(*state, &c, true);
  c.ttl = no_ttl;
  c.seed = 42;
  run(*state, &c, true);
}

static void cow_one_snapshot_at_a_time(void **state) {
  fx *f = *state;
  cfg c = {.kinds = KIND_BIT(KS_VALUE), .keys = 10};
  world w;
  world_init(f, &w, &c);
  ks_snapshot *s = NULL, *s2 = (ks_snapshot *)&w;
  assert_int_equal(ks_snapshot_begin(w.b, &s), 0);
  assert_int_equal(ks_snapshot_begin(w.b, &s2), SPATE_ESTATE);
  assert_null(s2);
  assert_non_null(strstr(ks_error(w.b), "snapshot"));
  /* A group outside the range is refused with the message on the snapshot. */
  sp_writer out;
  sp_writer_init(&out);
  assert_int_equal(ks_snapshot_write_key_group(s, MAXP, &out), SPATE_EINVAL);
  assert_non_null(strstr(ks_snapshot_error(s), "64"));
  assert_int_equal(ks_snapshot_write_key_group(s, 3, &out), 0);
  assert_int_equal(out.len, 4); /* an empty group: nstates = 0 */
  sp_writer_free(&out);
  ks_snapshot_release(s);
  assert_int_equal(ks_snapshot_begin(w.b, &s), 0);
  ks_snapshot_release(s);
  ks_snapshot_release(NULL);
  ks_backend_free(w.b);
}

/* Freed with its snapshot active (which callers must not do) after frozen entries were copied,
 * removed and kept: the backend releases the snapshot, nothing leaks (teardown). */
static void cow_free_with_active_snapshot(void **state) {
  fx *f = *state;
  cfg c = {.kinds = ALL_KINDS, .ttl = ttl_read, .lazy = true, .keys = 200, .seed = 51};
  world cow, plain;
  world_init(f, &cow, &c);
  world_init(f, &plain, &c);
  add_pending(f, &cow);
  add_pending(f, &plain);
  uint64_t rs = c.seed;
  populate(f, &cow, &plain, &c, &rs);
  ks_snapshot *s = NULL;
  assert_int_equal(ks_snapshot_begin(cow.b, &s), 0);
  for (int i = 0; i < 3000; i++) {
    op o = gen_op(&rs, &c, true);
    if (i == 100) o.what = OP_REGISTER_LAZY;
    apply_both(f, &cow, &plain, &o);
  }
  ks_backend_free(cow.b);
  ks_backend_free(plain.b);
}

/* The live records of b in a canonical order: sorted by state, key, namespace and user key,
 * list elements in list order. Unlike the encoding it does not depend on slot positions, which
 * a table growing before a failed insert may change without changing the state. */
typedef struct crec {
  uint8_t *data;
  size_t key_len, len, idx;
} crec;
typedef struct crecs {
  crec *v;
  size_t n, cap;
} crecs;

static int collect(void *arg, const ks_record *r) {
  crecs *c = arg;
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 256;
    c->v = realloc(c->v, c->cap * sizeof *c->v);
  }
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, r->state);
  sp_put_blob(&w, r->key, r->key_len);
  sp_put_blob(&w, r->ns, r->ns_len);
  sp_put_blob(&w, r->user_key, r->user_key_len);
  size_t key_len = w.len;
  sp_put_blob(&w, r->value.data, r->value.len);
  sp_put_i64(&w, r->ttl_ts);
  crec *e = &c->v[c->n];
  e->len = w.len;
  e->key_len = key_len;
  e->idx = c->n++;
  e->data = malloc(w.len);
  memcpy(e->data, w.data, w.len);
  sp_writer_free(&w);
  return 0;
}

static int crec_cmp(const void *pa, const void *pb) {
  const crec *a = pa, *b = pb;
  size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
  int c = memcmp(a->data, b->data, n);
  if (c) return c;
  if (a->key_len != b->key_len) return a->key_len < b->key_len ? -1 : 1;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void canonical_live(ks_backend *b, sp_writer *out) {
  crecs c = {0};
  for (int g = 0; g < MAXP; g++) assert_int_equal(ks_snapshot_key_group(b, g, collect, &c), 0);
  qsort(c.v, c.n, sizeof *c.v, crec_cmp);
  sp_writer_init(out);
  for (size_t i = 0; i < c.n; i++) {
    sp_put_bytes(out, c.v[i].data, c.v[i].len);
    free(c.v[i].data);
  }
  free(c.v);
}

/* Every allocation a copy-on-write write makes fails in turn: the call fails with SPATE_ENOMEM,
 * the live state is as before and the snapshot still equals the reference. */
static void cow_allocation_failures(void **state) {
  fx *f = *state;
  cfg c = {.kinds = ALL_KINDS, .ttl = ttl_return, .keys = 40, .seed = 61};
  world cow, plain;
  world_init(f, &cow, &c);
  world_init(f, &plain, &c);
  /* Builders grow once to the largest row: let them do it now, not under injected failures. */
  str_row(f->sb, 2000, 'x', 0);
  str_row(f->sb2, 2000, 'x', 0);
  for (int i = 0; i < 4; i++) {
    op o = {.what = OP_WRITE, .kind = KS_REDUCING, .key = c.keys + 1000, .len = 39, .ch = 'r'};
    apply_both(f, &cow, &plain, &o);
  }
  uint64_t rs = c.seed;
  populate(f, &cow, &plain, &c, &rs);
  for (int round = 0; round < 2; round++) {
    ks_snapshot *s = NULL;
    assert_int_equal(ks_snapshot_begin(cow.b, &s), 0);
    sp_writer ref;
    size_t end[MAXP];
    encode_live(cow.b, &ref, end);
    int failures = 0;
    for (int i = 0; i < 400; i++) {
      op o = gen_op(&rs, &c, false);
      if (o.what == OP_LIST_SELF) o.what = OP_LIST_ADD_ALL; /* two calls: the first may touch */
      o.key %= c.keys;                                      /* mostly frozen entries */
      sp_writer before;
      canonical_live(cow.b, &before);
      for (int n = 1;; n++) {
        sp_writer log;
        sp_writer_init(&log);
        sp_alloc_fail_after(n, 0);
        int rc = apply(f, &cow, &o, &log);
        sp_alloc_fail_after(0, 0);
        sp_writer_free(&log);
        if (rc == 0) break;
        assert_int_equal(rc, SPATE_ENOMEM);
        failures++;
        sp_writer now;
        canonical_live(cow.b, &now);
        if (now.len != before.len || memcmp(now.data, before.data, now.len) != 0)
          fail_msg("op %d on %s key %lld ns %d failing at allocation %d changed the state",
                   (int)o.what, ks_kind_name(o.kind), (long long)o.key, o.ns, n);
        assert_int_equal(now.len, before.len);
        assert_memory_equal(now.data, before.data, now.len);
        sp_writer_free(&now);
      }
      sp_writer_free(&before);
      /* The plain backend catches up (the op succeeded on cow now). */
      sp_writer log;
      sp_writer_init(&log);
      assert_int_equal(apply(f, &plain, &o, &log), 0);
      sp_writer_free(&log);
      if (rnd(&rs) % 8 == 0) f->now += 7;
    }
    assert_true(failures > 0);
    assert_snapshot_equals(s, &ref, end);
    assert_same_live(&cow, &plain);
    ks_snapshot_release(s);
    sp_writer_free(&ref);
  }
  /* Begin itself failing changes nothing and can be retried. */
  for (int n = 1;; n++) {
    ks_snapshot *s = NULL;
    sp_alloc_fail_after(n, 0);
    int rc = ks_snapshot_begin(cow.b, &s);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) {
      ks_snapshot_release(s);
      break;
    }
    assert_int_equal(rc, SPATE_ENOMEM);
    assert_null(s);
  }
  assert_same_live(&cow, &plain);
  ks_backend_free(cow.b);
  ks_backend_free(plain.b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(cow_value, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_list, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_map, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_reducing, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_aggregating, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_value_ttl, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_list_ttl, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_map_ttl, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_reducing_ttl, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_aggregating_ttl, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_all_kinds_lazy_state, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_version_wraps, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_concurrent_writer, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_one_snapshot_at_a_time, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_free_with_active_snapshot, setup, teardown),
      cmocka_unit_test_setup_teardown(cow_allocation_failures, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * ks_codec.c: the heap keyed-state backend per key group, for checkpoints: visiting a group's
 * records (ks_snapshot_key_group), clearing a group, its checkpoint encoding (ks_write_key_group
 * / ks_read_key_group, described below) and the pending runs: restored records of states that
 * are not registered yet, kept until ks_register asks for them (the lazy restore). The
 * encoder is shared with the copy-on-write snapshots of ks_snapshot.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "state/ks_internal.h"
#include "types/row.h"

/* ---------------------------------------------------------------------------------------------
 * Visiting and clearing a key group. */

/* The clock for leaving expired values out of a visit of one state (only >= 0) or of all
 * (only < 0) when one of them asks for it (ttl.cleanup_full_snapshot), else 0. */
int64_t ks_filter_now(const ks_backend *b, int only) {
  bool filter = false;
  for (uint32_t i = 0; i < b->nstates; i++)
    filter |= (only < 0 || i == (uint32_t)only) && b->states[i]->has_ttl &&
              b->states[i]->ttl.cleanup_full_snapshot;
  return filter ? b->clock(b->clock_arg) : 0;
}

#define VISIT_AHEAD 8u /* slots: a few entries' worth of latency at a load of 75% */

/* Visits the records of table t of one state (only >= 0) or of all states (only < 0), leaving
 * out values expired at `now` for states with ttl.cleanup_full_snapshot; see
 * ks_snapshot_key_group. It reads t, its entries and the states only (never the backend), so a
 * snapshot's writer thread runs it on frozen tables. */
static int visit_table(ks_state *const *states, const ks_table *t, int only, int64_t now,
                       ks_visit_fn fn, void *arg) {
  int rc;
  if (!t->slots) return 0;
  for (uint32_t i = 0; i <= t->mask; i++) {
    /* Slots are in hash order and entries wherever they were allocated, so each entry is a
     * miss the hardware cannot foresee; asking for the entry VISIT_AHEAD slots on lets a large
     * table's misses overlap instead of coming one after the other. */
    if (i + VISIT_AHEAD <= t->mask) {
      const ks_entry *ahead = tbl_at(t, i + VISIT_AHEAD);
      if (ahead) __builtin_prefetch(ahead);
    }
    ks_entry *e = tbl_at(t, i);
    if (!e || (only >= 0 && e->state != (uint32_t)only)) continue;
    ks_state *s = states[e->state];
    bool skip_expired = s->has_ttl && s->ttl.cleanup_full_snapshot;
    ks_record r = {.state = s->name,
                   .kind = s->kind,
                   .key = e_key(e),
                   .key_len = e->klen,
                   .ns = e_ns(e),
                   .ns_len = e->nslen};
    if (s->kind == KS_LIST) {
      for (const uint8_t *p = e_payload(e), *end = p + e->len; p < end;) {
        list_elem h;
        memcpy(&h, p, sizeof h);
        r.value = (spate_row){p + sizeof h, h.len, s->value_nf};
        r.ttl_ts = h.ts;
        p += elem_size(h.len);
        if (skip_expired && expired(s, h.ts, now)) continue;
        if ((rc = fn(arg, &r)) != 0) return rc;
      }
    } else if (s->kind == KS_MAP) {
      ks_table *m = e_map(e);
      for (uint32_t j = 0; m->slots && j <= m->mask; j++) {
        ks_entry *me = tbl_at(m, j);
        if (!me || (skip_expired && expired(s, e_ts(me), now))) continue;
        r.user_key = e_key(me);
        r.user_key_len = me->klen;
        r.value = (spate_row){e_payload(me), me->len, s->value_nf};
        r.ttl_ts = e_ts(me);
        if ((rc = fn(arg, &r)) != 0) return rc;
      }
    } else {
      if (skip_expired && expired(s, e_ts(e), now)) continue;
      uint32_t nf = s->kind == KS_AGGREGATING ? (uint32_t)s->acc_schema->nfields : s->value_nf;
      r.value = (spate_row){e_payload(e), e->len, nf};
      r.ttl_ts = e_ts(e);
      if ((rc = fn(arg, &r)) != 0) return rc;
    }
  }
  return 0;
}

/* Visits the records of key group kg (checked by the caller) of one state (only >= 0) or of all
 * states (only < 0). */
static int visit_group(ks_backend *b, int key_group, int only, ks_visit_fn fn, void *arg) {
  const ks_table *t = &b->groups[key_group - b->range.first];
  if (!t->slots) return 0;
  return visit_table(b->states, t, only, ks_filter_now(b, only), fn, arg);
}

int ks_snapshot_key_group(ks_backend *b, int key_group, ks_visit_fn fn, void *arg) {
  int rc = ks_check_group(b, key_group);
  return rc < 0 ? rc : visit_group(b, key_group, -1, fn, arg);
}

size_t ks_key_group_entries(const ks_backend *b, int key_group) {
  if (!ks_key_group_range_contains(b->range, key_group)) return 0;
  return b->groups[key_group - b->range.first].count;
}

int ks_clear_key_group(ks_backend *b, int key_group) {
  int rc = ks_check_group(b, key_group);
  if (rc < 0) return rc;
  if (ks_group_writable(b, key_group - b->range.first) < 0)
    return ks_fail(b, SPATE_ENOMEM, "out of memory clearing key group %d", key_group);
  ks_table_free(b, &b->groups[key_group - b->range.first]);
  ks_pending_drop_group(b, key_group);
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Checkpoint encoding of a key group (ks_write_key_group / ks_read_key_group):
 *
 *   group   := u32 nstates, nstates x state
 *   state   := str name (non-empty), u8 kind, u32 nrecords, nrecords x record
 *   record  := blob key, blob namespace, [blob user key: MAP only], blob value row,
 *              i64 ttl_ts (the TTL last-access time; 0 for states without TTL)
 *
 * A state with no record in the group is left out, so an empty group is the four bytes of
 * nstates = 0. Records of one state are contiguous (the name is written once per state and
 * group), in the order ks_snapshot_key_group visits them, so a list restores in list order.
 *
 * Reading validates the whole group before it changes anything: every length against the bytes
 * left, kinds, record counts against the smallest record, names, and the rows of registered
 * states against their schemas (row_validate, so no later read of a restored row can run off
 * its bytes). Records of a state that is not registered yet are copied aside verbatim as one
 * pending run per (state, key group); ks_register checks them against the descriptor and
 * inserts them, and ks_write_key_group writes runs still pending back unchanged, so state
 * nobody asked for survives any number of checkpoints (as Flink keeps restored state that was
 * never accessed). */

#define RECORD_MIN 20u                    /* key, namespace and value length prefixes, and ttl_ts */
#define STATE_MIN 10u                     /* a one-byte name with its length, kind, record count */
#define ARENA_MIN_GROUP ((size_t)1 << 20) /* smaller key groups restore through malloc */

/* True when the active snapshot refers to a pending run's buffers (identified by its data,
 * which no other run shares): they stay allocated until the snapshot is released. */
static bool snap_holds(const ks_backend *b, const uint8_t *data) {
  for (uint32_t i = 0; b->snap && i < b->snap->npending; i++)
    if (b->snap->pending[i].data == data) return true;
  return false;
}

/* Frees run i, keeping the order of the others (runs of one state and group apply in order).
 * Buffers the active snapshot refers to are left to its release. */
static void pending_free_at(ks_backend *b, uint32_t i) {
  if (!snap_holds(b, b->pending[i].data)) {
    sp_free(b->pending[i].name);
    sp_free(b->pending[i].data);
  }
  memmove(&b->pending[i], &b->pending[i + 1], (b->npending - i - 1) * sizeof *b->pending);
  b->npending--;
}

void ks_pending_free_all(ks_backend *b) {
  while (b->npending) pending_free_at(b, b->npending - 1);
  sp_free(b->pending);
  b->pending = NULL;
  b->pending_cap = 0;
}

/* Drops the pending runs of key_group among the first n. */
static void drop_pending(ks_backend *b, int key_group, uint32_t n) {
  for (uint32_t i = 0; i < n;)
    if (b->pending[i].key_group == key_group) {
      pending_free_at(b, i);
      n--;
    } else {
      i++;
    }
}

void ks_pending_drop_group(ks_backend *b, int key_group) {
  drop_pending(b, key_group, b->npending);
}

static void patch_u32(sp_writer *w, size_t off, uint32_t v) {
  if (w->failed) return;
  for (int i = 0; i < 4; i++) w->data[off + i] = (uint8_t)(v >> (8 * i));
}

typedef struct encode_ctx {
  sp_writer *w;
  uint32_t n;
} encode_ctx;

static int encode_record(void *arg, const ks_record *rec) {
  encode_ctx *c = arg;
  if (c->n == UINT32_MAX) return SPATE_EINVAL;
  sp_put_blob(c->w, rec->key, rec->key_len);
  sp_put_blob(c->w, rec->ns, rec->ns_len);
  if (rec->kind == KS_MAP) sp_put_blob(c->w, rec->user_key, rec->user_key_len);
  sp_put_blob(c->w, rec->value.data, rec->value.len);
  sp_put_i64(c->w, rec->ttl_ts);
  c->n++;
  return c->w->failed ? SPATE_ENOMEM : 0;
}

/* Appends the encoding of key group kg from src to w, touching nothing else (no backend, no
 * scratch space), so a snapshot's writer may run it on any thread. SPATE_EINVAL with *bad set
 * to the state's index when a state has 2^32 records or more in the group; SPATE_ENOMEM when w
 * failed. */
int ks_encode_group(const group_src *src, int key_group, sp_writer *w, uint32_t *bad) {
  size_t start = w->len;
  uint32_t nstates = 0;
  sp_put_u32(w, 0);
  for (uint32_t i = 0; i < src->nstates && !w->failed; i++) {
    ks_state *s = src->states[i];
    size_t mark = w->len;
    sp_put_str(w, s->name);
    sp_put_u8(w, (uint8_t)s->kind);
    size_t count_at = w->len;
    sp_put_u32(w, 0);
    encode_ctx c = {w, 0};
    if (visit_table(src->states, src->t, (int)i, src->now, encode_record, &c) == SPATE_EINVAL) {
      *bad = i;
      return SPATE_EINVAL;
    }
    if (c.n == 0) {
      if (!w->failed) w->len = mark;
      continue;
    }
    patch_u32(w, count_at, c.n);
    nstates++;
  }
  for (uint32_t i = 0; i < src->npending && !w->failed; i++) {
    const ks_pending *p = &src->pending[i];
    if (p->key_group != key_group) continue;
    sp_put_str(w, p->name);
    sp_put_u8(w, (uint8_t)p->kind);
    sp_put_u32(w, p->count);
    sp_put_bytes(w, p->data, p->len);
    nstates++;
  }
  patch_u32(w, start, nstates);
  return w->failed ? SPATE_ENOMEM : 0;
}

int ks_write_key_group(ks_backend *b, int key_group, sp_writer *w) {
  int rc = ks_check_group(b, key_group);
  if (rc < 0) return rc;
  const ks_table *t = &b->groups[key_group - b->range.first];
  group_src src = {.states = b->states,
                   .nstates = b->nstates,
                   .t = t,
                   .now = t->slots ? ks_filter_now(b, -1) : 0,
                   .pending = b->pending,
                   .npending = b->npending};
  uint32_t bad = 0;
  rc = ks_encode_group(&src, key_group, w, &bad);
  if (rc == SPATE_EINVAL)
    return ks_fail(b, rc, "state '%s' has more than 2^32 records in key group %d",
                   b->states[bad]->name, key_group);
  if (rc < 0) return ks_fail(b, rc, "out of memory writing key group %d", key_group);
  return 0;
}

/* Reads one record of a state of `kind`; false on a short read (r's error says where). */
static bool get_record(sp_reader *r, ks_kind kind, ks_record *rec) {
  rec->key = sp_get_blob(r, &rec->key_len);
  rec->ns = sp_get_blob(r, &rec->ns_len);
  rec->user_key = NULL;
  rec->user_key_len = 0;
  if (kind == KS_MAP) rec->user_key = sp_get_blob(r, &rec->user_key_len);
  rec->value.data = sp_get_blob(r, &rec->value.len);
  rec->ttl_ts = sp_get_i64(r);
  return sp_reader_ok(r);
}

/* Checks a record's rows against the schemas of a state: the value (the accumulator for
 * AGGREGATING) and the user key of a MAP. */
static int check_record_rows(const ks_descriptor *d, const ks_record *rec, char *err,
                             size_t err_len) {
  const spate_schema *vs = d->kind == KS_AGGREGATING ? d->acc_schema : d->value_schema;
  int rc = row_validate(rec->value.data, rec->value.len, vs, false, err, err_len);
  if (rc == 0 && d->kind == KS_MAP)
    rc = row_validate(rec->user_key, rec->user_key_len, d->user_key_schema, false, err, err_len);
  return rc;
}

/* The descriptor a registered state was made from (its schemas and kind). */
static ks_descriptor descriptor_of(const ks_state *s) {
  return (ks_descriptor){.name = s->name,
                         .kind = s->kind,
                         .value_schema = s->value_schema,
                         .user_key_schema = s->user_key_schema,
                         .acc_schema = s->acc_schema,
                         .result_schema = s->result_schema};
}

static ks_state *find_state_n(const ks_backend *b, const uint8_t *name, uint32_t len) {
  for (uint32_t i = 0; i < b->nstates; i++)
    if (strlen(b->states[i]->name) == len && memcmp(b->states[i]->name, name, len) == 0)
      return b->states[i];
  return NULL;
}

/* Marks r failed with a formatted message; returns SPATE_ECORRUPT. */
static int corrupt(sp_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int corrupt(sp_reader *r, const char *fmt, ...) {
  char msg[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sp_reader_fail(r, msg);
  return SPATE_ECORRUPT;
}

/* Adds a pending run (name and data copied). */
static int pending_add(ks_backend *b, const uint8_t *name, uint32_t name_len, ks_kind kind,
                       int key_group, uint32_t count, const uint8_t *data, size_t len) {
  if (b->npending == b->pending_cap) {
    uint32_t cap = b->pending_cap ? b->pending_cap * 2 : 4;
    ks_pending *n = sp_realloc(b->pending, cap * sizeof *n);
    if (!n) return SPATE_ENOMEM;
    b->pending = n;
    b->pending_cap = cap;
  }
  ks_pending p = {.name = sp_strndup((const char *)name, name_len),
                  .kind = kind,
                  .key_group = key_group,
                  .count = count,
                  .data = sp_malloc(len ? len : 1),
                  .len = len};
  if (!p.name || !p.data) {
    sp_free(p.name);
    sp_free(p.data);
    return SPATE_ENOMEM;
  }
  copy_bytes(p.data, data, len);
  b->pending[b->npending++] = p;
  return 0;
}

/* How far ahead of the record being read its bytes are asked for. A record's fields are read
 * out of order (lengths, then the TTL timestamp after a value, then the value when it is
 * copied), which the hardware does not take for a stream: each record of a large value state
 * would wait for memory twice. Prefetching the bytes ahead turns that into one stream. */
#define PREFETCH_AHEAD ((size_t)4096)

static inline void prefetch_ahead(const sp_reader *r, size_t *upto) {
  size_t want = r->len - r->pos < PREFETCH_AHEAD ? r->len : r->pos + PREFETCH_AHEAD;
  for (; *upto < want; *upto += 64) __builtin_prefetch(r->data + *upto);
}

/* The one pass over a group's encoding in r: it validates each record (lengths, kinds, counts,
 * names, the rows of registered states against their schemas) and then at once inserts it
 * (registered states) or sets its state's run aside (the others). It runs on an empty table
 * for the group, which ks_read_key_group swaps in, so a failure half way changes nothing. (It
 * used to validate the whole group in a pass of its own first: a restore then read every
 * byte of a large state twice from memory, since a group of hundreds of MiB does not stay in
 * any cache.) On failure r carries the message. */
static int scan_group(ks_backend *b, int key_group, sp_reader *r) {
  char err[160];
  size_t upto = r->pos;
  uint32_t nstates = sp_get_u32(r);
  if (!sp_reader_ok(r)) return SPATE_ECORRUPT;
  if (nstates > (r->len - r->pos) / STATE_MIN)
    return corrupt(r, "key group %d: %u states cannot fit in %zu bytes", key_group, nstates,
                   r->len - r->pos);
  for (uint32_t i = 0; i < nstates; i++) {
    uint32_t name_len;
    const uint8_t *name = sp_get_blob(r, &name_len);
    ks_kind kind = (ks_kind)sp_get_u8(r);
    uint32_t count = sp_get_u32(r);
    if (!sp_reader_ok(r)) return SPATE_ECORRUPT;
    if (name_len == 0 || memchr(name, 0, name_len))
      return corrupt(r, "key group %d: state %u has an empty name or one with a NUL byte",
                     key_group, i);
    if (kind < KS_VALUE || kind > KS_AGGREGATING)
      return corrupt(r, "key group %d: state '%.*s' has unknown kind %d", key_group,
                     (int)(name_len > 64 ? 64 : name_len), (const char *)name, (int)kind);
    uint32_t min = RECORD_MIN + (kind == KS_MAP ? 4u : 0u);
    if (count == 0 || count > (r->len - r->pos) / min)
      return corrupt(r, "key group %d: state '%.*s' claims %u records in %zu bytes", key_group,
                     (int)(name_len > 64 ? 64 : name_len), (const char *)name, count,
                     r->len - r->pos);
    ks_state *s = find_state_n(b, name, name_len);
    if (s && s->kind != kind) {
      corrupt(r, "key group %d: state '%s' is %s here, %s in the checkpoint", key_group, s->name,
              ks_kind_name(s->kind), ks_kind_name(kind));
      return ks_fail(b, SPATE_ESTATE,
                     "restore: state '%s' is registered as %s but the checkpoint holds it as %s",
                     s->name, ks_kind_name(s->kind), ks_kind_name(kind));
    }
    ks_descriptor d = s ? descriptor_of(s) : (ks_descriptor){0};
    /* a one-row state has one entry per record: the table is sized once for them all (count
     * is at most the bytes left / RECORD_MIN, so a false count cannot ask for much more than
     * the input's size) */
    if (s && kind != KS_LIST && kind != KS_MAP &&
        ks_tbl_reserve_n(&b->groups[key_group - b->range.first], count) < 0)
      return ks_fail(b, SPATE_ENOMEM, "out of memory restoring key group %d", key_group);
    uint32_t nf =
        s ? (uint32_t)(kind == KS_AGGREGATING ? s->acc_schema : s->value_schema)->nfields : 0;
    size_t run = r->pos;
    for (uint32_t k = 0; k < count; k++) {
      prefetch_ahead(r, &upto);
      ks_record rec = {.state = s ? s->name : NULL, .kind = kind};
      if (!get_record(r, kind, &rec)) return SPATE_ECORRUPT;
      if (!s) continue;
      if (check_record_rows(&d, &rec, err, sizeof err) < 0)
        return corrupt(r, "key group %d, state '%s', record %u: %s", key_group, s->name, k, err);
      rec.value.nfields = nf;
      int rc = ks_restore_record(b, key_group, &rec);
      if (rc < 0) return rc;
    }
    if (!s) {
      int rc = pending_add(b, name, name_len, kind, key_group, count, r->data + run, r->pos - run);
      if (rc < 0)
        return ks_fail(b, rc, "out of memory setting aside restored state '%.*s'",
                       (int)(name_len > 64 ? 64 : name_len), (const char *)name);
    }
  }
  return 0;
}

/* Before `bytes` of encoded records are restored: if they are many, the entries they become
 * come from the backend's arena (ks_arena.c; the encoding's size is about what its entries
 * take). Returns the arena in use before, which the caller puts back into ks_restore_arena. */
static ks_arena *arena_enter(ks_backend *b, size_t bytes) {
  ks_arena *saved = ks_restore_arena;
  if (bytes >= ARENA_MIN_GROUP) {
    ks_arena_expect(&b->arena, bytes + bytes / 8);
    ks_restore_arena = &b->arena;
  }
  return saved;
}

/* The group is read into an empty table put in its place, and the table it had (with the
 * pending runs it had) goes only once the whole group was read. Failures: a malformed group
 * (SPATE_ECORRUPT), a registered state of another kind (SPATE_ESTATE) or running out of memory
 * put the old table and runs back, so they change nothing, and r carries the error and its
 * offset. */
int ks_read_key_group(ks_backend *b, int key_group, sp_reader *r) {
  int rc = ks_check_group(b, key_group);
  if (rc < 0) return rc;
  if (!sp_reader_ok(r)) return ks_fail(b, SPATE_ECORRUPT, "key group %d: %s", key_group, r->error);
  int gi = key_group - b->range.first;
  if (ks_group_writable(b, gi) < 0)
    return ks_fail(b, SPATE_ENOMEM, "out of memory restoring key group %d", key_group);
  ks_table old = b->groups[gi];
  memset(&b->groups[gi], 0, sizeof b->groups[gi]);
  uint32_t npending = b->npending; /* runs at and after this index are the group's new ones */
  ks_arena *saved = arena_enter(b, r->len - r->pos);
  rc = scan_group(b, key_group, r);
  ks_restore_arena = saved;
  if (rc < 0) {
    ks_table_free(b, &b->groups[gi]); /* entries of this version: freed, never retired */
    b->groups[gi] = old;
    while (b->npending > npending) pending_free_at(b, b->npending - 1);
    if (rc == SPATE_ECORRUPT)
      ks_fail(b, rc, "corrupt keyed state of key group %d: %s", key_group, r->error);
    else if (sp_reader_ok(r))
      sp_reader_fail(r, "keyed state not restored");
    return rc;
  }
  ks_table_free(b, &old);
  drop_pending(b, key_group, npending);
  return 0;
}

/* Checks the pending runs of state d->name against its descriptor before it is registered:
 * the kind must match (SPATE_ESTATE) and every row must be one of the schemas (SPATE_ECORRUPT).
 * Their bytes were validated when they were read. */
int ks_pending_check(ks_backend *b, const ks_descriptor *d) {
  char err[160];
  for (uint32_t i = 0; i < b->npending; i++) {
    const ks_pending *p = &b->pending[i];
    if (strcmp(p->name, d->name) != 0) continue;
    if (p->kind != d->kind)
      return ks_fail(b, SPATE_ESTATE,
                     "state '%s' is registered as %s but was restored from a checkpoint as %s",
                     d->name, ks_kind_name(d->kind), ks_kind_name(p->kind));
    sp_reader r;
    sp_reader_init(&r, p->data, p->len);
    for (uint32_t k = 0; k < p->count; k++) {
      ks_record rec;
      if (!get_record(&r, p->kind, &rec))
        return ks_fail(b, SPATE_ECORRUPT, "restored state '%s': %s", d->name, r.error);
      if (check_record_rows(d, &rec, err, sizeof err) < 0)
        return ks_fail(b, SPATE_ECORRUPT, "restored state '%s', key group %d, record %u: %s",
                       d->name, p->key_group, k, err);
    }
  }
  return 0;
}

/* Drops every entry of state s (the last registered) from every key group. Its entries came
 * from ks_restore_record, which made their groups writable (ks_group_writable), so this never
 * copies a slot array. */
static void drop_state_entries(ks_backend *b, const ks_state *s) {
  int n = ks_key_group_range_size(b->range);
  for (int g = 0; g < n; g++) {
    ks_table *t = &b->groups[g];
    for (uint32_t i = 0; t->slots && i <= t->mask; i++)
      while (t->slots[i] && tbl_at(t, i)->state == s->id) {
        sp_assert(!b->snap || !b->snap->shared[g]);
        ks_remove_entry(b, t, i);
      }
  }
}

/* Inserts the pending runs of the just registered state s and forgets them. On failure
 * (SPATE_ENOMEM) s is unregistered and freed again, its runs stay pending. */
int ks_pending_apply(ks_backend *b, ks_state *s) {
  int rc = 0;
  uint32_t nf = (uint32_t)(s->kind == KS_AGGREGATING ? s->acc_schema : s->value_schema)->nfields;
  size_t bytes = 0;
  for (uint32_t i = 0; i < b->npending; i++)
    if (strcmp(b->pending[i].name, s->name) == 0) bytes += b->pending[i].len;
  ks_arena *saved = arena_enter(b, bytes);
  for (uint32_t i = 0; rc == 0 && i < b->npending; i++) {
    const ks_pending *p = &b->pending[i];
    if (strcmp(p->name, s->name) != 0) continue;
    sp_reader r;
    sp_reader_init(&r, p->data, p->len);
    for (uint32_t k = 0; rc == 0 && k < p->count; k++) {
      ks_record rec = {.state = s->name, .kind = s->kind};
      get_record(&r, p->kind, &rec); /* checked by ks_pending_check */
      rec.value.nfields = nf;
      rc = ks_restore_record(b, p->key_group, &rec);
    }
  }
  ks_restore_arena = saved;
  if (rc < 0) {
    ks_fail(b, rc, "out of memory restoring state '%s'", s->name);
    drop_state_entries(b, s);
    b->nstates--;
    ks_state_free(s);
    return rc;
  }
  for (uint32_t i = 0; i < b->npending;)
    if (strcmp(b->pending[i].name, s->name) == 0)
      pending_free_at(b, i);
    else
      i++;
  return 0;
}

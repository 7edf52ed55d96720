/*
 * ks_states.c: the five kinds of state of the heap keyed-state backend (keyed_state.h): value,
 * list, map, reducing and aggregating, read and written for the current key and namespace, and
 * ks_restore_record, which writes one restored record as its kind stores it. Every write goes
 * through the copy-on-write of ks_table.c; expiry is in ks_ttl.c.
 */
#include <stdbool.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "state/ks_internal.h"
#include "types/row.h"

/* ---------------------------------------------------------------------------------------------
 * The context of a state call. */

static int begin(ks_state *s, ks_kind kind, const char *call, ks_ctx *c) {
  ks_backend *b = s->b;
  if (kind && s->kind != kind)
    return ks_fail(b, SPATE_ESTATE, "%s called on %s state '%s', which is not %s", call,
                   ks_kind_name(s->kind), s->name, ks_kind_name(kind));
  if (!b->has_key)
    return ks_fail(b, SPATE_ESTATE, "%s on state '%s' without a current key", call, s->name);
  int gi = b->key_group - b->range.first;
  if (ks_group_writable(b, gi) < 0) return ks_no_memory(b, s);
  c->t = &b->groups[gi];
  c->key = b->key_len ? b->key : empty_bytes;
  c->key_len = b->key_len;
  c->ns = b->ns_len ? b->ns : empty_bytes;
  c->ns_len = b->ns_len;
  c->key_hash = b->key_hash;
  c->ns_hash = b->ns_hash;
  return 0;
}

static int check_row(ks_state *s, const spate_row *r, uint32_t nfields, const char *what) {
  if (!r || !r->data) return ks_fail(s->b, SPATE_EINVAL, "state '%s': NULL %s", s->name, what);
  if (r->nfields != nfields)
    return ks_fail(s->b, SPATE_EINVAL, "state '%s': %s has %u fields, the schema %u", s->name, what,
                   r->nfields, nfields);
  return 0;
}

static ks_entry *find(const ks_state *s, const ks_ctx *c, uint32_t *slot) {
  return tbl_find(c->t, entry_hash(c->key_hash, c->ns_hash, s->id), s->id, c->key, c->key_len,
                  c->ns, c->ns_len, slot);
}

/* ---------------------------------------------------------------------------------------------
 * Writes. */

/* Stores a one-row payload under (state, key, ns) in t: in place when it fits, else by growing
 * or creating the entry (a frozen one is copied). On failure nothing changed. e is the entry the
 * lookup found at slot, or NULL when there is none. */
static int put_row_at(ks_backend *b, ks_table *t, ks_entry *e, uint32_t slot, uint64_t hash,
                      uint32_t state, const void *key, uint32_t klen, const void *ns,
                      uint32_t nslen, const spate_row *v, int64_t ts, bool word) {
  if (e) { /* in place when no snapshot shares it and the value fits (entry_own's first test) */
    e = entry_own(b, t, slot, e, v->len > e->cap ? v->len : e->cap, 0);
    if (!e) return SPATE_ENOMEM;
  } else {
    if (ks_tbl_reserve(t) < 0) return SPATE_ENOMEM;
    e = ks_entry_new(b, hash, state, key, klen, ns, nslen, v->len, word);
    if (!e) return SPATE_ENOMEM;
    ks_tbl_insert(t, e, hash);
  }
  copy_bytes(e_payload(e), v->data, v->len);
  e->len = v->len;
  e_set_ts(e, ts);
  return 0;
}

/* The same with the lookup. */
static int put_row(ks_backend *b, ks_table *t, uint64_t hash, uint32_t state, const void *key,
                   uint32_t klen, const void *ns, uint32_t nslen, const spate_row *v, int64_t ts,
                   bool word) {
  uint32_t slot = 0;
  ks_entry *e = tbl_find(t, hash, state, key, klen, ns, nslen, &slot);
  return put_row_at(b, t, e, slot, hash, state, key, klen, ns, nslen, v, ts, word);
}

static int put_value(ks_state *s, const ks_ctx *c, const spate_row *v, int64_t ts) {
  int rc = put_row(s->b, c->t, entry_hash(c->key_hash, c->ns_hash, s->id), s->id, c->key,
                   c->key_len, c->ns, c->ns_len, v, ts, s->has_ttl);
  return rc < 0 ? ks_no_memory(s->b, s) : 0;
}

static bool overlaps(const ks_entry *e, const spate_row *v, size_t n) {
  const uint8_t *lo = (const uint8_t *)e;
  const uint8_t *hi = e_payload((ks_entry *)e) + e->cap;
  for (size_t i = 0; i < n; i++)
    if (v[i].data < hi && v[i].data + v[i].len > lo) return true;
  return false;
}

static void write_elems(uint8_t *p, const spate_row *v, size_t n, int64_t ts) {
  for (size_t i = 0; i < n; i++) {
    list_elem h = {ts, v[i].len, 0};
    memcpy(p, &h, sizeof h);
    memcpy(p + sizeof h, v[i].data, v[i].len);
    memset(p + sizeof h + v[i].len, 0, pad8(v[i].len) - v[i].len);
    p += elem_size(v[i].len);
  }
}

/* Appends n rows to the list (replace: makes them the whole list). Rows may be views into this
 * very list; they are then never overwritten before they are copied. A frozen list is copied
 * (or, replaced, just not reused). */
static int list_write(ks_state *s, const ks_ctx *c, const spate_row *v, size_t n, bool replace,
                      int64_t ts) {
  uint64_t need = 0;
  for (size_t i = 0; i < n; i++) {
    int rc = check_row(s, &v[i], s->value_nf, "list element");
    if (rc < 0) return rc;
    need += elem_size(v[i].len);
  }
  uint32_t slot;
  ks_entry *e = find(s, c, &slot);
  uint64_t base = e && !replace ? e->len : 0;
  uint64_t total = base + need;
  if (total > MAX_PAYLOAD || (e && (uint64_t)(replace ? 0 : e_count(e)) + n > UINT32_MAX))
    return ks_fail(s->b, SPATE_EINVAL, "list state '%s' would exceed 4 GiB", s->name);
  if (!e) {
    if (ks_tbl_reserve(c->t) < 0) return ks_no_memory(s->b, s);
    uint64_t hash = entry_hash(c->key_hash, c->ns_hash, s->id);
    e = ks_entry_new(s->b, hash, s->id, c->key, c->key_len, c->ns, c->ns_len, (uint32_t)total,
                     true);
    if (!e) return ks_no_memory(s->b, s);
    write_elems(e_payload(e), v, n, ts);
    e->len = (uint32_t)total;
    e_set_count(e, (uint32_t)n);
    ks_tbl_insert(c->t, e, hash);
    return 0;
  }
  bool overlap = overlaps(e, v, n);
  bool fz = frozen(s->b, e);
  if (!fz && total <= e->cap && !(replace && overlap)) {
    /* Appending writes past the elements the sources may view. */
    write_elems(e_payload(e) + base, v, n, ts);
  } else {
    uint64_t cap = total;
    if (total > e->cap) {
      if (!replace && cap < (uint64_t)e->cap + e->cap / 2) cap = (uint64_t)e->cap + e->cap / 2;
      if (cap > MAX_PAYLOAD) cap = total;
    } else if (fz) {
      cap = e->cap; /* the copy keeps the room the list had */
    }
    if (!fz && !overlap) {
      e = ks_entry_grow(s->b, c->t, slot, e, (uint32_t)cap);
      if (!e) return ks_no_memory(s->b, s);
      write_elems(e_payload(e) + base, v, n, ts);
    } else {
      /* A new allocation: the sources and the frozen list stay intact. */
      ks_entry *ne = ks_entry_new(s->b, e->hash, e->state, e_key(e), e->klen, e_ns(e), e->nslen,
                                  (uint32_t)cap, true);
      if (!ne) return ks_no_memory(s->b, s);
      copy_bytes(e_payload(ne), e_payload(e), base);
      write_elems(e_payload(ne) + base, v, n, ts);
      e_set_count(ne, e_count(e));
      tbl_replace(c->t, slot, ne);
      ks_drop_leaf(s->b, e);
      e = ne;
    }
  }
  e->len = (uint32_t)total;
  e_set_count(e, (replace ? 0 : e_count(e)) + (uint32_t)n);
  return 0;
}

/* Puts (user key -> value) into the map of the context, creating the map entry when needed. */
static int map_put(ks_state *s, const ks_ctx *c, const uint8_t *uk, uint32_t uklen,
                   const spate_row *v, int64_t ts) {
  uint32_t slot;
  ks_entry *outer = find(s, c, &slot);
  bool created = false;
  if (!outer) {
    if (ks_tbl_reserve(c->t) < 0) return ks_no_memory(s->b, s);
    uint64_t hash = entry_hash(c->key_hash, c->ns_hash, s->id);
    outer = ks_entry_new(s->b, hash, s->id, c->key, c->key_len, c->ns, c->ns_len,
                         (uint32_t)sizeof(ks_table), false);
    if (!outer) return ks_no_memory(s->b, s);
    memset(e_map(outer), 0, sizeof(ks_table));
    outer->len = (uint32_t)sizeof(ks_table);
    ks_tbl_insert(c->t, outer, hash);
    created = true;
  } else if (!(outer = ks_map_own(s->b, c->t, slot, outer))) {
    return ks_no_memory(s->b, s);
  }
  ks_table *m = e_map(outer);
  if (put_row(s->b, m, bytes_hash(uk, uklen), 0, uklen ? uk : empty_bytes, uklen, empty_bytes, 0, v,
              ts, s->has_ttl) < 0) {
    if (created && find(s, c, &slot)) ks_remove_entry(s->b, c->t, slot);
    return ks_no_memory(s->b, s);
  }
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * One-row reads (VALUE, REDUCING and the accumulator of AGGREGATING). */

/* Finds the row of the context and applies TTL: 1 with *out (a view, or a scratch copy when an
 * expired value is still returned), 0 when absent or expired and hidden. */
static int read_row(ks_state *s, const ks_ctx *c, spate_row *out) {
  uint32_t slot;
  ks_entry *e = find(s, c, &slot);
  if (!e) return 0;
  uint32_t nf = s->kind == KS_AGGREGATING ? (uint32_t)s->acc_schema->nfields : s->value_nf;
  if (s->has_ttl) {
    int64_t now = now_for(s);
    if (expired(s, e_ts(e), now)) {
      if (!return_expired(s)) {
        ks_remove_entry(s->b, c->t, slot);
        return 0;
      }
      if (ks_scratch_reserve(s->b, e->len) < 0) return ks_no_memory(s->b, s);
      copy_bytes(s->b->scratch, e_payload(e), e->len);
      *out = (spate_row){s->b->scratch, e->len, nf};
      ks_remove_entry(s->b, c->t, slot);
      return 1;
    }
    if (touch_on_read(s) && e_ts(e) != now) {
      if (!(e = entry_own(s->b, c->t, slot, e, e->cap, e->len))) return ks_no_memory(s->b, s);
      e_set_ts(e, now);
    }
  }
  *out = (spate_row){e_payload(e), e->len, nf};
  return 1;
}

/* ---------------------------------------------------------------------------------------------
 * The public state calls. */

int ks_clear(ks_state *s) {
  ks_ctx c;
  int rc = begin(s, 0, "ks_clear", &c);
  if (rc < 0) return rc;
  uint32_t slot;
  if (find(s, &c, &slot)) ks_remove_entry(s->b, c.t, slot);
  return 0;
}

int ks_value_get(ks_state *s, spate_row *out) {
  ks_ctx c;
  int rc = begin(s, KS_VALUE, "ks_value_get", &c);
  return rc < 0 ? rc : read_row(s, &c, out);
}

int ks_value_update(ks_state *s, const spate_row *value) {
  if (!value) return ks_clear(s);
  ks_ctx c;
  int rc = begin(s, KS_VALUE, "ks_value_update", &c);
  if (rc == 0) rc = check_row(s, value, s->value_nf, "value");
  if (rc < 0) return rc;
  return put_value(s, &c, value, now_for(s));
}

int ks_value_get_writable(ks_state *s, spate_row *out) {
  ks_ctx c;
  int rc = begin(s, KS_VALUE, "ks_value_get_writable", &c);
  if (rc < 0) return rc;
  uint32_t slot;
  ks_entry *e = find(s, &c, &slot);
  if (!e) return 0;
  int64_t now = now_for(s);
  if (expired(s, e_ts(e), now)) {
    ks_remove_entry(s->b, c.t, slot);
    return 0;
  }
  if (!(e = entry_own(s->b, c.t, slot, e, e->cap, e->len))) return ks_no_memory(s->b, s);
  e_set_ts(e, now);
  *out = (spate_row){e_payload(e), e->len, s->value_nf};
  return 1;
}

int ks_list_get(ks_state *s, ks_list_iter *it) {
  it->p = it->end = NULL;
  it->nfields = s->value_nf;
  ks_ctx c;
  int rc = begin(s, KS_LIST, "ks_list_get", &c);
  if (rc < 0) return rc;
  uint32_t slot;
  ks_entry *e = find(s, &c, &slot);
  if (!e) return 0;
  if (s->has_ttl) {
    int64_t now = now_for(s);
    uint32_t nexp = ks_list_expired(s, e, now);
    uint32_t total = e_count(e);
    bool keep = nexp > 0 && return_expired(s);
    if (keep) {
      /* Return all elements once, as Flink's collected list; the storage keeps the live ones. */
      if (ks_scratch_reserve(s->b, e->len) < 0) return ks_no_memory(s->b, s);
      copy_bytes(s->b->scratch, e_payload(e), e->len);
      it->p = s->b->scratch;
      it->end = s->b->scratch + e->len;
    }
    if (nexp == total) {
      ks_remove_entry(s->b, c.t, slot);
      return keep ? (int)total : 0;
    }
    if (nexp > 0 || touch_on_read(s)) {
      if (!(e = entry_own(s->b, c.t, slot, e, e->cap, e->len))) return ks_no_memory(s->b, s);
      ks_list_compact(s, e, now, touch_on_read(s));
    }
    if (keep) return (int)total;
  }
  it->p = e_payload(e);
  it->end = it->p + e->len;
  return (int)e_count(e);
}

bool ks_list_next(ks_list_iter *it, spate_row *out) {
  if (!it->p || it->p >= it->end) return false;
  list_elem h;
  memcpy(&h, it->p, sizeof h);
  *out = (spate_row){it->p + sizeof h, h.len, it->nfields};
  it->p += elem_size(h.len);
  return true;
}

int ks_list_add(ks_state *s, const spate_row *value) { return ks_list_add_all(s, value, 1); }

int ks_list_add_all(ks_state *s, const spate_row *values, size_t n) {
  ks_ctx c;
  int rc = begin(s, KS_LIST, "ks_list_add", &c);
  if (rc < 0 || n == 0) return rc;
  if (!values) return ks_fail(s->b, SPATE_EINVAL, "state '%s': NULL list element", s->name);
  return list_write(s, &c, values, n, false, now_for(s));
}

int ks_list_update(ks_state *s, const spate_row *values, size_t n) {
  ks_ctx c;
  int rc = begin(s, KS_LIST, "ks_list_update", &c);
  if (rc < 0) return rc;
  if (n == 0) return ks_clear(s);
  if (!values) return ks_fail(s->b, SPATE_EINVAL, "state '%s': NULL list element", s->name);
  return list_write(s, &c, values, n, true, now_for(s));
}

/* Looks up a user key: the map (outer entry + slot) and the nested entry + slot. */
typedef struct map_hit {
  ks_entry *outer, *e;
  uint32_t outer_slot, slot;
} map_hit;

static int map_begin(ks_state *s, const char *call, const spate_row *uk, ks_ctx *c, map_hit *h) {
  int rc = begin(s, KS_MAP, call, c);
  if (rc == 0) rc = check_row(s, uk, s->user_key_nf, "user key");
  if (rc < 0) return rc;
  h->e = NULL;
  h->outer = find(s, c, &h->outer_slot);
  if (h->outer)
    h->e = tbl_find(e_map(h->outer), bytes_hash(uk->data, uk->len), 0, uk->data, uk->len,
                    empty_bytes, 0, &h->slot);
  return 0;
}

/* Removes the nested entry of a hit, and the map itself when that was its last entry. Fails
 * (SPATE_ENOMEM, nothing changed) only when a frozen map must be copied and cannot be. */
static int map_remove_hit(ks_state *s, ks_ctx *c, map_hit *h) {
  if (e_map(h->outer)->count == 1) {
    ks_remove_entry(s->b, c->t, h->outer_slot);
    h->outer = h->e = NULL;
    return 0;
  }
  ks_entry *outer = ks_map_own(s->b, c->t, h->outer_slot, h->outer);
  if (!outer) return ks_no_memory(s->b, s);
  h->outer = outer;
  ks_tbl_remove_at(e_map(outer), h->slot); /* a copied slot array has the same layout */
  ks_drop_leaf(s->b, h->e);
  h->e = NULL;
  return 0;
}

/* Makes the nested entry of a hit writable (copying a frozen map and entry). */
static int map_own_hit(ks_state *s, ks_ctx *c, map_hit *h) {
  ks_entry *outer = ks_map_own(s->b, c->t, h->outer_slot, h->outer);
  if (!outer) return ks_no_memory(s->b, s);
  h->outer = outer;
  ks_entry *e = entry_own(s->b, e_map(outer), h->slot, h->e, h->e->cap, h->e->len);
  if (!e) return ks_no_memory(s->b, s);
  h->e = e;
  return 0;
}

/* TTL check of a map hit: 1 readable (with ts touched), 0 gone. With out an expired entry that
 * is still returned is copied to scratch first (*out). */
static int map_read(ks_state *s, ks_ctx *c, map_hit *h, spate_row *out) {
  if (!h->e) return 0;
  ks_entry *e = h->e;
  if (s->has_ttl) {
    int64_t now = now_for(s);
    if (expired(s, e_ts(e), now)) {
      int r = 0;
      if (return_expired(s)) {
        if (out) {
          if (ks_scratch_reserve(s->b, e->len) < 0) return ks_no_memory(s->b, s);
          copy_bytes(s->b->scratch, e_payload(e), e->len);
          *out = (spate_row){s->b->scratch, e->len, s->value_nf};
        }
        r = 1;
      }
      int rc = map_remove_hit(s, c, h);
      return rc < 0 ? rc : r;
    }
    if (touch_on_read(s) && e_ts(e) != now) {
      int rc = map_own_hit(s, c, h);
      if (rc < 0) return rc;
      e = h->e;
      e_set_ts(e, now);
    }
  }
  if (out) *out = (spate_row){e_payload(e), e->len, s->value_nf};
  return 1;
}

int ks_map_get(ks_state *s, const spate_row *user_key, spate_row *out) {
  ks_ctx c;
  map_hit h;
  int rc = map_begin(s, "ks_map_get", user_key, &c, &h);
  return rc < 0 ? rc : map_read(s, &c, &h, out);
}

int ks_map_contains(ks_state *s, const spate_row *user_key) {
  ks_ctx c;
  map_hit h;
  int rc = map_begin(s, "ks_map_contains", user_key, &c, &h);
  return rc < 0 ? rc : map_read(s, &c, &h, NULL);
}

int ks_map_put(ks_state *s, const spate_row *user_key, const spate_row *value) {
  ks_ctx c;
  int rc = begin(s, KS_MAP, "ks_map_put", &c);
  if (rc == 0) rc = check_row(s, user_key, s->user_key_nf, "user key");
  if (rc == 0) rc = check_row(s, value, s->value_nf, "map value");
  if (rc < 0) return rc;
  return map_put(s, &c, user_key->data, user_key->len, value, now_for(s));
}

int ks_map_remove(ks_state *s, const spate_row *user_key) {
  ks_ctx c;
  map_hit h;
  int rc = map_begin(s, "ks_map_remove", user_key, &c, &h);
  if (rc < 0 || !h.e) return rc;
  rc = map_remove_hit(s, &c, &h);
  return rc < 0 ? rc : 1;
}

int ks_map_is_empty(ks_state *s) {
  ks_ctx c;
  int rc = begin(s, KS_MAP, "ks_map_is_empty", &c);
  if (rc < 0) return rc;
  uint32_t slot;
  ks_entry *outer = find(s, &c, &slot);
  if (!outer) return 1;
  uint32_t removed = 0;
  if (ks_map_expire(s, c.t, slot, &outer, now_for(s), false, &removed, NULL) < 0)
    return ks_no_memory(s->b, s);
  bool live = outer != NULL;
  /* An expired entry read now is still visible once under RETURN_EXPIRED_IF_NOT_CLEANED_UP. */
  return !(live || (removed > 0 && return_expired(s)));
}

/* Makes a map and all its nested entries writable, for an iteration that touches every entry
 * it yields (KS_TTL_ON_READ_AND_WRITE). A failure half way changed nothing visible: copies of
 * frozen entries equal them. */
static int map_own_all(ks_state *s, ks_table *t, uint32_t slot, ks_entry **outer) {
  ks_backend *b = s->b;
  if (!b->snap) return 0;
  ks_entry *o = ks_map_own(b, t, slot, *outer);
  if (!o) return ks_no_memory(b, s);
  *outer = o;
  ks_table *m = e_map(o);
  for (uint32_t i = 0; m->slots && i <= m->mask; i++) {
    ks_entry *e = tbl_at(m, i);
    if (e && frozen(b, e) && !entry_own(b, m, i, e, e->cap, e->len)) return ks_no_memory(b, s);
  }
  return 0;
}

int ks_map_iter_begin(ks_state *s, ks_map_iter *it) {
  memset(it, 0, sizeof *it);
  it->s = s;
  ks_ctx c;
  int rc = begin(s, KS_MAP, "ks_map_iter_begin", &c);
  if (rc < 0) return rc;
  uint32_t slot;
  ks_entry *outer = find(s, &c, &slot);
  if (!outer) return 0;
  uint32_t removed = 0;
  size_t copied = 0;
  it->now = now_for(s);
  if (touch_on_read(s) && (rc = map_own_all(s, c.t, slot, &outer)) < 0) return rc;
  if (s->has_ttl) {
    rc = ks_map_expire(s, c.t, slot, &outer, it->now, return_expired(s), &removed, &copied);
    if (rc < 0) return ks_no_memory(s->b, s);
    if (copied) {
      it->xp = s->b->scratch;
      it->xend = s->b->scratch + copied;
    }
  }
  uint32_t live = outer ? e_map(outer)->count : 0;
  if (live) it->table = e_map(outer);
  return (int)(live + (copied ? removed : 0));
}

bool ks_map_next(ks_map_iter *it, spate_row *user_key, spate_row *value) {
  ks_state *s = it->s;
  ks_table *m = it->table;
  while (m && it->slot <= m->mask) {
    ks_entry *e = tbl_at(m, it->slot++);
    if (!e) continue;
    if (touch_on_read(s)) e_set_ts(e, it->now);
    if (user_key) *user_key = (spate_row){e_key(e), e->klen, s->user_key_nf};
    if (value) *value = (spate_row){e_payload(e), e->len, s->value_nf};
    return true;
  }
  it->table = NULL;
  if (!it->xp || it->xp >= it->xend) return false;
  uint32_t kl, vl;
  memcpy(&kl, it->xp, 4);
  memcpy(&vl, it->xp + 4, 4);
  if (user_key) *user_key = (spate_row){it->xp + 8, kl, s->user_key_nf};
  if (value) *value = (spate_row){it->xp + 8 + pad8(kl), vl, s->value_nf};
  it->xp += 8 + pad8(kl) + pad8(vl);
  return true;
}

/* One lookup: the entry found is reduced into and written in place (or grown at its slot).
 * The reduce function writes its builder, never the entry (acc is a view of it), so the entry
 * stays where the lookup found it until the result is copied in. */
int ks_reducing_add_created(ks_state *s, const spate_row *value) {
  ks_ctx c;
  int rc = begin(s, KS_REDUCING, "ks_reducing_add", &c);
  if (rc == 0) rc = check_row(s, value, s->value_nf, "value");
  if (rc < 0) return rc;
  int64_t now = now_for(s);
  uint64_t hash = entry_hash(c.key_hash, c.ns_hash, s->id);
  uint32_t slot = 0;
  ks_entry *e = tbl_find(c.t, hash, s->id, c.key, c.key_len, c.ns, c.ns_len, &slot);
  const spate_row *v = value;
  spate_row res;
  bool created = !e || expired(s, e_ts(e), now);
  if (!created) {
    spate_row acc = {e_payload(e), e->len, s->value_nf};
    spate_rb_begin(&s->rb_out);
    rc = s->reduce(s->fn_arg, &acc, value, &s->rb_out);
    if (rc < 0) return ks_fail(s->b, rc, "reduce function of state '%s' failed (%d)", s->name, rc);
    if (spate_rb_finish(&s->rb_out, &res) < 0)
      return ks_fail(s->b, SPATE_EINVAL, "reduce function of state '%s': %s", s->name,
                     spate_rb_error(&s->rb_out));
    v = &res;
  }
  rc = put_row_at(s->b, c.t, e, slot, hash, s->id, c.key, c.key_len, c.ns, c.ns_len, v, now,
                  s->has_ttl);
  if (rc < 0) return ks_no_memory(s->b, s);
  return created ? 1 : 0;
}

int ks_reducing_add(ks_state *s, const spate_row *value) {
  int rc = ks_reducing_add_created(s, value);
  return rc < 0 ? rc : 0;
}

int ks_reducing_get(ks_state *s, spate_row *out) {
  ks_ctx c;
  int rc = begin(s, KS_REDUCING, "ks_reducing_get", &c);
  return rc < 0 ? rc : read_row(s, &c, out);
}

int ks_aggregating_add(ks_state *s, const spate_row *value) {
  ks_ctx c;
  int rc = begin(s, KS_AGGREGATING, "ks_aggregating_add", &c);
  if (rc == 0) rc = check_row(s, value, s->value_nf, "value");
  if (rc < 0) return rc;
  int64_t now = now_for(s);
  uint32_t acc_nf = (uint32_t)s->acc_schema->nfields;
  /* One lookup, as for REDUCING: the functions only write builders, so the entry found stays
   * at its slot until the result is written into it. An expired accumulator is ignored whatever
   * the visibility, as Flink's TTL aggregate function does. */
  uint64_t hash = entry_hash(c.key_hash, c.ns_hash, s->id);
  uint32_t slot = 0;
  ks_entry *e = tbl_find(c.t, hash, s->id, c.key, c.key_len, c.ns, c.ns_len, &slot);
  spate_row acc, res;
  const spate_row *accp = &acc;
  if (e && !expired(s, e_ts(e), now)) {
    acc = (spate_row){e_payload(e), e->len, acc_nf};
  } else {
    accp = NULL;
    if (s->agg_create) {
      spate_rb_begin(&s->rb_init);
      rc = s->agg_create(s->fn_arg, &s->rb_init);
      if (rc < 0)
        return ks_fail(s->b, rc, "create-accumulator of state '%s' failed (%d)", s->name, rc);
      if (spate_rb_finish(&s->rb_init, &acc) < 0)
        return ks_fail(s->b, SPATE_EINVAL, "create-accumulator of state '%s': %s", s->name,
                       spate_rb_error(&s->rb_init));
      accp = &acc;
    }
  }
  spate_rb_begin(&s->rb_out);
  rc = s->agg_add(s->fn_arg, accp, value, &s->rb_out);
  if (rc < 0) return ks_fail(s->b, rc, "add function of state '%s' failed (%d)", s->name, rc);
  if (spate_rb_finish(&s->rb_out, &res) < 0)
    return ks_fail(s->b, SPATE_EINVAL, "add function of state '%s': %s", s->name,
                   spate_rb_error(&s->rb_out));
  rc = put_row_at(s->b, c.t, e, slot, hash, s->id, c.key, c.key_len, c.ns, c.ns_len, &res, now,
                  s->has_ttl);
  return rc < 0 ? ks_no_memory(s->b, s) : 0;
}

int ks_aggregating_get(ks_state *s, spate_row *out) {
  ks_ctx c;
  int rc = begin(s, KS_AGGREGATING, "ks_aggregating_get", &c);
  if (rc < 0) return rc;
  spate_row acc, res;
  rc = read_row(s, &c, &acc);
  if (rc <= 0) return rc;
  spate_rb_begin(&s->rb_result);
  rc = s->agg_result(s->fn_arg, &acc, &s->rb_result);
  if (rc < 0) return ks_fail(s->b, rc, "get-result of state '%s' failed (%d)", s->name, rc);
  if (spate_rb_finish(&s->rb_result, &res) < 0)
    return ks_fail(s->b, SPATE_EINVAL, "get-result of state '%s': %s", s->name,
                   spate_rb_error(&s->rb_result));
  *out = res;
  return 1;
}

/* ---------------------------------------------------------------------------------------------
 * Restore of one record (ks_codec.c reads a key group's records through here). */

int ks_restore_record(ks_backend *b, int key_group, const ks_record *rec) {
  int rc = ks_check_group(b, key_group);
  if (rc < 0) return rc;
  ks_state *s = rec->state ? ks_find_state(b, rec->state) : NULL;
  if (!s)
    return ks_fail(b, SPATE_ESTATE, "restore: unknown state '%s'",
                   rec->state ? rec->state : "(null)");
  if (s->kind != rec->kind)
    return ks_fail(b, SPATE_ESTATE, "restore: state '%s' is %s, the record %s", s->name,
                   ks_kind_name(s->kind), ks_kind_name(rec->kind));
  if ((!rec->key && rec->key_len) || (!rec->ns && rec->ns_len))
    return ks_fail(b, SPATE_EINVAL, "restore: NULL key or namespace bytes");
  if (rec->ns_len > KS_MAX_NAMESPACE)
    return ks_fail(b, SPATE_EINVAL, "restore: state '%s': namespace of %u bytes (at most %u)",
                   s->name, rec->ns_len, (unsigned)KS_MAX_NAMESPACE);
  uint32_t nf = s->kind == KS_AGGREGATING ? (uint32_t)s->acc_schema->nfields : s->value_nf;
  if ((rc = check_row(s, &rec->value, nf, "restored value")) < 0) return rc;
  if (ks_group_writable(b, key_group - b->range.first) < 0) return ks_no_memory(b, s);
  ks_ctx c = {.t = &b->groups[key_group - b->range.first],
              .key = rec->key_len ? rec->key : empty_bytes,
              .key_len = rec->key_len,
              .ns = rec->ns_len ? rec->ns : empty_bytes,
              .ns_len = rec->ns_len};
  c.key_hash = bytes_hash(c.key, c.key_len);
  c.ns_hash = c.ns_len ? bytes_hash(c.ns, c.ns_len) : b->empty_ns_hash;
  int64_t ts = s->has_ttl ? rec->ttl_ts : 0;
  switch (s->kind) {
  case KS_LIST: return list_write(s, &c, &rec->value, 1, false, ts);
  case KS_MAP:
    if (!rec->user_key && rec->user_key_len)
      return ks_fail(b, SPATE_EINVAL, "restore: NULL user key bytes");
    return map_put(s, &c, rec->user_key, rec->user_key_len, &rec->value, ts);
  default: return put_value(s, &c, &rec->value, ts);
  }
}

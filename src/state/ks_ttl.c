/*
 * ks_ttl.c: TTL of the heap keyed-state backend (Flink's StateTtlConfig, see keyed_state.h):
 * the scratch area for expired values that are still returned, the expiry of list elements and
 * map entries, and ks_ttl_cleanup_full. The tests whether a value has expired are inline in
 * ks_internal.h (every read of a state with TTL runs them).
 */
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "state/ks_internal.h"

/* ---------------------------------------------------------------------------------------------
 * Expiry. */

int ks_scratch_reserve(ks_backend *b, size_t n) {
  if (n <= b->scratch_cap) return 0;
  size_t cap = b->scratch_cap * 2 > n ? b->scratch_cap * 2 : n;
  uint8_t *p = sp_realloc(b->scratch, cap);
  if (!p) return SPATE_ENOMEM;
  b->scratch = p;
  b->scratch_cap = cap;
  return 0;
}

/* The number of expired elements of a LIST entry. */
uint32_t ks_list_expired(const ks_state *s, ks_entry *e, int64_t now) {
  uint32_t n = 0;
  for (const uint8_t *p = e_payload(e), *end = p + e->len; p < end;) {
    list_elem h;
    memcpy(&h, p, sizeof h);
    n += expired(s, h.ts, now);
    p += elem_size(h.len);
  }
  return n;
}

/* Removes the expired elements of a LIST entry in place (keeping order) and stamps the others
 * with now when reads count as access. Returns the number removed. e must not be frozen. */
uint32_t ks_list_compact(const ks_state *s, ks_entry *e, int64_t now, bool touch) {
  uint8_t *p = e_payload(e), *w = p, *end = p + e->len;
  uint32_t removed = 0;
  while (p < end) {
    list_elem h;
    memcpy(&h, p, sizeof h);
    uint32_t sz = elem_size(h.len);
    if (expired(s, h.ts, now)) {
      removed++;
    } else {
      if (touch) h.ts = now;
      if (w != p) memmove(w, p, sz);
      memcpy(w, &h, sizeof h);
      w += sz;
    }
    p += sz;
  }
  e->len = (uint32_t)(w - e_payload(e));
  e_set_count(e, e_count(e) - removed);
  return removed;
}

/* Removes the expired entries of the map *outer at t->slots[slot]. With keep_copy the removed
 * ones are first copied to the scratch area as {u32 klen, u32 vlen, key padded, value padded}
 * records (*copied = bytes). When every entry expired the map itself is removed and *outer set
 * to NULL; otherwise *outer is the map afterwards (a copy of a frozen one). Fails only when
 * memory for that copy or the scratch copy cannot be allocated, and then changes nothing. */
int ks_map_expire(ks_state *s, ks_table *t, uint32_t slot, ks_entry **outer, int64_t now,
                  bool keep_copy, uint32_t *removed, size_t *copied) {
  ks_table *m = e_map(*outer);
  *removed = 0;
  if (copied) *copied = 0;
  if (!m->slots || !s->has_ttl) return 0;
  size_t need = 0;
  uint32_t n = 0;
  for (uint32_t i = 0; i <= m->mask; i++) {
    ks_entry *e = tbl_at(m, i);
    if (e && expired(s, e_ts(e), now)) {
      n++;
      need += 8 + pad8(e->klen) + pad8(e->len);
    }
  }
  if (n == 0) return 0;
  if (keep_copy && ks_scratch_reserve(s->b, need) < 0) return SPATE_ENOMEM;
  bool all = n == m->count;
  if (!all) {
    /* Entries leave the nested table: a frozen map is copied first (the whole map goes without
     * a copy below). */
    ks_entry *o = ks_map_own(s->b, t, slot, *outer);
    if (!o) return SPATE_ENOMEM;
    *outer = o;
    m = e_map(o);
  }
  uint8_t *w = s->b->scratch;
  for (uint32_t i = 0; i <= m->mask; i++) {
    for (;;) {
      ks_entry *e = tbl_at(m, i);
      if (!e || !expired(s, e_ts(e), now)) break;
      if (keep_copy) {
        memcpy(w, &e->klen, 4);
        memcpy(w + 4, &e->len, 4);
        copy_bytes(w + 8, e_key(e), e->klen);
        copy_bytes(w + 8 + pad8(e->klen), e_payload(e), e->len);
        w += 8 + pad8(e->klen) + pad8(e->len);
      }
      if (all) break; /* copies only: the map goes whole */
      ks_tbl_remove_at(m, i);
      ks_drop_leaf(s->b, e);
    }
  }
  if (all) {
    ks_remove_entry(s->b, t, slot);
    *outer = NULL;
  }
  *removed = n;
  if (copied) *copied = keep_copy ? need : 0;
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Cleanup of everything expired. */

int64_t ks_ttl_cleanup_full(ks_backend *b) {
  int64_t removed = 0;
  bool any = false;
  for (uint32_t i = 0; i < b->nstates; i++) any |= b->states[i]->has_ttl;
  if (!any) return 0;
  int64_t now = b->clock(b->clock_arg);
  int n = ks_key_group_range_size(b->range);
  for (int g = 0; g < n; g++) {
    ks_table *t = &b->groups[g];
    /* a group the snapshot shares and that cannot be copied keeps its expired values until a
     * later cleanup, as a frozen list that cannot be copied does */
    if (!t->slots || ks_group_writable(b, g) < 0) continue;
    for (uint32_t i = 0; i <= t->mask; i++) {
      /* Re-check slot i after a removal: the backward shift may have moved another entry in. */
      for (;;) {
        ks_entry *e = tbl_at(t, i);
        if (!e) break;
        ks_state *s = b->states[e->state];
        if (!s->has_ttl) break;
        bool gone;
        if (s->kind == KS_LIST) {
          uint32_t r;
          if (!frozen(b, e)) {
            r = ks_list_compact(s, e, now, false);
            gone = e_count(e) == 0;
          } else {
            /* A frozen list that keeps some elements is copied; when that fails it keeps its
             * expired elements until a later cleanup. */
            r = ks_list_expired(s, e, now);
            gone = r == e_count(e);
            if (r > 0 && !gone) {
              if (!(e = entry_own(b, t, i, e, e->cap, e->len))) break;
              ks_list_compact(s, e, now, false);
            }
          }
          removed += r;
        } else if (s->kind == KS_MAP) {
          /* Removes the map itself when all expired; a failed copy of a frozen map leaves it. */
          uint32_t r = 0;
          if (ks_map_expire(s, t, i, &e, now, false, &r, NULL) < 0) break;
          removed += r;
          if (!e) continue; /* removed: look at slot i again */
          gone = false;
        } else {
          gone = expired(s, e_ts(e), now);
          removed += gone;
        }
        if (!gone) break;
        ks_remove_entry(b, t, i);
      }
    }
  }
  return removed;
}

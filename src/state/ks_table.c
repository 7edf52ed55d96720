/*
 * ks_table.c: the hash table of the heap keyed-state backend, one per key group and one nested
 * in every MAP entry (the layout of its entries is in ks_internal.h), and its copy-on-write.
 *
 * It is a table of its own, not base/'s, because of copy-on-write (Flink's CopyOnWriteStateMap
 * is its own table for the same reason): an entry carries the backend's version when it was
 * made; while a snapshot is active an entry of an older version is frozen, so a write copies it
 * first (entry_own, ks_map_own) and an entry leaving the table is retired onto the snapshot's
 * lists instead of freed (ks_drop_leaf, ks_remove_entry); a key group's slot array is copied
 * before the owner first touches the group during a snapshot (ks_group_writable, ks_snapshot.c). The lookup (tbl_find) and entry_own are inline in ks_internal.h, since
 * every state access runs them.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/err.h"
#include "state/ks_internal.h"

/* ---------------------------------------------------------------------------------------------
 * Entries and tables. */

/* Puts slot value sl (an entry with its tag) into its probe run. The home slot comes from the
 * entry's stored hash: tables never exceed 2^30 slots, so its low 32 bits suffice. */
static void tbl_place(ks_slot *slots, uint32_t mask, ks_slot sl) {
  uint32_t i = slot_entry(sl)->hash & mask;
  while (slots[i]) i = (i + 1) & mask;
  slots[i] = sl;
}

/* Moves every entry into a new slot array of ncap (a power of two) slots; on failure the table
 * is unchanged. */
static int tbl_resize(ks_table *t, uint64_t ncap) {
  if (ncap > TABLE_MAX_CAP) return SPATE_ENOMEM;
  ks_slot *ns = sp_calloc((size_t)ncap, sizeof *ns);
  if (!ns) return SPATE_ENOMEM;
  uint64_t cap = t->slots ? (uint64_t)t->mask + 1 : 0;
  for (uint64_t i = 0; i < cap; i++)
    if (t->slots[i]) tbl_place(ns, (uint32_t)ncap - 1, t->slots[i]);
  sp_free(t->slots);
  t->slots = ns;
  t->mask = (uint32_t)ncap - 1;
  return 0;
}

/* Makes room for one more entry; on failure the table is unchanged. */
int ks_tbl_reserve(ks_table *t) {
  if (!t->slots) return tbl_resize(t, TABLE_MIN_CAP);
  uint64_t cap = (uint64_t)t->mask + 1;
  if ((uint64_t)(t->count + 1) * 4 <= cap * 3) return 0;
  return tbl_resize(t, cap * 2);
}

/* Makes room for n more entries at once, growing the table at most once: a restore knows how
 * many entries a key group gets, and growing step by step would move every entry about twice.
 * On failure the table is unchanged. */
int ks_tbl_reserve_n(ks_table *t, uint32_t n) {
  uint64_t want = (uint64_t)t->count + n, cap = t->slots ? (uint64_t)t->mask + 1 : 0;
  if (want * 4 <= cap * 3) return 0;
  uint64_t ncap = TABLE_MIN_CAP;
  while (want * 4 > ncap * 3) ncap *= 2;
  return tbl_resize(t, ncap);
}

ks_slot *ks_tbl_copy_slots(const ks_table *t) {
  size_t bytes = ((size_t)t->mask + 1) * sizeof *t->slots;
  ks_slot *copy = sp_malloc(bytes);
  if (copy) memcpy(copy, t->slots, bytes);
  return copy;
}

void ks_tbl_insert(ks_table *t, ks_entry *e, uint64_t hash) {
  sp_assert(t->count <= t->mask); /* the caller grew the table: a free slot ends every probe */
  tbl_place(t->slots, t->mask, make_slot(hash, e));
  t->count++;
}

/* Empties slot i and shifts later members of its probe run back, so that every entry stays
 * reachable from its home slot without tombstones. Entries only move to slots between the hole
 * and their old slot (cyclically), which keeps a forward scan that re-checks slot i correct. */
void ks_tbl_remove_at(ks_table *t, uint32_t i) {
  uint32_t mask = t->mask;
  sp_assert(i <= mask && t->slots[i] != 0 && t->count > 0);
  t->slots[i] = 0;
  t->count--;
  for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    ks_slot sl = t->slots[j];
    if (!sl) return;
    uint32_t home = slot_entry(sl)->hash & mask;
    bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (stays) continue;
    t->slots[i] = sl;
    t->slots[j] = 0;
    i = j;
  }
}

/* Entry memory (ks_internal.h): the slab for small entries, sp_malloc for the rest, the arena
 * for restored ones. */
void *ks_entry_mem(ks_backend *b, size_t n) {
  return n <= KS_SLAB_MAX ? sp_slab_alloc(&b->slab, n) : sp_malloc(n);
}

void ks_entry_free(ks_backend *b, ks_entry *e) {
  if (!e) return;
  if (ks_arena_owns(e)) {
    ks_arena_release(e);
    return;
  }
  size_t n = ks_entry_size(e);
  if (n <= KS_SLAB_MAX)
    sp_slab_free(&b->slab, e, n);
  else
    sp_free(e);
}

ks_entry *ks_entry_new(ks_backend *b, uint64_t hash, uint32_t state, const void *key, uint32_t klen,
                       const void *ns, uint32_t nslen, uint32_t cap, bool word) {
  size_t hdr = e_header_size(klen, nslen, word);
  ks_entry *e = ks_restore_arena ? ks_arena_alloc(ks_restore_arena, hdr + cap) : NULL;
  if (!e) {
    cap = ks_entry_cap(hdr, cap);
    e = ks_entry_mem(b, hdr + cap);
  }
  if (!e) return NULL;
  memset(e, 0, hdr);
  e->version = b->version;
  e->hash = (uint32_t)hash;
  e->state = state & KS_MAX_STATES;
  e->has_word = word;
  e->klen = klen;
  e->nslen = nslen;
  e->cap = cap;
  copy_bytes(e_key(e), key, klen);
  copy_bytes(e_ns(e), ns, nslen);
  return e;
}

/* Grows e's payload to cap bytes (moving it); the slot is updated. NULL: no memory, e intact.
 * Never for a frozen entry (entry_own copies those). Entries restored into an arena block or
 * small enough for the slab move to a new allocation; large ones are reallocated. */
ks_entry *ks_entry_grow(ks_backend *b, ks_table *t, uint32_t slot, ks_entry *e, uint32_t cap) {
  size_t hdr = e_hdr(e);
  ks_entry *n;
  if (ks_arena_owns(e) || ks_entry_size(e) <= KS_SLAB_MAX || hdr + cap <= KS_SLAB_MAX) {
    cap = ks_entry_cap(hdr, cap);
    if (!(n = ks_entry_mem(b, hdr + cap))) return NULL;
    memcpy(n, e, hdr + (e->cap < cap ? e->cap : cap));
    ks_entry_free(b, e);
  } else if (!(n = sp_realloc(e, hdr + cap))) {
    return NULL;
  }
  n->cap = cap;
  tbl_replace(t, slot, n);
  return n;
}

void ks_tbl_free_leaf(ks_backend *b, ks_table *t) {
  if (!t->slots) return;
  for (uint32_t i = 0; i <= t->mask; i++) ks_entry_free(b, tbl_at(t, i));
  sp_free(t->slots);
  memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------------------------------------
 * Copy-on-write: every write to an entry and every release of one goes through here. */

/* Releases an entry of one allocation (one-row, list or nested map entry) that just left its
 * live table: freed, or kept for the snapshot when frozen. */
void ks_drop_leaf(ks_backend *b, ks_entry *e) {
  if (frozen(b, e))
    retire(&b->snap->retired, e);
  else
    ks_entry_free(b, e);
}

/* Releases a top-level entry that just left its key group's table. A MAP entry that is not
 * frozen owns its nested slot array, but its nested entries may be frozen (shared with the
 * frozen entry it was copied from), so they are released one by one. A frozen MAP entry was
 * never written since the snapshot began, so it owns all of its nested table. */
static void drop_entry(ks_backend *b, ks_entry *e) {
  if (b->states[e->state]->kind != KS_MAP) {
    ks_drop_leaf(b, e);
    return;
  }
  if (frozen(b, e)) {
    retire(&b->snap->retired_maps, e);
    return;
  }
  ks_table *m = e_map(e);
  for (uint32_t i = 0; m->slots && i <= m->mask; i++)
    if (m->slots[i]) ks_drop_leaf(b, tbl_at(m, i));
  sp_free(m->slots);
  ks_entry_free(b, e);
}

/* entry_own (ks_internal.h) for a MAP entry at t->slots[slot], whose nested table is about to
 * change: a frozen one is copied with a copy of its nested slot array (the nested entries are
 * shared; each is copied by entry_own when written). NULL when out of memory, nothing changed. */
ks_entry *ks_map_own(ks_backend *b, ks_table *t, uint32_t slot, ks_entry *e) {
  if (!frozen(b, e)) return e;
  const ks_table *m = e_map(e);
  ks_slot *slots = NULL;
  if (m->slots && !(slots = ks_tbl_copy_slots(m))) return NULL;
  size_t hdr = e_hdr(e);
  ks_entry *n = ks_entry_mem(b, hdr + e->cap);
  if (!n) {
    sp_free(slots);
    return NULL;
  }
  memcpy(n, e, hdr + e->len);
  n->version = b->version;
  e_map(n)->slots = slots;
  tbl_replace(t, slot, n);
  retire(&b->snap->retired_shells, e);
  return n;
}

void ks_table_free(ks_backend *b, ks_table *t) {
  if (!t->slots) return;
  for (uint32_t i = 0; i <= t->mask; i++)
    if (t->slots[i]) drop_entry(b, tbl_at(t, i));
  sp_free(t->slots);
  memset(t, 0, sizeof *t);
}

void ks_remove_entry(ks_backend *b, ks_table *t, uint32_t slot) {
  ks_entry *e = tbl_at(t, slot);
  ks_tbl_remove_at(t, slot);
  drop_entry(b, e);
}

/*
 * hash_table.h: the one open-addressing hash table for maps that are not keyed state: entries
 * are the caller's pointers, found by a 64-bit hash (sp_hash64 or a mix of it) and the caller's
 * own comparison of the candidates. The timer queues' de-duplicating sets (state/timer_queue.c)
 * and the RPC service's endpoints by address (cluster/rpc.c) use it; the control-plane maps still
 * kept as lists or arrays (jobs, executions, checkpoints by id) are meant to. Keyed state has
 * its own table (state/ks_table.c) because copy-on-write snapshots need entries that are shared
 * between versions of the table.
 *
 * Linear probing over a power-of-two array of (hash, entry) slots, at most half full, with
 * backward-shift deletion (no tombstones, so lookups never slow down after many removals). The
 * stored hash lets a probe skip other keys without touching their entries. A zeroed sp_htab is
 * empty and holds no memory; the table never owns the entries. Not thread-safe.
 *
 * Lookup, insertion and removal are inline: timers are registered and deleted per record.
 *
 *   sp_htab_slot *s;
 *   for (s = sp_htab_first(&t, h); s; s = sp_htab_next(&t, s))
 *     if (same_key(s->entry, key)) break;
 */
#ifndef SPATE_BASE_HASH_TABLE_H
#define SPATE_BASE_HASH_TABLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sp_htab_slot {
  uint64_t hash;
  void *entry; /* NULL: the slot is empty */
} sp_htab_slot;

typedef struct sp_htab {
  sp_htab_slot *slots; /* NULL until the first reserve */
  uint32_t mask;       /* capacity - 1 */
  uint32_t count;      /* entries held */
} sp_htab;

/* Makes room for `more` entries beyond count (capacity stays at least twice the count).
 * Returns 0, or SPATE_ENOMEM (also when the table would pass 2^31 slots) with the table
 * unchanged. */
int sp_htab_reserve(sp_htab *t, size_t more);
/* Frees the slots (not the entries) and leaves the table zeroed. */
void sp_htab_free(sp_htab *t);

/* The first occupied slot on hash's probe sequence whose hash is `hash`, or NULL. Entries with
 * the same hash but another key are possible: compare, then go on with sp_htab_next. */
static inline sp_htab_slot *sp_htab_first(const sp_htab *t, uint64_t hash) {
  if (!t->slots) return NULL;
  for (uint32_t i = (uint32_t)hash & t->mask;; i = (i + 1) & t->mask) {
    sp_htab_slot *s = &t->slots[i];
    if (!s->entry) return NULL;
    if (s->hash == hash) return s;
  }
}

/* The next candidate after s (from sp_htab_first or sp_htab_next) with the same hash, or NULL. */
static inline sp_htab_slot *sp_htab_next(const sp_htab *t, const sp_htab_slot *s) {
  uint64_t hash = s->hash;
  for (uint32_t i = ((uint32_t)(s - t->slots) + 1) & t->mask;; i = (i + 1) & t->mask) {
    sp_htab_slot *n = &t->slots[i];
    if (!n->entry) return NULL;
    if (n->hash == hash) return n;
  }
}

/* Places an entry into slots (mask + 1 of them) that have room; no duplicate check. */
static inline void sp_htab_place_(sp_htab_slot *slots, uint32_t mask, uint64_t hash, void *entry) {
  uint32_t i = (uint32_t)hash & mask;
  while (slots[i].entry) i = (i + 1) & mask;
  slots[i] = (sp_htab_slot){hash, entry};
}

/* Adds entry (not NULL) under hash. The caller reserved room (sp_htab_reserve(t, 1)) and made
 * sure no entry with the same key is present. */
static inline void sp_htab_insert(sp_htab *t, uint64_t hash, void *entry) {
  sp_htab_place_(t->slots, t->mask, hash, entry);
  t->count++;
}

/* Removes the entry in slot s (a slot of t that holds one), shifting later entries of its probe
 * run back so that no lookup stops early. Slot pointers taken before are invalid afterwards. */
static inline void sp_htab_remove(sp_htab *t, sp_htab_slot *s) {
  uint32_t mask = t->mask;
  uint32_t i = (uint32_t)(s - t->slots);
  t->slots[i].entry = NULL;
  t->count--;
  for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    sp_htab_slot *n = &t->slots[j];
    if (!n->entry) return;
    uint32_t home = (uint32_t)n->hash & mask;
    bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (stays) continue;
    t->slots[i] = *n;
    n->entry = NULL;
    i = j;
  }
}
#endif

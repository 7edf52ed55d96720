/*
 * keyed_table.h: the heap keyed-state table behind keyed reduce and aggregations: key bytes
 * (a row of the key schema) -> one value row, in an open-addressing hash table.
 *
 * Each entry is one allocation holding key and value, made when a key is first seen; updates of
 * the same or smaller size happen in place, so a running aggregate allocates nothing per record.
 * Owned and used by one task thread. The table is not partitioned by key group: a checkpoint
 * iterates it (kt_next) and computes each key's group then, so the per-record path pays nothing
 * for checkpoints.
 */
#ifndef SPATE_STATE_KEYED_TABLE_H
#define SPATE_STATE_KEYED_TABLE_H
#include <stdint.h>

typedef struct kt_entry {
  uint64_t hash;
  uint32_t klen, vlen, vcap;
  /* key bytes (padded to 8) then value bytes follow; 8-byte aligned */
} kt_entry;

static inline uint8_t *kt_key(kt_entry *e) { return (uint8_t *)(e + 1); }
static inline uint8_t *kt_value(kt_entry *e) {
  return (uint8_t *)(e + 1) + ((e->klen + 7u) & ~7u);
}

typedef struct keyed_table {
  kt_entry **slots;
  uint64_t mask; /* capacity - 1 */
  uint64_t count;
} keyed_table;

int kt_init(keyed_table *t);
void kt_destroy(keyed_table *t);
/* The entry for the key, or NULL. */
kt_entry *kt_get(keyed_table *t, const uint8_t *key, uint32_t klen, uint64_t hash);
/* Inserts a key with a value (both copied); returns the entry or NULL on allocation failure. */
kt_entry *kt_put(keyed_table *t, const uint8_t *key, uint32_t klen, uint64_t hash,
                 const uint8_t *value, uint32_t vlen);
/* Replaces an entry's value; may move the entry (use the returned pointer). NULL: no memory. */
kt_entry *kt_set_value(keyed_table *t, kt_entry *e, const uint8_t *value, uint32_t vlen);
/* Iterates the entries in slot order: the first entry at or after slot *pos (start with 0),
 * advancing *pos past it; NULL when there is none. Valid while the table is not changed. */
kt_entry *kt_next(const keyed_table *t, uint64_t *pos);
#endif

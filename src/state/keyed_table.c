/*
 * keyed_table.c: linear probing over a power-of-two slot array, grown at 70% load.
 */
#include "state/keyed_table.h"

#include <string.h>

#include "base/alloc.h"
#include "spate/spate.h"

int kt_init(keyed_table *t) {
  t->mask = 1023;
  t->count = 0;
  t->slots = sp_calloc(t->mask + 1, sizeof *t->slots);
  return t->slots ? 0 : SPATE_ENOMEM;
}

void kt_destroy(keyed_table *t) {
  if (!t->slots) return;
  for (uint64_t i = 0; i <= t->mask; i++) sp_free(t->slots[i]);
  sp_free(t->slots);
  t->slots = NULL;
}

kt_entry *kt_get(keyed_table *t, const uint8_t *key, uint32_t klen, uint64_t hash) {
  for (uint64_t i = hash & t->mask;; i = (i + 1) & t->mask) {
    kt_entry *e = t->slots[i];
    if (!e) return NULL;
    if (e->hash == hash && e->klen == klen && memcmp(kt_key(e), key, klen) == 0) return e;
  }
}

static int grow(keyed_table *t) {
  uint64_t ncap = (t->mask + 1) * 2;
  kt_entry **ns = sp_calloc(ncap, sizeof *ns);
  if (!ns) return SPATE_ENOMEM;
  for (uint64_t i = 0; i <= t->mask; i++) {
    kt_entry *e = t->slots[i];
    if (!e) continue;
    uint64_t j = e->hash & (ncap - 1);
    while (ns[j]) j = (j + 1) & (ncap - 1);
    ns[j] = e;
  }
  sp_free(t->slots);
  t->slots = ns;
  t->mask = ncap - 1;
  return 0;
}

static kt_entry **slot_of(keyed_table *t, kt_entry *e) {
  uint64_t i = e->hash & t->mask;
  while (t->slots[i] != e) i = (i + 1) & t->mask;
  return &t->slots[i];
}

kt_entry *kt_put(keyed_table *t, const uint8_t *key, uint32_t klen, uint64_t hash,
                 const uint8_t *value, uint32_t vlen) {
  if ((t->count + 1) * 10 > (t->mask + 1) * 7 && grow(t) < 0) return NULL;
  uint32_t kpad = (klen + 7u) & ~7u;
  kt_entry *e = sp_malloc(sizeof *e + kpad + vlen);
  if (!e) return NULL;
  e->hash = hash;
  e->klen = klen;
  e->vlen = e->vcap = vlen;
  memcpy(kt_key(e), key, klen);
  memcpy(kt_value(e), value, vlen);
  uint64_t i = hash & t->mask;
  while (t->slots[i]) i = (i + 1) & t->mask;
  t->slots[i] = e;
  t->count++;
  return e;
}

kt_entry *kt_set_value(keyed_table *t, kt_entry *e, const uint8_t *value, uint32_t vlen) {
  if (vlen > e->vcap) {
    kt_entry **slot = slot_of(t, e);
    uint32_t kpad = (e->klen + 7u) & ~7u;
    uint32_t cap = vlen + vlen / 2;
    kt_entry *n = sp_realloc(e, sizeof *e + kpad + cap);
    if (!n) return NULL;
    n->vcap = cap;
    *slot = e = n;
  }
  memmove(kt_value(e), value, vlen);
  e->vlen = vlen;
  return e;
}

kt_entry *kt_next(const keyed_table *t, uint64_t *pos) {
  for (; t->slots && *pos <= t->mask; (*pos)++)
    if (t->slots[*pos]) return t->slots[(*pos)++];
  return NULL;
}

/*
 * hash_table.c: growing and freeing an sp_htab (see hash_table.h); lookups and updates are
 * inline there.
 */
#include "base/hash_table.h"

#include "base/alloc.h"
#include "base/err.h"

int sp_htab_reserve(sp_htab *t, size_t more) {
  uint64_t cap = t->slots ? (uint64_t)t->mask + 1 : 0;
  uint64_t need = ((uint64_t)t->count + more) * 2;
  if (need <= cap) return 0;
  uint64_t ncap = cap ? cap * 2 : 16;
  while (ncap < need) ncap *= 2;
  if (ncap > (1ull << 31)) return SPATE_ENOMEM;
  sp_htab_slot *ns = sp_calloc((size_t)ncap, sizeof *ns);
  if (!ns) return SPATE_ENOMEM;
  for (uint64_t i = 0; i < cap; i++)
    if (t->slots[i].entry)
      sp_htab_place_(ns, (uint32_t)(ncap - 1), t->slots[i].hash, t->slots[i].entry);
  sp_free(t->slots);
  t->slots = ns;
  t->mask = (uint32_t)(ncap - 1);
  return 0;
}

void sp_htab_free(sp_htab *t) {
  sp_free(t->slots);
  *t = (sp_htab){0};
}

/*
 * keyed_state.c: the heap keyed-state backend (see keyed_state.h for the contract).
 *
 * Layout. The backend keeps one ks_table per key group of its range. A ks_table is linear
 * probing over a power-of-two array of entry pointers, grown at 75% load, with backward-shift
 * deletion (no tombstones), so a probe ends at the first empty slot. An entry is one allocation:
 *
 *   ks_entry header | key bytes (padded to 8) | namespace bytes (padded to 8) | payload (cap)
 *
 * whose payload is, by the kind of its state:
 *   VALUE, REDUCING, AGGREGATING  one row (len bytes); ts = last access for TTL
 *   LIST                          count elements, each {list_elem header, row padded to 8}
 *   MAP                           a ks_table of nested entries (user key in the key position,
 *                                 no namespace, one row payload, own ts)
 * Rows thus start 8-byte aligned. An entry's hash mixes the hash of the current key (computed
 * once per ks_set_current_key), of the namespace and the state index, so a state access costs
 * one probe sequence and no hashing of key bytes.
 *
 * Rows handed out by reads that must return an already removed value (TTL visibility
 * RETURN_EXPIRED_IF_NOT_CLEANED_UP) are copied into the backend's scratch area first; that is
 * why views are valid only until the next backend call.
 *
 * Checkpoints (ks_write_key_group / ks_read_key_group, at the end of the file) encode a key
 * group state by state; records of states not registered yet wait in `pending` until
 * ks_register asks for them (see "Checkpoint encoding" below).
 *
 * Copy-on-write snapshots (Flink's CopyOnWriteStateMap). The backend has a version, bumped by
 * ks_snapshot_begin, and every entry (nested map entries too) records the version it was
 * created or last copied in. While a snapshot is active an entry of an older version is
 * frozen: the snapshot's copies of the slot arrays may point to it, so the owner never writes
 * to it and never frees it. Every write goes through entry_own / map_own first, which copy a
 * frozen entry into a new allocation of the current version and put the copy into the live
 * slot; an entry leaving the live tables while frozen (removed, or replaced by its copy) is
 * retired onto one of the snapshot's lists instead of freed, and ks_snapshot_release frees the
 * retired entries. A MAP entry is copied with a copy of its nested slot array only: the
 * nested entries are shared and copied one by one when they are written, so the frozen map
 * keeps its slot array and entries exactly as they were. The writer thread reads only the
 * snapshot's own arrays and frozen entries, so nothing locks. See "Copy-on-write snapshots"
 * at the end of the file.
 */
#include "state/keyed_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "types/row.h"
#include "types/schema.h"

/* ---------------------------------------------------------------------------------------------
 * Entries and tables. */

typedef struct ks_entry {
  /* While the entry is in a live table: the hash of (state, key, namespace), or of the user key
   * in nested map entries. Once it is retired (out of the live tables, kept only for a
   * snapshot): the link of the snapshot's retired list, which the owner may write because the
   * snapshot's writer never reads this field. */
  union {
    uint64_t hash;
    struct ks_entry *next_retired;
  };
  int64_t ts;        /* TTL last-access time of a one-row payload */
  uint64_t version;  /* the backend's version when this allocation was made */
  uint32_t state;    /* index of the state; 0 in nested map entries */
  uint32_t klen;     /* key bytes (user key bytes in nested map entries) */
  uint32_t nslen;    /* namespace bytes (0 in nested map entries) */
  uint32_t len, cap; /* payload bytes used and allocated */
  uint32_t count;    /* LIST: number of elements */
} ks_entry;

/* Invariants: count <= mask + 1 and, while slots != NULL, count * 4 <= (mask + 1) * 3 after each
 * insert; slots == NULL means an empty table with no array yet. */
typedef struct ks_table {
  ks_entry **slots;
  uint32_t mask;
  uint32_t count;
} ks_table;

typedef struct list_elem {
  int64_t ts;
  uint32_t len; /* row bytes; the row is padded to 8 */
  uint32_t reserved;
} list_elem;

#define TABLE_MIN_CAP 8u
#define TABLE_MAX_CAP (1u << 30)
#define MAX_PAYLOAD ((uint64_t)UINT32_MAX - 64)

static const uint8_t empty_bytes[8];

static inline uint32_t pad8(uint32_t n) { return (n + 7u) & ~7u; }
static inline uint8_t *e_key(ks_entry *e) { return (uint8_t *)(e + 1); }
static inline uint8_t *e_ns(ks_entry *e) { return e_key(e) + pad8(e->klen); }
static inline uint8_t *e_payload(ks_entry *e) { return e_ns(e) + pad8(e->nslen); }
static inline size_t e_header_size(uint32_t klen, uint32_t nslen) {
  return sizeof(ks_entry) + pad8(klen) + pad8(nslen);
}
static inline ks_table *e_map(ks_entry *e) { return (ks_table *)(void *)e_payload(e); }
static inline uint32_t elem_size(uint32_t row_len) { return (uint32_t)sizeof(list_elem) + pad8(row_len); }

static inline bool bytes_eq(const void *a, const void *b, size_t n) {
  return n == 0 || memcmp(a, b, n) == 0;
}
static inline void copy_bytes(void *dst, const void *src, size_t n) {
  if (n) memmove(dst, src, n);
}

static inline uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}
static inline uint64_t entry_hash(uint64_t key_hash, uint64_t ns_hash, uint32_t state) {
  return mix64(key_hash ^ mix64(ns_hash + 0x9e3779b97f4a7c15ULL * (state + 1)));
}
static inline uint64_t bytes_hash(const void *p, uint32_t n) {
  return sp_hash64(n ? p : empty_bytes, n);
}

static ks_entry *tbl_find(const ks_table *t, uint64_t hash, uint32_t state, const void *key,
                          uint32_t klen, const void *ns, uint32_t nslen, uint32_t *slot) {
  if (!t->slots) return NULL;
  for (uint32_t i = (uint32_t)hash & t->mask;; i = (i + 1) & t->mask) {
    ks_entry *e = t->slots[i];
    if (!e) return NULL;
    if (e->hash == hash && e->state == state && e->klen == klen && e->nslen == nslen &&
        bytes_eq(e_key(e), key, klen) && bytes_eq(e_ns(e), ns, nslen)) {
      if (slot) *slot = i;
      return e;
    }
  }
}

static void tbl_place(ks_entry **slots, uint32_t mask, ks_entry *e) {
  uint32_t i = (uint32_t)e->hash & mask;
  while (slots[i]) i = (i + 1) & mask;
  slots[i] = e;
}

/* Makes room for one more entry; on failure the table is unchanged. */
static int tbl_reserve(ks_table *t) {
  if (!t->slots) {
    t->slots = sp_calloc(TABLE_MIN_CAP, sizeof *t->slots);
    if (!t->slots) return SPATE_ENOMEM;
    t->mask = TABLE_MIN_CAP - 1;
    return 0;
  }
  uint32_t cap = t->mask + 1;
  if ((uint64_t)(t->count + 1) * 4 <= (uint64_t)cap * 3) return 0;
  if (cap >= TABLE_MAX_CAP) return SPATE_ENOMEM;
  ks_entry **ns = sp_calloc((size_t)cap * 2, sizeof *ns);
  if (!ns) return SPATE_ENOMEM;
  for (uint32_t i = 0; i < cap; i++)
    if (t->slots[i]) tbl_place(ns, cap * 2 - 1, t->slots[i]);
  sp_free(t->slots);
  t->slots = ns;
  t->mask = cap * 2 - 1;
  return 0;
}

static void tbl_insert(ks_table *t, ks_entry *e) {
  tbl_place(t->slots, t->mask, e);
  t->count++;
}

/* Empties slot i and shifts later members of its probe run back, so that every entry stays
 * reachable from its home slot without tombstones. Entries only move to slots between the hole
 * and their old slot (cyclically), which keeps a forward scan that re-checks slot i correct. */
static void tbl_remove_at(ks_table *t, uint32_t i) {
  uint32_t mask = t->mask;
  t->slots[i] = NULL;
  t->count--;
  for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
    ks_entry *e = t->slots[j];
    if (!e) return;
    uint32_t home = (uint32_t)e->hash & mask;
    bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (stays) continue;
    t->slots[i] = e;
    t->slots[j] = NULL;
    i = j;
  }
}

static ks_entry *entry_new(uint64_t version, uint64_t hash, uint32_t state, const void *key,
                           uint32_t klen, const void *ns, uint32_t nslen, uint32_t cap) {
  size_t hdr = e_header_size(klen, nslen);
  ks_entry *e = sp_malloc(hdr + cap);
  if (!e) return NULL;
  memset(e, 0, hdr);
  e->version = version;
  e->hash = hash;
  e->state = state;
  e->klen = klen;
  e->nslen = nslen;
  e->cap = cap;
  copy_bytes(e_key(e), key, klen);
  copy_bytes(e_ns(e), ns, nslen);
  return e;
}

/* Grows e's payload to cap bytes (moving it); the slot is updated. NULL: no memory, e intact.
 * Never for a frozen entry (entry_own copies those). */
static ks_entry *entry_grow(ks_table *t, uint32_t slot, ks_entry *e, uint32_t cap) {
  ks_entry *n = sp_realloc(e, e_header_size(e->klen, e->nslen) + cap);
  if (!n) return NULL;
  n->cap = cap;
  t->slots[slot] = n;
  return n;
}

static void tbl_free_leaf(ks_table *t) {
  if (!t->slots) return;
  for (uint32_t i = 0; i <= t->mask; i++) sp_free(t->slots[i]);
  sp_free(t->slots);
  memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------------------------------------
 * Backend and states. */

struct ks_state {
  ks_backend *b;
  uint32_t id;
  char *name;
  ks_kind kind;
  spate_schema *value_schema, *user_key_schema, *acc_schema, *result_schema; /* referenced */
  uint32_t value_nf, user_key_nf;
  ks_reduce_fn reduce;
  ks_agg_create_fn agg_create;
  ks_agg_add_fn agg_add;
  ks_agg_result_fn agg_result;
  void *fn_arg;
  ks_ttl_config ttl;
  bool has_ttl;
  /* REDUCING: out (value schema). AGGREGATING: out (acc), init (acc), result (result). */
  spate_row_builder rb_out, rb_init, rb_result;
};

struct ks_backend {
  int max_parallelism;
  ks_key_group_range range;
  ks_table *groups; /* one per key group of the range */
  ks_state **states;
  uint32_t nstates, states_cap;
  ks_clock_fn clock;
  void *clock_arg;
  /* Current key context. */
  bool has_key;
  int key_group;
  uint8_t *key, *ns;
  uint32_t key_len, key_cap, ns_len, ns_cap;
  uint64_t key_hash, ns_hash, empty_ns_hash;
  /* Copies of removed values still returned to the caller (see file comment). */
  uint8_t *scratch;
  size_t scratch_cap;
  /* Restored records of states not registered yet: one run per (state name, key group), in
   * the order read (see "Checkpoint encoding"). */
  struct ks_pending *pending;
  uint32_t npending, pending_cap;
  /* Copy-on-write snapshots: entries record `version` when allocated; snap is the active
   * snapshot (NULL when none), which freezes every entry of an older version. */
  uint64_t version;
  ks_snapshot *snap;
  char err[SP_ERRMSG_MAX];
};

/* A snapshot: the state of the backend at ks_snapshot_begin, read by its writer thread. The
 * arrays are written once by begin and then only read; the retired lists are the owner's
 * (linked through next_retired, which the writer never reads) and only release walks them;
 * err is the writer's. */
struct ks_snapshot {
  ks_backend *b;
  ks_key_group_range range;
  ks_state **states; /* the states registered at begin (they live as long as the backend) */
  uint32_t nstates;
  int64_t now;       /* clock at begin, for states with ttl.cleanup_full_snapshot */
  ks_table *groups;  /* per key group: mask and count as at begin, slots into `slots` */
  ks_entry **slots;  /* one block for the copies of all slot arrays */
  struct ks_pending *pending; /* copies of the pending runs' descriptions; the name and data
                               * buffers stay allocated until release (pending_free_at) */
  uint32_t npending;
  ks_entry *retired;      /* one allocation each: one-row, list and nested map entries */
  ks_entry *retired_maps; /* MAP entries removed whole: free the nested table too */
  ks_entry *retired_shells; /* MAP entries replaced by a copy: the nested entries went with the
                             * copy, free the nested slot array and the entry only */
  char err[SP_ERRMSG_MAX]; /* the last failure of ks_snapshot_write_key_group */
};

/* Where a state call works: the key group's table and the (key, namespace) to look up. */
typedef struct ks_ctx {
  ks_table *t;
  const uint8_t *key, *ns;
  uint32_t key_len, ns_len;
  uint64_t key_hash, ns_hash;
} ks_ctx;

static int fail(ks_backend *b, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ks_backend *b, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(b->err, sizeof b->err, fmt, ap);
  va_end(ap);
  return rc;
}

static int no_memory(ks_backend *b, const ks_state *s) {
  return fail(b, SPATE_ENOMEM, "out of memory in state '%s'", s ? s->name : "?");
}

const char *ks_kind_name(ks_kind kind) {
  switch (kind) {
  case KS_VALUE: return "VALUE";
  case KS_LIST: return "LIST";
  case KS_MAP: return "MAP";
  case KS_REDUCING: return "REDUCING";
  case KS_AGGREGATING: return "AGGREGATING";
  }
  return "?";
}

int ks_backend_new(int max_parallelism, ks_key_group_range range, ks_clock_fn clock,
                   void *clock_arg, ks_backend **out) {
  *out = NULL;
  if (max_parallelism < 1 || max_parallelism > 32768 || range.first < 0 ||
      range.last >= max_parallelism || range.last < range.first)
    return SPATE_EINVAL;
  ks_backend *b = sp_calloc(1, sizeof *b);
  if (!b) return SPATE_ENOMEM;
  b->groups = sp_calloc((size_t)ks_key_group_range_size(range), sizeof *b->groups);
  if (!b->groups) {
    sp_free(b);
    return SPATE_ENOMEM;
  }
  b->max_parallelism = max_parallelism;
  b->range = range;
  b->clock = clock;
  b->clock_arg = clock_arg;
  b->empty_ns_hash = b->ns_hash = bytes_hash(NULL, 0);
  *out = b;
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Copy-on-write: every write to an entry and every release of one goes through here. */

/* True when the active snapshot may see e: it was allocated before the snapshot began. */
static inline bool frozen(const ks_backend *b, const ks_entry *e) {
  return b->snap && e->version != b->version;
}

static inline void retire(ks_entry **list, ks_entry *e) {
  e->next_retired = *list;
  *list = e;
}

/* Releases an entry of one allocation (one-row, list or nested map entry) that just left its
 * live table: freed, or kept for the snapshot when frozen. */
static void drop_leaf(ks_backend *b, ks_entry *e) {
  if (frozen(b, e))
    retire(&b->snap->retired, e);
  else
    sp_free(e);
}

/* Releases a top-level entry that just left its key group's table. A MAP entry that is not
 * frozen owns its nested slot array, but its nested entries may be frozen (shared with the
 * frozen entry it was copied from), so they are released one by one. A frozen MAP entry was
 * never written since the snapshot began, so it owns all of its nested table. */
static void drop_entry(ks_backend *b, ks_entry *e) {
  if (b->states[e->state]->kind != KS_MAP) {
    drop_leaf(b, e);
    return;
  }
  if (frozen(b, e)) {
    retire(&b->snap->retired_maps, e);
    return;
  }
  ks_table *m = e_map(e);
  for (uint32_t i = 0; m->slots && i <= m->mask; i++)
    if (m->slots[i]) drop_leaf(b, m->slots[i]);
  sp_free(m->slots);
  sp_free(e);
}

/* Makes the entry e at t->slots[slot] writable with room for cap payload bytes: e itself when
 * it is not frozen and large enough, e grown (moved) when it is not frozen, else a copy of its
 * header, key, namespace and first `keep` payload bytes in a new allocation of the current
 * version, which replaces e in the slot while e is retired. NULL when out of memory, and then
 * nothing changed. Not for MAP entries (map_own). */
static ks_entry *entry_own(ks_backend *b, ks_table *t, uint32_t slot, ks_entry *e, uint32_t cap,
                           uint32_t keep) {
  if (!frozen(b, e)) return cap <= e->cap ? e : entry_grow(t, slot, e, cap);
  size_t hdr = e_header_size(e->klen, e->nslen);
  ks_entry *n = sp_malloc(hdr + cap);
  if (!n) return NULL;
  memcpy(n, e, hdr + (keep < cap ? keep : cap));
  n->version = b->version;
  n->cap = cap;
  t->slots[slot] = n;
  retire(&b->snap->retired, e);
  return n;
}

/* The same for a MAP entry at t->slots[slot], whose nested table is about to change: a frozen
 * one is copied with a copy of its nested slot array (the nested entries are shared; each is
 * copied by entry_own when written). NULL when out of memory, nothing changed. */
static ks_entry *map_own(ks_backend *b, ks_table *t, uint32_t slot, ks_entry *e) {
  if (!frozen(b, e)) return e;
  const ks_table *m = e_map(e);
  ks_entry **slots = NULL;
  if (m->slots) {
    slots = sp_malloc(((size_t)m->mask + 1) * sizeof *slots);
    if (!slots) return NULL;
    memcpy(slots, m->slots, ((size_t)m->mask + 1) * sizeof *slots);
  }
  size_t hdr = e_header_size(e->klen, e->nslen);
  ks_entry *n = sp_malloc(hdr + e->cap);
  if (!n) {
    sp_free(slots);
    return NULL;
  }
  memcpy(n, e, hdr + e->len);
  n->version = b->version;
  e_map(n)->slots = slots;
  t->slots[slot] = n;
  retire(&b->snap->retired_shells, e);
  return n;
}

static void table_free(ks_backend *b, ks_table *t) {
  if (!t->slots) return;
  for (uint32_t i = 0; i <= t->mask; i++)
    if (t->slots[i]) drop_entry(b, t->slots[i]);
  sp_free(t->slots);
  memset(t, 0, sizeof *t);
}

static void state_free(ks_state *s) {
  if (!s) return;
  sp_free(s->name);
  schema_unref(s->value_schema);
  schema_unref(s->user_key_schema);
  schema_unref(s->acc_schema);
  schema_unref(s->result_schema);
  rb_destroy(&s->rb_out);
  rb_destroy(&s->rb_init);
  rb_destroy(&s->rb_result);
  sp_free(s);
}

static void pending_free_all(ks_backend *b);

void ks_backend_free(ks_backend *b) {
  if (!b) return;
  if (b->snap) ks_snapshot_release(b->snap); /* the caller should have; see the header */
  pending_free_all(b);
  int n = ks_key_group_range_size(b->range);
  for (int i = 0; i < n; i++) table_free(b, &b->groups[i]);
  sp_free(b->groups);
  for (uint32_t i = 0; i < b->nstates; i++) state_free(b->states[i]);
  sp_free(b->states);
  sp_free(b->key);
  sp_free(b->ns);
  sp_free(b->scratch);
  sp_free(b);
}

const char *ks_error(const ks_backend *b) { return b->err; }
ks_key_group_range ks_backend_range(const ks_backend *b) { return b->range; }
int ks_backend_max_parallelism(const ks_backend *b) { return b->max_parallelism; }
const char *ks_state_name(const ks_state *s) { return s->name; }
ks_kind ks_state_kind(const ks_state *s) { return s->kind; }

static ks_state *find_state(const ks_backend *b, const char *name) {
  for (uint32_t i = 0; i < b->nstates; i++)
    if (strcmp(b->states[i]->name, name) == 0) return b->states[i];
  return NULL;
}

static bool same_shape(const ks_state *s, const ks_descriptor *d) {
  return s->kind == d->kind && schema_equal(s->value_schema, d->value_schema) &&
         schema_equal(s->user_key_schema, d->kind == KS_MAP ? d->user_key_schema : NULL) &&
         schema_equal(s->acc_schema, d->kind == KS_AGGREGATING ? d->acc_schema : NULL) &&
         schema_equal(s->result_schema, d->kind == KS_AGGREGATING ? d->result_schema : NULL);
}

static int check_descriptor(ks_backend *b, const ks_descriptor *d) {
  const char *n = d->name;
  if (!n || !n[0]) return fail(b, SPATE_EINVAL, "state descriptor without a name");
  if (d->kind < KS_VALUE || d->kind > KS_AGGREGATING)
    return fail(b, SPATE_EINVAL, "state '%s': unknown kind %d", n, (int)d->kind);
  if (!d->value_schema) return fail(b, SPATE_EINVAL, "state '%s': no value schema", n);
  if (d->kind == KS_MAP && !d->user_key_schema)
    return fail(b, SPATE_EINVAL, "MAP state '%s': no user key schema", n);
  if (d->kind == KS_REDUCING && !d->reduce)
    return fail(b, SPATE_EINVAL, "REDUCING state '%s': no reduce function", n);
  if (d->kind == KS_AGGREGATING &&
      (!d->acc_schema || !d->result_schema || !d->agg_add || !d->agg_result))
    return fail(b, SPATE_EINVAL,
                "AGGREGATING state '%s' needs accumulator and result schemas, add and get-result"
                " functions",
                n);
  if (d->ttl.update != KS_TTL_DISABLED) {
    if (d->ttl.update != KS_TTL_ON_CREATE_AND_WRITE && d->ttl.update != KS_TTL_ON_READ_AND_WRITE)
      return fail(b, SPATE_EINVAL, "state '%s': unknown TTL update type %d", n, (int)d->ttl.update);
    if (d->ttl.ttl_ms <= 0)
      return fail(b, SPATE_EINVAL, "state '%s': TTL must be positive, got %lld ms", n,
                  (long long)d->ttl.ttl_ms);
    if (!b->clock)
      return fail(b, SPATE_EINVAL, "state '%s' has a TTL but the backend has no clock", n);
  }
  return 0;
}

static int pending_check(ks_backend *b, const ks_descriptor *d);
static int pending_apply(ks_backend *b, ks_state *s);

int ks_register(ks_backend *b, const ks_descriptor *d, ks_state **out) {
  *out = NULL;
  int rc = check_descriptor(b, d);
  if (rc < 0) return rc;
  ks_state *s = find_state(b, d->name);
  if (s) {
    if (!same_shape(s, d))
      return fail(b, SPATE_ESTATE,
                  "state '%s' is already registered as %s with other schemas; cannot register it"
                  " as %s",
                  d->name, ks_kind_name(s->kind), ks_kind_name(d->kind));
    *out = s;
    return 0;
  }
  if ((rc = pending_check(b, d)) < 0) return rc;
  if (b->nstates == b->states_cap) {
    uint32_t cap = b->states_cap ? b->states_cap * 2 : 4;
    ks_state **ns = sp_realloc(b->states, cap * sizeof *ns);
    if (!ns) return no_memory(b, NULL);
    b->states = ns;
    b->states_cap = cap;
  }
  s = sp_calloc(1, sizeof *s);
  if (!s) return no_memory(b, NULL);
  s->b = b;
  s->id = b->nstates;
  s->kind = d->kind;
  s->name = sp_strdup(d->name);
  s->value_schema = schema_ref(d->value_schema);
  s->value_nf = (uint32_t)d->value_schema->nfields;
  if (d->kind == KS_MAP) {
    s->user_key_schema = schema_ref(d->user_key_schema);
    s->user_key_nf = (uint32_t)d->user_key_schema->nfields;
  }
  s->reduce = d->reduce;
  s->agg_create = d->agg_create;
  s->agg_add = d->agg_add;
  s->agg_result = d->agg_result;
  s->fn_arg = d->fn_arg;
  s->ttl = d->ttl;
  s->has_ttl = d->ttl.update != KS_TTL_DISABLED;
  rc = s->name ? 0 : SPATE_ENOMEM;
  if (rc == 0 && d->kind == KS_REDUCING) rc = rb_init(&s->rb_out, d->value_schema);
  if (rc == 0 && d->kind == KS_AGGREGATING) {
    s->acc_schema = schema_ref(d->acc_schema);
    s->result_schema = schema_ref(d->result_schema);
    rc = rb_init(&s->rb_out, d->acc_schema);
    if (rc == 0) rc = rb_init(&s->rb_init, d->acc_schema);
    if (rc == 0) rc = rb_init(&s->rb_result, d->result_schema);
  }
  if (rc < 0) {
    state_free(s);
    return no_memory(b, NULL);
  }
  b->states[b->nstates++] = s;
  if ((rc = pending_apply(b, s)) < 0) return rc; /* s is unregistered again */
  *out = s;
  return 0;
}

int ks_lookup(ks_backend *b, const char *name, ks_state **out) {
  *out = name ? find_state(b, name) : NULL;
  if (!*out) return fail(b, SPATE_ESTATE, "unknown state '%s'", name ? name : "(null)");
  return 0;
}

/* Copies len bytes into a growable buffer; the buffer only grows. */
static int set_bytes(uint8_t **buf, uint32_t *cap, const void *p, uint32_t len) {
  if (len > *cap) {
    uint32_t ncap = len < 64 ? 64 : len;
    uint8_t *n = sp_realloc(*buf, ncap);
    if (!n) return SPATE_ENOMEM;
    *buf = n;
    *cap = ncap;
  }
  copy_bytes(*buf, p, len);
  return 0;
}

int ks_set_current_key(ks_backend *b, const void *key, uint32_t len, int key_group) {
  if (!ks_key_group_range_contains(b->range, key_group))
    return fail(b, SPATE_EINVAL, "key group %d is outside this backend's range [%d, %d]",
                key_group, b->range.first, b->range.last);
  if (!key && len) return fail(b, SPATE_EINVAL, "NULL key with length %u", len);
  if (set_bytes(&b->key, &b->key_cap, key, len) < 0) {
    b->has_key = false;
    return no_memory(b, NULL);
  }
  b->key_len = len;
  b->key_hash = bytes_hash(b->key, len);
  b->key_group = key_group;
  b->ns_len = 0;
  b->ns_hash = b->empty_ns_hash;
  b->has_key = true;
  return 0;
}

int ks_set_namespace(ks_backend *b, const void *ns, uint32_t len) {
  if (!ns && len) return fail(b, SPATE_EINVAL, "NULL namespace with length %u", len);
  if (set_bytes(&b->ns, &b->ns_cap, ns, len) < 0) return no_memory(b, NULL);
  b->ns_len = len;
  b->ns_hash = len ? bytes_hash(b->ns, len) : b->empty_ns_hash;
  return 0;
}

void ks_unset_current_key(ks_backend *b) { b->has_key = false; }

static int begin(ks_state *s, ks_kind kind, const char *call, ks_ctx *c) {
  ks_backend *b = s->b;
  if (kind && s->kind != kind)
    return fail(b, SPATE_ESTATE, "%s called on %s state '%s', which is not %s", call,
                ks_kind_name(s->kind), s->name, ks_kind_name(kind));
  if (!b->has_key)
    return fail(b, SPATE_ESTATE, "%s on state '%s' without a current key", call, s->name);
  c->t = &b->groups[b->key_group - b->range.first];
  c->key = b->key_len ? b->key : empty_bytes;
  c->key_len = b->key_len;
  c->ns = b->ns_len ? b->ns : empty_bytes;
  c->ns_len = b->ns_len;
  c->key_hash = b->key_hash;
  c->ns_hash = b->ns_hash;
  return 0;
}

static int check_row(ks_state *s, const spate_row *r, uint32_t nfields, const char *what) {
  if (!r || !r->data)
    return fail(s->b, SPATE_EINVAL, "state '%s': NULL %s", s->name, what);
  if (r->nfields != nfields)
    return fail(s->b, SPATE_EINVAL, "state '%s': %s has %u fields, the schema %u", s->name, what,
                r->nfields, nfields);
  return 0;
}

static ks_entry *find(const ks_state *s, const ks_ctx *c, uint32_t *slot) {
  return tbl_find(c->t, entry_hash(c->key_hash, c->ns_hash, s->id), s->id, c->key, c->key_len,
                  c->ns, c->ns_len, slot);
}

static void remove_entry(ks_backend *b, ks_table *t, uint32_t slot) {
  ks_entry *e = t->slots[slot];
  tbl_remove_at(t, slot);
  drop_entry(b, e);
}

/* ---------------------------------------------------------------------------------------------
 * TTL. */

static int64_t now_for(const ks_state *s) { return s->has_ttl ? s->b->clock(s->b->clock_arg) : 0; }

/* Flink's TtlUtils.expired: last_access + ttl <= now, the sum saturating. */
static bool expired(const ks_state *s, int64_t ts, int64_t now) {
  if (!s->has_ttl) return false;
  int64_t ttl = s->ttl.ttl_ms;
  int64_t expires = ts > INT64_MAX - ttl ? INT64_MAX : ts + ttl;
  return expires <= now;
}
static bool return_expired(const ks_state *s) {
  return s->ttl.visibility == KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP;
}
static bool touch_on_read(const ks_state *s) {
  return s->has_ttl && s->ttl.update == KS_TTL_ON_READ_AND_WRITE;
}

static int scratch_reserve(ks_backend *b, size_t n) {
  if (n <= b->scratch_cap) return 0;
  size_t cap = b->scratch_cap * 2 > n ? b->scratch_cap * 2 : n;
  uint8_t *p = sp_realloc(b->scratch, cap);
  if (!p) return SPATE_ENOMEM;
  b->scratch = p;
  b->scratch_cap = cap;
  return 0;
}

/* The number of expired elements of a LIST entry. */
static uint32_t list_expired(const ks_state *s, ks_entry *e, int64_t now) {
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
static uint32_t list_compact(const ks_state *s, ks_entry *e, int64_t now, bool touch) {
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
  e->count -= removed;
  return removed;
}

/* Removes the expired entries of the map *outer at t->slots[slot]. With keep_copy the removed
 * ones are first copied to the scratch area as {u32 klen, u32 vlen, key padded, value padded}
 * records (*copied = bytes). When every entry expired the map itself is removed and *outer set
 * to NULL; otherwise *outer is the map afterwards (a copy of a frozen one). Fails only when
 * memory for that copy or the scratch copy cannot be allocated, and then changes nothing. */
static int map_expire(ks_state *s, ks_table *t, uint32_t slot, ks_entry **outer, int64_t now,
                      bool keep_copy, uint32_t *removed, size_t *copied) {
  ks_table *m = e_map(*outer);
  *removed = 0;
  if (copied) *copied = 0;
  if (!m->slots || !s->has_ttl) return 0;
  size_t need = 0;
  uint32_t n = 0;
  for (uint32_t i = 0; i <= m->mask; i++) {
    ks_entry *e = m->slots[i];
    if (e && expired(s, e->ts, now)) {
      n++;
      need += 8 + pad8(e->klen) + pad8(e->len);
    }
  }
  if (n == 0) return 0;
  if (keep_copy && scratch_reserve(s->b, need) < 0) return SPATE_ENOMEM;
  bool all = n == m->count;
  if (!all) {
    /* Entries leave the nested table: a frozen map is copied first (the whole map goes without
     * a copy below). */
    ks_entry *o = map_own(s->b, t, slot, *outer);
    if (!o) return SPATE_ENOMEM;
    *outer = o;
    m = e_map(o);
  }
  uint8_t *w = s->b->scratch;
  for (uint32_t i = 0; i <= m->mask; i++) {
    for (;;) {
      ks_entry *e = m->slots[i];
      if (!e || !expired(s, e->ts, now)) break;
      if (keep_copy) {
        memcpy(w, &e->klen, 4);
        memcpy(w + 4, &e->len, 4);
        copy_bytes(w + 8, e_key(e), e->klen);
        copy_bytes(w + 8 + pad8(e->klen), e_payload(e), e->len);
        w += 8 + pad8(e->klen) + pad8(e->len);
      }
      if (all) break; /* copies only: the map goes whole */
      tbl_remove_at(m, i);
      drop_leaf(s->b, e);
    }
  }
  if (all) {
    remove_entry(s->b, t, slot);
    *outer = NULL;
  }
  *removed = n;
  if (copied) *copied = keep_copy ? need : 0;
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Writes. */

/* Stores a one-row payload under (state, key, ns) in t: in place when it fits, else by growing
 * or creating the entry (a frozen one is copied). On failure nothing changed. e is the entry the
 * lookup found at slot, or NULL when there is none. */
static int put_row_at(ks_backend *b, ks_table *t, ks_entry *e, uint32_t slot, uint64_t hash,
                      uint32_t state, const void *key, uint32_t klen, const void *ns,
                      uint32_t nslen, const spate_row *v, int64_t ts) {
  if (e) {
    e = entry_own(b, t, slot, e, v->len > e->cap ? v->len : e->cap, 0);
    if (!e) return SPATE_ENOMEM;
  } else {
    if (tbl_reserve(t) < 0) return SPATE_ENOMEM;
    e = entry_new(b->version, hash, state, key, klen, ns, nslen, v->len);
    if (!e) return SPATE_ENOMEM;
    tbl_insert(t, e);
  }
  copy_bytes(e_payload(e), v->data, v->len);
  e->len = v->len;
  e->ts = ts;
  return 0;
}

/* The same with the lookup. */
static int put_row(ks_backend *b, ks_table *t, uint64_t hash, uint32_t state, const void *key,
                   uint32_t klen, const void *ns, uint32_t nslen, const spate_row *v, int64_t ts) {
  uint32_t slot = 0;
  ks_entry *e = tbl_find(t, hash, state, key, klen, ns, nslen, &slot);
  return put_row_at(b, t, e, slot, hash, state, key, klen, ns, nslen, v, ts);
}

static int put_value(ks_state *s, const ks_ctx *c, const spate_row *v, int64_t ts) {
  int rc = put_row(s->b, c->t, entry_hash(c->key_hash, c->ns_hash, s->id), s->id, c->key, c->key_len,
                   c->ns, c->ns_len, v, ts);
  return rc < 0 ? no_memory(s->b, s) : 0;
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
  if (total > MAX_PAYLOAD || (e && (uint64_t)(replace ? 0 : e->count) + n > UINT32_MAX))
    return fail(s->b, SPATE_EINVAL, "list state '%s' would exceed 4 GiB", s->name);
  if (!e) {
    if (tbl_reserve(c->t) < 0) return no_memory(s->b, s);
    e = entry_new(s->b->version, entry_hash(c->key_hash, c->ns_hash, s->id), s->id, c->key,
                  c->key_len, c->ns, c->ns_len, (uint32_t)total);
    if (!e) return no_memory(s->b, s);
    write_elems(e_payload(e), v, n, ts);
    e->len = (uint32_t)total;
    e->count = (uint32_t)n;
    tbl_insert(c->t, e);
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
      e = entry_grow(c->t, slot, e, (uint32_t)cap);
      if (!e) return no_memory(s->b, s);
      write_elems(e_payload(e) + base, v, n, ts);
    } else {
      /* A new allocation: the sources and the frozen list stay intact. */
      ks_entry *ne = entry_new(s->b->version, e->hash, e->state, e_key(e), e->klen, e_ns(e),
                               e->nslen, (uint32_t)cap);
      if (!ne) return no_memory(s->b, s);
      copy_bytes(e_payload(ne), e_payload(e), base);
      write_elems(e_payload(ne) + base, v, n, ts);
      ne->count = e->count;
      c->t->slots[slot] = ne;
      drop_leaf(s->b, e);
      e = ne;
    }
  }
  e->len = (uint32_t)total;
  e->count = (replace ? 0 : e->count) + (uint32_t)n;
  return 0;
}

/* Puts (user key -> value) into the map of the context, creating the map entry when needed. */
static int map_put(ks_state *s, const ks_ctx *c, const uint8_t *uk, uint32_t uklen,
                   const spate_row *v, int64_t ts) {
  uint32_t slot;
  ks_entry *outer = find(s, c, &slot);
  bool created = false;
  if (!outer) {
    if (tbl_reserve(c->t) < 0) return no_memory(s->b, s);
    outer = entry_new(s->b->version, entry_hash(c->key_hash, c->ns_hash, s->id), s->id, c->key,
                      c->key_len, c->ns, c->ns_len, (uint32_t)sizeof(ks_table));
    if (!outer) return no_memory(s->b, s);
    memset(e_map(outer), 0, sizeof(ks_table));
    outer->len = (uint32_t)sizeof(ks_table);
    tbl_insert(c->t, outer);
    created = true;
  } else if (!(outer = map_own(s->b, c->t, slot, outer))) {
    return no_memory(s->b, s);
  }
  ks_table *m = e_map(outer);
  if (put_row(s->b, m, bytes_hash(uk, uklen), 0, uklen ? uk : empty_bytes, uklen, empty_bytes, 0,
              v, ts) < 0) {
    if (created && find(s, c, &slot)) remove_entry(s->b, c->t, slot);
    return no_memory(s->b, s);
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
    if (expired(s, e->ts, now)) {
      if (!return_expired(s)) {
        remove_entry(s->b, c->t, slot);
        return 0;
      }
      if (scratch_reserve(s->b, e->len) < 0) return no_memory(s->b, s);
      copy_bytes(s->b->scratch, e_payload(e), e->len);
      *out = (spate_row){s->b->scratch, e->len, nf};
      remove_entry(s->b, c->t, slot);
      return 1;
    }
    if (touch_on_read(s) && e->ts != now) {
      if (!(e = entry_own(s->b, c->t, slot, e, e->cap, e->len))) return no_memory(s->b, s);
      e->ts = now;
    }
  }
  *out = (spate_row){e_payload(e), e->len, nf};
  return 1;
}

/* The unexpired one-row payload for an add (REDUCING, AGGREGATING), ignoring visibility as
 * Flink's TTL reduce/aggregate functions do. */
static bool live_row(ks_state *s, const ks_ctx *c, int64_t now, spate_row *out, uint32_t nf) {
  ks_entry *e = find(s, c, NULL);
  if (!e || expired(s, e->ts, now)) return false;
  *out = (spate_row){e_payload(e), e->len, nf};
  return true;
}

/* ---------------------------------------------------------------------------------------------
 * The public state calls. */

int ks_clear(ks_state *s) {
  ks_ctx c;
  int rc = begin(s, 0, "ks_clear", &c);
  if (rc < 0) return rc;
  uint32_t slot;
  if (find(s, &c, &slot)) remove_entry(s->b, c.t, slot);
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
    uint32_t nexp = list_expired(s, e, now);
    uint32_t total = e->count;
    bool keep = nexp > 0 && return_expired(s);
    if (keep) {
      /* Return all elements once, as Flink's collected list; the storage keeps the live ones. */
      if (scratch_reserve(s->b, e->len) < 0) return no_memory(s->b, s);
      copy_bytes(s->b->scratch, e_payload(e), e->len);
      it->p = s->b->scratch;
      it->end = s->b->scratch + e->len;
    }
    if (nexp == total) {
      remove_entry(s->b, c.t, slot);
      return keep ? (int)total : 0;
    }
    if (nexp > 0 || touch_on_read(s)) {
      if (!(e = entry_own(s->b, c.t, slot, e, e->cap, e->len))) return no_memory(s->b, s);
      list_compact(s, e, now, touch_on_read(s));
    }
    if (keep) return (int)total;
  }
  it->p = e_payload(e);
  it->end = it->p + e->len;
  return (int)e->count;
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
  if (!values) return fail(s->b, SPATE_EINVAL, "state '%s': NULL list element", s->name);
  return list_write(s, &c, values, n, false, now_for(s));
}

int ks_list_update(ks_state *s, const spate_row *values, size_t n) {
  ks_ctx c;
  int rc = begin(s, KS_LIST, "ks_list_update", &c);
  if (rc < 0) return rc;
  if (n == 0) return ks_clear(s);
  if (!values) return fail(s->b, SPATE_EINVAL, "state '%s': NULL list element", s->name);
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
    remove_entry(s->b, c->t, h->outer_slot);
    h->outer = h->e = NULL;
    return 0;
  }
  ks_entry *outer = map_own(s->b, c->t, h->outer_slot, h->outer);
  if (!outer) return no_memory(s->b, s);
  h->outer = outer;
  tbl_remove_at(e_map(outer), h->slot); /* a copied slot array has the same layout */
  drop_leaf(s->b, h->e);
  h->e = NULL;
  return 0;
}

/* Makes the nested entry of a hit writable (copying a frozen map and entry). */
static int map_own_hit(ks_state *s, ks_ctx *c, map_hit *h) {
  ks_entry *outer = map_own(s->b, c->t, h->outer_slot, h->outer);
  if (!outer) return no_memory(s->b, s);
  h->outer = outer;
  ks_entry *e = entry_own(s->b, e_map(outer), h->slot, h->e, h->e->cap, h->e->len);
  if (!e) return no_memory(s->b, s);
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
    if (expired(s, e->ts, now)) {
      int r = 0;
      if (return_expired(s)) {
        if (out) {
          if (scratch_reserve(s->b, e->len) < 0) return no_memory(s->b, s);
          copy_bytes(s->b->scratch, e_payload(e), e->len);
          *out = (spate_row){s->b->scratch, e->len, s->value_nf};
        }
        r = 1;
      }
      int rc = map_remove_hit(s, c, h);
      return rc < 0 ? rc : r;
    }
    if (touch_on_read(s) && e->ts != now) {
      int rc = map_own_hit(s, c, h);
      if (rc < 0) return rc;
      e = h->e;
      e->ts = now;
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
  if (map_expire(s, c.t, slot, &outer, now_for(s), false, &removed, NULL) < 0)
    return no_memory(s->b, s);
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
  ks_entry *o = map_own(b, t, slot, *outer);
  if (!o) return no_memory(b, s);
  *outer = o;
  ks_table *m = e_map(o);
  for (uint32_t i = 0; m->slots && i <= m->mask; i++) {
    ks_entry *e = m->slots[i];
    if (e && frozen(b, e) && !entry_own(b, m, i, e, e->cap, e->len)) return no_memory(b, s);
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
    rc = map_expire(s, c.t, slot, &outer, it->now, return_expired(s), &removed, &copied);
    if (rc < 0) return no_memory(s->b, s);
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
    ks_entry *e = m->slots[it->slot++];
    if (!e) continue;
    if (touch_on_read(s)) e->ts = it->now;
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

/* One lookup: the entry found is reduced into and written in place (or grown at its slot). */
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
  bool created = !e || expired(s, e->ts, now);
  if (!created) {
    spate_row acc = {e_payload(e), e->len, s->value_nf};
    spate_rb_begin(&s->rb_out);
    rc = s->reduce(s->fn_arg, &acc, value, &s->rb_out);
    if (rc < 0) return fail(s->b, rc, "reduce function of state '%s' failed (%d)", s->name, rc);
    if (spate_rb_finish(&s->rb_out, &res) < 0)
      return fail(s->b, SPATE_EINVAL, "reduce function of state '%s': %s", s->name,
                  spate_rb_error(&s->rb_out));
    v = &res;
  }
  rc = put_row_at(s->b, c.t, e, slot, hash, s->id, c.key, c.key_len, c.ns, c.ns_len, v, now);
  if (rc < 0) return no_memory(s->b, s);
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
  spate_row acc, res;
  const spate_row *accp = &acc;
  if (!live_row(s, &c, now, &acc, acc_nf)) {
    accp = NULL;
    if (s->agg_create) {
      spate_rb_begin(&s->rb_init);
      rc = s->agg_create(s->fn_arg, &s->rb_init);
      if (rc < 0)
        return fail(s->b, rc, "create-accumulator of state '%s' failed (%d)", s->name, rc);
      if (spate_rb_finish(&s->rb_init, &acc) < 0)
        return fail(s->b, SPATE_EINVAL, "create-accumulator of state '%s': %s", s->name,
                    spate_rb_error(&s->rb_init));
      accp = &acc;
    }
  }
  spate_rb_begin(&s->rb_out);
  rc = s->agg_add(s->fn_arg, accp, value, &s->rb_out);
  if (rc < 0) return fail(s->b, rc, "add function of state '%s' failed (%d)", s->name, rc);
  if (spate_rb_finish(&s->rb_out, &res) < 0)
    return fail(s->b, SPATE_EINVAL, "add function of state '%s': %s", s->name,
                spate_rb_error(&s->rb_out));
  return put_value(s, &c, &res, now);
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
  if (rc < 0) return fail(s->b, rc, "get-result of state '%s' failed (%d)", s->name, rc);
  if (spate_rb_finish(&s->rb_result, &res) < 0)
    return fail(s->b, SPATE_EINVAL, "get-result of state '%s': %s", s->name,
                spate_rb_error(&s->rb_result));
  *out = res;
  return 1;
}

/* ---------------------------------------------------------------------------------------------
 * TTL cleanup, snapshot and restore. */

int64_t ks_ttl_cleanup_full(ks_backend *b) {
  int64_t removed = 0;
  bool any = false;
  for (uint32_t i = 0; i < b->nstates; i++) any |= b->states[i]->has_ttl;
  if (!any) return 0;
  int64_t now = b->clock(b->clock_arg);
  int n = ks_key_group_range_size(b->range);
  for (int g = 0; g < n; g++) {
    ks_table *t = &b->groups[g];
    if (!t->slots) continue;
    for (uint32_t i = 0; i <= t->mask; i++) {
      /* Re-check slot i after a removal: the backward shift may have moved another entry in. */
      for (;;) {
        ks_entry *e = t->slots[i];
        if (!e) break;
        ks_state *s = b->states[e->state];
        if (!s->has_ttl) break;
        bool gone;
        if (s->kind == KS_LIST) {
          uint32_t r;
          if (!frozen(b, e)) {
            r = list_compact(s, e, now, false);
            gone = e->count == 0;
          } else {
            /* A frozen list that keeps some elements is copied; when that fails it keeps its
             * expired elements until a later cleanup. */
            r = list_expired(s, e, now);
            gone = r == e->count;
            if (r > 0 && !gone) {
              if (!(e = entry_own(b, t, i, e, e->cap, e->len))) break;
              list_compact(s, e, now, false);
            }
          }
          removed += r;
        } else if (s->kind == KS_MAP) {
          /* Removes the map itself when all expired; a failed copy of a frozen map leaves it. */
          uint32_t r = 0;
          if (map_expire(s, t, i, &e, now, false, &r, NULL) < 0) break;
          removed += r;
          if (!e) continue; /* removed: look at slot i again */
          gone = false;
        } else {
          gone = expired(s, e->ts, now);
          removed += gone;
        }
        if (!gone) break;
        remove_entry(b, t, i);
      }
    }
  }
  return removed;
}

static int check_group(ks_backend *b, int key_group) {
  if (!ks_key_group_range_contains(b->range, key_group))
    return fail(b, SPATE_EINVAL, "key group %d is outside this backend's range [%d, %d]",
                key_group, b->range.first, b->range.last);
  return 0;
}

/* The clock for leaving expired values out of a visit of one state (only >= 0) or of all
 * (only < 0) when one of them asks for it (ttl.cleanup_full_snapshot), else 0. */
static int64_t filter_now(const ks_backend *b, int only) {
  bool filter = false;
  for (uint32_t i = 0; i < b->nstates; i++)
    filter |= (only < 0 || i == (uint32_t)only) && b->states[i]->has_ttl &&
              b->states[i]->ttl.cleanup_full_snapshot;
  return filter ? b->clock(b->clock_arg) : 0;
}

/* Visits the records of table t of one state (only >= 0) or of all states (only < 0), leaving
 * out values expired at `now` for states with ttl.cleanup_full_snapshot; see
 * ks_snapshot_key_group. It reads t, its entries and the states only (never the backend), so a
 * snapshot's writer thread runs it on frozen tables. */
static int visit_table(ks_state *const *states, const ks_table *t, int only, int64_t now,
                       ks_visit_fn fn, void *arg) {
  int rc;
  if (!t->slots) return 0;
  for (uint32_t i = 0; i <= t->mask; i++) {
    ks_entry *e = t->slots[i];
    if (!e || (only >= 0 && e->state != (uint32_t)only)) continue;
    ks_state *s = states[e->state];
    bool skip_expired = s->has_ttl && s->ttl.cleanup_full_snapshot;
    ks_record r = {.state = s->name, .kind = s->kind, .key = e_key(e), .key_len = e->klen,
                   .ns = e_ns(e), .ns_len = e->nslen};
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
        ks_entry *me = m->slots[j];
        if (!me || (skip_expired && expired(s, me->ts, now))) continue;
        r.user_key = e_key(me);
        r.user_key_len = me->klen;
        r.value = (spate_row){e_payload(me), me->len, s->value_nf};
        r.ttl_ts = me->ts;
        if ((rc = fn(arg, &r)) != 0) return rc;
      }
    } else {
      if (skip_expired && expired(s, e->ts, now)) continue;
      uint32_t nf = s->kind == KS_AGGREGATING ? (uint32_t)s->acc_schema->nfields : s->value_nf;
      r.value = (spate_row){e_payload(e), e->len, nf};
      r.ttl_ts = e->ts;
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
  return visit_table(b->states, t, only, filter_now(b, only), fn, arg);
}

int ks_snapshot_key_group(ks_backend *b, int key_group, ks_visit_fn fn, void *arg) {
  int rc = check_group(b, key_group);
  return rc < 0 ? rc : visit_group(b, key_group, -1, fn, arg);
}

size_t ks_key_group_entries(const ks_backend *b, int key_group) {
  if (!ks_key_group_range_contains(b->range, key_group)) return 0;
  return b->groups[key_group - b->range.first].count;
}

static void pending_drop_group(ks_backend *b, int key_group);

int ks_clear_key_group(ks_backend *b, int key_group) {
  int rc = check_group(b, key_group);
  if (rc < 0) return rc;
  table_free(b, &b->groups[key_group - b->range.first]);
  pending_drop_group(b, key_group);
  return 0;
}

int ks_restore_record(ks_backend *b, int key_group, const ks_record *rec) {
  int rc = check_group(b, key_group);
  if (rc < 0) return rc;
  ks_state *s = rec->state ? find_state(b, rec->state) : NULL;
  if (!s)
    return fail(b, SPATE_ESTATE, "restore: unknown state '%s'", rec->state ? rec->state : "(null)");
  if (s->kind != rec->kind)
    return fail(b, SPATE_ESTATE, "restore: state '%s' is %s, the record %s", s->name,
                ks_kind_name(s->kind), ks_kind_name(rec->kind));
  if ((!rec->key && rec->key_len) || (!rec->ns && rec->ns_len))
    return fail(b, SPATE_EINVAL, "restore: NULL key or namespace bytes");
  uint32_t nf = s->kind == KS_AGGREGATING ? (uint32_t)s->acc_schema->nfields : s->value_nf;
  if ((rc = check_row(s, &rec->value, nf, "restored value")) < 0) return rc;
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
      return fail(b, SPATE_EINVAL, "restore: NULL user key bytes");
    return map_put(s, &c, rec->user_key, rec->user_key_len, &rec->value, ts);
  default: return put_value(s, &c, &rec->value, ts);
  }
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

#define RECORD_MIN 20u /* key, namespace and value length prefixes, and ttl_ts */
#define STATE_MIN 10u  /* a one-byte name with its length, kind, record count */

typedef struct ks_pending {
  char *name;
  ks_kind kind;
  int key_group;
  uint32_t count;
  uint8_t *data; /* count records, encoded as in a group */
  size_t len;
} ks_pending;

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

static void pending_free_all(ks_backend *b) {
  while (b->npending) pending_free_at(b, b->npending - 1);
  sp_free(b->pending);
  b->pending = NULL;
  b->pending_cap = 0;
}

static void pending_drop_group(ks_backend *b, int key_group) {
  for (uint32_t i = 0; i < b->npending;)
    if (b->pending[i].key_group == key_group) pending_free_at(b, i);
    else i++;
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

/* What the encoding of one key group reads: the states, the group's table, the clock for
 * states that leave expired values out, and the pending runs. Live for ks_write_key_group, the
 * frozen copies for a snapshot. */
typedef struct group_src {
  ks_state *const *states;
  uint32_t nstates;
  const ks_table *t;
  int64_t now;
  const ks_pending *pending;
  uint32_t npending;
} group_src;

/* Appends the encoding of key group kg from src to w, touching nothing else (no backend, no
 * scratch space), so a snapshot's writer may run it on any thread. SPATE_EINVAL with *bad set
 * to the state's index when a state has 2^32 records or more in the group; SPATE_ENOMEM when w
 * failed. */
static int encode_group(const group_src *src, int key_group, sp_writer *w, uint32_t *bad) {
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
  int rc = check_group(b, key_group);
  if (rc < 0) return rc;
  const ks_table *t = &b->groups[key_group - b->range.first];
  group_src src = {.states = b->states, .nstates = b->nstates, .t = t,
                   .now = t->slots ? filter_now(b, -1) : 0, .pending = b->pending,
                   .npending = b->npending};
  uint32_t bad = 0;
  rc = encode_group(&src, key_group, w, &bad);
  if (rc == SPATE_EINVAL)
    return fail(b, rc, "state '%s' has more than 2^32 records in key group %d",
                b->states[bad]->name, key_group);
  if (rc < 0) return fail(b, rc, "out of memory writing key group %d", key_group);
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
  return (ks_descriptor){.name = s->name, .kind = s->kind, .value_schema = s->value_schema,
                         .user_key_schema = s->user_key_schema, .acc_schema = s->acc_schema,
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
  ks_pending p = {.name = sp_strndup((const char *)name, name_len), .kind = kind,
                  .key_group = key_group, .count = count, .data = sp_malloc(len ? len : 1),
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

/* One pass over a group's encoding in r. Without apply it only validates (r is then a copy the
 * caller throws away); with apply (after a validating pass succeeded) it inserts the records
 * of registered states and sets the others aside. On failure r carries the message. */
static int scan_group(ks_backend *b, int key_group, sp_reader *r, bool apply) {
  char err[160];
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
      return fail(b, SPATE_ESTATE,
                  "restore: state '%s' is registered as %s but the checkpoint holds it as %s",
                  s->name, ks_kind_name(s->kind), ks_kind_name(kind));
    }
    ks_descriptor d = s ? descriptor_of(s) : (ks_descriptor){0};
    size_t run = r->pos;
    for (uint32_t k = 0; k < count; k++) {
      ks_record rec = {.state = s ? s->name : NULL, .kind = kind};
      if (!get_record(r, kind, &rec)) return SPATE_ECORRUPT;
      if (!s) continue;
      if (!apply) {
        if (check_record_rows(&d, &rec, err, sizeof err) < 0)
          return corrupt(r, "key group %d, state '%s', record %u: %s", key_group, s->name, k,
                         err);
        continue;
      }
      rec.value.nfields = (uint32_t)(kind == KS_AGGREGATING ? s->acc_schema : s->value_schema)
                              ->nfields;
      int rc = ks_restore_record(b, key_group, &rec);
      if (rc < 0) return rc;
    }
    if (apply && !s) {
      int rc = pending_add(b, name, name_len, kind, key_group, count, r->data + run, r->pos - run);
      if (rc < 0)
        return fail(b, rc, "out of memory setting aside restored state '%.*s'",
                    (int)(name_len > 64 ? 64 : name_len), (const char *)name);
    }
  }
  return 0;
}

/* Failures: a malformed group (SPATE_ECORRUPT) or a registered state of another kind
 * (SPATE_ESTATE) change nothing, and r carries the error and its offset; running out of memory
 * half way leaves the group empty rather than half restored. */
int ks_read_key_group(ks_backend *b, int key_group, sp_reader *r) {
  int rc = check_group(b, key_group);
  if (rc < 0) return rc;
  if (!sp_reader_ok(r)) return fail(b, SPATE_ECORRUPT, "key group %d: %s", key_group, r->error);
  sp_reader v = *r;
  if ((rc = scan_group(b, key_group, &v, false)) < 0) {
    *r = v; /* the caller's reader carries the error and its offset */
    if (rc == SPATE_ECORRUPT)
      fail(b, rc, "corrupt keyed state of key group %d: %s", key_group, v.error);
    return rc;
  }
  ks_clear_key_group(b, key_group);
  if ((rc = scan_group(b, key_group, r, true)) < 0) {
    ks_clear_key_group(b, key_group); /* never half a group */
    if (sp_reader_ok(r)) sp_reader_fail(r, "keyed state not restored");
  }
  return rc;
}

/* Checks the pending runs of state d->name against its descriptor before it is registered:
 * the kind must match (SPATE_ESTATE) and every row must be one of the schemas (SPATE_ECORRUPT).
 * Their bytes were validated when they were read. */
static int pending_check(ks_backend *b, const ks_descriptor *d) {
  char err[160];
  for (uint32_t i = 0; i < b->npending; i++) {
    const ks_pending *p = &b->pending[i];
    if (strcmp(p->name, d->name) != 0) continue;
    if (p->kind != d->kind)
      return fail(b, SPATE_ESTATE,
                  "state '%s' is registered as %s but was restored from a checkpoint as %s",
                  d->name, ks_kind_name(d->kind), ks_kind_name(p->kind));
    sp_reader r;
    sp_reader_init(&r, p->data, p->len);
    for (uint32_t k = 0; k < p->count; k++) {
      ks_record rec;
      if (!get_record(&r, p->kind, &rec))
        return fail(b, SPATE_ECORRUPT, "restored state '%s': %s", d->name, r.error);
      if (check_record_rows(d, &rec, err, sizeof err) < 0)
        return fail(b, SPATE_ECORRUPT, "restored state '%s', key group %d, record %u: %s",
                    d->name, p->key_group, k, err);
    }
  }
  return 0;
}

/* Drops every entry of state s (the last registered) from every key group. */
static void drop_state_entries(ks_backend *b, const ks_state *s) {
  int n = ks_key_group_range_size(b->range);
  for (int g = 0; g < n; g++) {
    ks_table *t = &b->groups[g];
    for (uint32_t i = 0; t->slots && i <= t->mask; i++)
      while (t->slots[i] && t->slots[i]->state == s->id) remove_entry(b, t, i);
  }
}

/* Inserts the pending runs of the just registered state s and forgets them. On failure
 * (SPATE_ENOMEM) s is unregistered and freed again, its runs stay pending. */
static int pending_apply(ks_backend *b, ks_state *s) {
  int rc = 0;
  uint32_t nf = (uint32_t)(s->kind == KS_AGGREGATING ? s->acc_schema : s->value_schema)->nfields;
  for (uint32_t i = 0; rc == 0 && i < b->npending; i++) {
    const ks_pending *p = &b->pending[i];
    if (strcmp(p->name, s->name) != 0) continue;
    sp_reader r;
    sp_reader_init(&r, p->data, p->len);
    for (uint32_t k = 0; rc == 0 && k < p->count; k++) {
      ks_record rec = {.state = s->name, .kind = s->kind};
      get_record(&r, p->kind, &rec); /* checked by pending_check */
      rec.value.nfields = nf;
      rc = ks_restore_record(b, p->key_group, &rec);
    }
  }
  if (rc < 0) {
    fail(b, rc, "out of memory restoring state '%s'", s->name);
    drop_state_entries(b, s);
    b->nstates--;
    state_free(s);
    return rc;
  }
  for (uint32_t i = 0; i < b->npending;)
    if (strcmp(b->pending[i].name, s->name) == 0) pending_free_at(b, i);
    else i++;
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Copy-on-write snapshots (see the file comment). Begin copies what the owner would otherwise
 * overwrite in place: each key group's slot array (pointers), the list of states (ks_register
 * may grow it) and the descriptions of the pending runs (their buffers are kept, not copied:
 * pending_free_at leaves them to release). Entries are not copied; the version bump freezes
 * them all. The writer then encodes from these copies with the encoder ks_write_key_group uses,
 * so the bytes are the same. */

static void snapshot_free(ks_snapshot *s) {
  sp_free(s->groups);
  sp_free(s->slots);
  sp_free(s->states);
  sp_free(s->pending);
  sp_free(s);
}

int ks_snapshot_begin(ks_backend *b, ks_snapshot **out) {
  *out = NULL;
  if (b->snap)
    return fail(b, SPATE_ESTATE,
                "a snapshot of this backend is still in progress (one at a time): release it, or"
                " write the key groups synchronously");
  int n = ks_key_group_range_size(b->range);
  size_t nslots = 0;
  for (int g = 0; g < n; g++)
    if (b->groups[g].slots) nslots += (size_t)b->groups[g].mask + 1;
  ks_snapshot *s = sp_calloc(1, sizeof *s);
  if (!s) return fail(b, SPATE_ENOMEM, "out of memory beginning a snapshot");
  s->groups = sp_malloc((size_t)n * sizeof *s->groups);
  s->slots = nslots ? sp_malloc(nslots * sizeof *s->slots) : NULL;
  s->states = b->nstates ? sp_malloc(b->nstates * sizeof *s->states) : NULL;
  s->pending = b->npending ? sp_malloc(b->npending * sizeof *s->pending) : NULL;
  if (!s->groups || (nslots && !s->slots) || (b->nstates && !s->states) ||
      (b->npending && !s->pending)) {
    snapshot_free(s);
    return fail(b, SPATE_ENOMEM, "out of memory beginning a snapshot (%zu slots)", nslots);
  }
  s->b = b;
  s->range = b->range;
  s->nstates = b->nstates;
  copy_bytes(s->states, b->states, b->nstates * sizeof *s->states);
  s->npending = b->npending;
  copy_bytes(s->pending, b->pending, b->npending * sizeof *s->pending);
  s->now = filter_now(b, -1);
  ks_entry **p = s->slots;
  for (int g = 0; g < n; g++) {
    const ks_table *t = &b->groups[g];
    s->groups[g] = *t;
    if (!t->slots) continue;
    size_t cap = (size_t)t->mask + 1;
    memcpy(p, t->slots, cap * sizeof *p);
    s->groups[g].slots = p;
    p += cap;
  }
  b->version++;
  b->snap = s;
  *out = s;
  return 0;
}

int ks_snapshot_write_key_group(ks_snapshot *s, int key_group, sp_writer *w) {
  if (!ks_key_group_range_contains(s->range, key_group)) {
    snprintf(s->err, sizeof s->err, "key group %d is outside the snapshot's range [%d, %d]",
             key_group, s->range.first, s->range.last);
    return SPATE_EINVAL;
  }
  group_src src = {.states = s->states, .nstates = s->nstates,
                   .t = &s->groups[key_group - s->range.first], .now = s->now,
                   .pending = s->pending, .npending = s->npending};
  uint32_t bad = 0;
  int rc = encode_group(&src, key_group, w, &bad);
  if (rc == SPATE_EINVAL)
    snprintf(s->err, sizeof s->err, "state '%s' has more than 2^32 records in key group %d",
             s->states[bad]->name, key_group);
  else if (rc < 0)
    snprintf(s->err, sizeof s->err, "out of memory writing key group %d", key_group);
  return rc;
}

const char *ks_snapshot_error(const ks_snapshot *s) { return s->err; }

void ks_snapshot_release(ks_snapshot *s) {
  if (!s) return;
  ks_backend *b = s->b;
  b->snap = NULL;
  for (ks_entry *e = s->retired, *next; e; e = next) {
    next = e->next_retired;
    sp_free(e);
  }
  for (ks_entry *e = s->retired_maps, *next; e; e = next) {
    next = e->next_retired;
    tbl_free_leaf(e_map(e));
    sp_free(e);
  }
  for (ks_entry *e = s->retired_shells, *next; e; e = next) {
    next = e->next_retired;
    sp_free(e_map(e)->slots);
    sp_free(e);
  }
  /* Pending runs dropped while the snapshot lived (registered, cleared) kept their buffers. */
  for (uint32_t i = 0; i < s->npending; i++) {
    bool live = false;
    for (uint32_t j = 0; j < b->npending && !live; j++)
      live = b->pending[j].data == s->pending[i].data;
    if (!live) {
      sp_free(s->pending[i].name);
      sp_free(s->pending[i].data);
    }
  }
  snapshot_free(s);
}

/*
 * ks_internal.h: what the files of the heap keyed-state backend share, and what nothing else
 * may use (as SQLite's btreeInt.h is to its B-tree): the layout of entries and tables, the
 * structs of the backend, its states and its snapshots, and the calls from one of its files into
 * another. Everything outside src/state/keyed_state.c and src/state/ks_*.c uses keyed_state.h.
 * The backend's files:
 *   keyed_state.c  the backend: creation, errors, registration of states, the current key
 *   ks_table.c     the copy-on-write hash table of a key group (and of each MAP entry), and
 *                  the memory of entries (small ones from the backend's slab, base/slab.h)
 *   ks_states.c    the five kinds of state (value, list, map, reducing, aggregating): reads and
 *                  writes for the current key, and ks_restore_record
 *   ks_ttl.c       TTL: expiry of list elements and map entries, ks_ttl_cleanup_full
 *   ks_codec.c     a key group visited, encoded for a checkpoint and read back; restored records
 *                  of states not registered yet (pending runs, the lazy restore)
 *   ks_snapshot.c  copy-on-write snapshots: begin, the writer's encoding, release
 *   ks_arena.c     memory for the entries of large restores, mapped in whole blocks
 * The calls between these files are hidden from libspate's exported symbols (KS_HIDDEN). What
 * every state access runs (the lookup tbl_find, entry_own, the TTL tests) is static inline here,
 * so that a state access costs no call into another file.
 *
 * Layout. The backend keeps one ks_table per key group of its range. A ks_table is linear
 * probing over a power-of-two array of 8-byte slots, each an entry pointer tagged with 16 bits
 * of the entry's hash (ks_slot), grown at 75% load, with backward-shift deletion (no
 * tombstones), so a probe ends at the first empty slot and reads only the entry whose tag
 * matches. An entry is one allocation, with a 24-byte header (ks_entry):
 *
 *   ks_entry header | key bytes (padded to 8) | namespace bytes (padded to 8) | [word] | payload
 *
 * where the 8-byte word is there only when the header's has_word says so: the TTL last-access
 * time of one-row entries and nested map entries of a state with TTL, the element count of a
 * LIST entry (e_ts, e_count). An entry of a state without TTL thus carries no timestamp (a
 * value-state entry of a BIGINT key and value is 56 bytes). The payload is, by the kind of its
 * state:
 *   VALUE, REDUCING, AGGREGATING  one row (len bytes); word (TTL only) = last access
 *   LIST                          count elements (the word), each {list_elem header, row
 *                                 padded to 8}
 *   MAP                           a ks_table of nested entries (user key in the key position,
 *                                 no namespace, one row payload, own last access when the
 *                                 state has TTL)
 * Rows thus start 8-byte aligned. Entries come from the backend's slab in sizes rounded to 8
 * bytes (base/slab.h). An entry's hash mixes the hash of the current key (computed
 * once per ks_set_current_key), of the namespace and the state index, so a state access costs
 * one probe sequence and no hashing of key bytes.
 *
 * Rows handed out by reads that must return an already removed value (TTL visibility
 * RETURN_EXPIRED_IF_NOT_CLEANED_UP) are copied into the backend's scratch area first; that is
 * why views are valid only until the next backend call.
 *
 * Checkpoints (ks_write_key_group / ks_read_key_group, in ks_codec.c) encode a key group state
 * by state; records of states not registered yet wait in `pending` until ks_register asks for
 * them (see "Checkpoint encoding" in ks_codec.c).
 *
 * Copy-on-write snapshots (Flink's CopyOnWriteStateMap). The backend has a version, bumped by
 * ks_snapshot_begin, and every entry (nested map entries too) records the version it was
 * created or last copied in. While a snapshot is active an entry of an older version is
 * frozen: the snapshot's slot arrays may point to it, so the owner never writes to it and
 * never frees it. The key groups' slot arrays themselves are shared with the snapshot until the
 * owner first touches a group (ks_group_writable copies that group's array for the owner; the
 * snapshot keeps the original), so begin copies no array. Every write goes through entry_own / ks_map_own first, which copy a
 * frozen entry into a new allocation of the current version and put the copy into the live
 * slot; an entry leaving the live tables while frozen (removed, or replaced by its copy) is
 * retired onto one of the snapshot's lists instead of freed, and ks_snapshot_release frees the
 * retired entries. A MAP entry is copied with a copy of its nested slot array only: the
 * nested entries are shared and copied one by one when they are written, so the frozen map
 * keeps its slot array and entries exactly as they were. The writer thread reads only the
 * snapshot's own arrays and frozen entries, so nothing locks. See ks_table.c (the copy-on-write
 * of entries) and ks_snapshot.c (begin and release).
 */
#ifndef SPATE_STATE_KS_INTERNAL_H
#define SPATE_STATE_KS_INTERNAL_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/alloc.h"
#include "base/assert.h"
#include "base/bytes.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/slab.h"
#include "state/keyed_state.h"
#include "types/row.h"

/* For the calls between the backend's files: not exported from libspate, and called directly
 * (no PLT). */
#define KS_HIDDEN __attribute__((visibility("hidden")))

/* ---------------------------------------------------------------------------------------------
 * Entries and tables. */

typedef struct ks_entry {
  union {
    /* While the entry is in a live table. */
    struct {
      uint32_t hash;    /* low half of the entry's hash (entry_hash, or of the user key in nested
                         * map entries): its home slot, for growth and deletion */
      uint32_t version; /* the backend's version when this allocation was made */
    };
    /* Once it is retired (out of the live tables, kept only for a snapshot): the link of the
     * snapshot's retired list, which the owner may write because the snapshot's writer never
     * reads hash or version. */
    struct ks_entry *next_retired;
  };
  uint32_t klen;         /* key bytes (user key bytes in nested map entries) */
  uint32_t len;          /* payload bytes used */
  uint32_t cap;          /* payload bytes allocated */
  uint16_t nslen;        /* namespace bytes (0 in nested map entries); at most KS_MAX_NAMESPACE */
  uint16_t state : 15;   /* index of the state (0 in nested map entries); below KS_MAX_STATES */
  uint16_t has_word : 1; /* the 8-byte word after the namespace is there (e_ts, e_count) */
} ks_entry;
_Static_assert(sizeof(ks_entry) == 24, "the entry header is 24 bytes (see the layout above)");

#define KS_MAX_NAMESPACE UINT16_MAX
#define KS_MAX_STATES 0x7fff

/* A slot of a table: 0 when empty, else the entry's address in the low 48 bits and the top 16
 * bits of the entry's hash above them (the tag). A probe compares tags and reads an entry only
 * when its tag matches (a false match is 1 in 65,536), so walking a probe run touches only the
 * slot array. User-space addresses fit in 48 bits on x86-64 and arm64 (4-level page tables, and
 * Linux maps above 2^47 only when asked to); ks_tbl_insert checks it. Pointer-tagging hardware
 * modes (arm64 MTE/TBI tags in the top byte) are not used by Spate. */
typedef uint64_t ks_slot;
#define SLOT_PTR_MASK ((UINT64_C(1) << 48) - 1)

static inline ks_entry *slot_entry(ks_slot s) { return (ks_entry *)(uintptr_t)(s & SLOT_PTR_MASK); }
static inline ks_slot make_slot(uint64_t hash, const ks_entry *e) {
  sp_assert(((uintptr_t)e & ~SLOT_PTR_MASK) == 0); /* the address fits beside the tag */
  return (hash & ~SLOT_PTR_MASK) | (uintptr_t)e;
}

/* Invariants: count <= mask + 1 and, while slots != NULL, count * 4 <= (mask + 1) * 3 after each
 * insert; slots == NULL means an empty table with no array yet. */
typedef struct ks_table {
  ks_slot *slots;
  uint32_t mask;
  uint32_t count;
} ks_table;

/* The entry in slot i (NULL when empty). */
static inline ks_entry *tbl_at(const ks_table *t, uint32_t i) { return slot_entry(t->slots[i]); }
/* Puts n (a copy or a moved version of the entry in slot i) into slot i, keeping the tag. */
static inline void tbl_replace(ks_table *t, uint32_t i, const ks_entry *n) {
  t->slots[i] = make_slot(t->slots[i], n); /* keeps the tag */
}

typedef struct list_elem {
  int64_t ts;
  uint32_t len; /* row bytes; the row is padded to 8 */
  uint32_t reserved;
} list_elem;

#define TABLE_MIN_CAP 8u
#define TABLE_MAX_CAP (1u << 30)
#define MAX_PAYLOAD ((uint64_t)UINT32_MAX - 64)

/* Zero bytes for empty keys and namespaces (each file has its own copy). */
static const uint8_t empty_bytes[8] __attribute__((unused));

static inline uint32_t pad8(uint32_t n) { return (n + 7u) & ~7u; }
static inline uint8_t *e_key(ks_entry *e) { return (uint8_t *)(e + 1); }
static inline uint8_t *e_ns(ks_entry *e) { return e_key(e) + pad8(e->klen); }
static inline uint8_t *e_word(ks_entry *e) { return e_ns(e) + pad8(e->nslen); }
static inline uint8_t *e_payload(ks_entry *e) { return e_word(e) + (e->has_word ? 8 : 0); }
/* The bytes before the payload: header, key, namespace and the word when there is one. */
static inline size_t e_header_size(uint32_t klen, uint32_t nslen, bool word) {
  return sizeof(ks_entry) + pad8(klen) + pad8(nslen) + (word ? 8 : 0);
}
static inline size_t e_hdr(const ks_entry *e) {
  return e_header_size(e->klen, e->nslen, e->has_word);
}
/* The TTL last-access time of a one-row or nested map entry: 0 without a word (a state without
 * TTL keeps none; its records are written and restored with 0). */
static inline int64_t e_ts(const ks_entry *e) {
  int64_t ts = 0;
  if (e->has_word) memcpy(&ts, e_word((ks_entry *)e), 8);
  return ts;
}
static inline void e_set_ts(ks_entry *e, int64_t ts) {
  sp_assert(e->has_word || ts == 0);
  if (e->has_word) memcpy(e_word(e), &ts, 8);
}
/* The number of elements of a LIST entry (which always has the word). */
static inline uint32_t e_count(const ks_entry *e) {
  sp_assert(e->has_word);
  uint32_t n;
  memcpy(&n, e_word((ks_entry *)e), 4);
  return n;
}
static inline void e_set_count(ks_entry *e, uint32_t n) {
  sp_assert(e->has_word);
  memcpy(e_word(e), &n, 4);
}
static inline ks_table *e_map(ks_entry *e) { return (ks_table *)(void *)e_payload(e); }
static inline uint32_t elem_size(uint32_t row_len) {
  return (uint32_t)sizeof(list_elem) + pad8(row_len);
}

/* Keys and namespaces are mostly rows of a few 8-byte slots (a BIGINT key is 16 bytes, a
 * window 16): those are compared word by word inline, the rest by memcmp (a call into libc,
 * which was 5% of window-tumbling's time). */
static inline bool bytes_eq(const void *a, const void *b, size_t n) {
  if (n <= 32 && (n & 7) == 0) {
    const uint8_t *p = a, *q = b;
    uint64_t d = 0;
    for (size_t i = 0; i < n; i += 8) {
      uint64_t x, y;
      memcpy(&x, p + i, 8);
      memcpy(&y, q + i, 8);
      d |= x ^ y;
    }
    return d == 0;
  }
  return memcmp(a, b, n) == 0;
}
static inline void copy_bytes(void *dst, const void *src, size_t n) {
  if (n) memmove(dst, src, n);
}

static inline uint64_t entry_hash(uint64_t key_hash, uint64_t ns_hash, uint32_t state) {
  return sp_mix64(key_hash ^ sp_mix64(ns_hash + 0x9e3779b97f4a7c15ULL * (state + 1)));
}
static inline uint64_t bytes_hash(const void *p, uint32_t n) {
  return sp_hash64(n ? p : empty_bytes, n);
}

/* The entry of (state, key, namespace) in t, with its slot; NULL when there is none. */
static inline ks_entry *tbl_find(const ks_table *t, uint64_t hash, uint32_t state, const void *key,
                                 uint32_t klen, const void *ns, uint32_t nslen, uint32_t *slot) {
  if (!t->slots) return NULL;
  uint64_t tag = hash & ~SLOT_PTR_MASK;
  for (uint32_t i = (uint32_t)hash & t->mask;; i = (i + 1) & t->mask) {
    ks_slot sl = t->slots[i];
    if (!sl) return NULL;
    if ((sl & ~SLOT_PTR_MASK) != tag) continue; /* decided without reading the entry */
    ks_entry *e = slot_entry(sl);
    if (e->hash == (uint32_t)hash && e->state == state && e->klen == klen && e->nslen == nslen &&
        bytes_eq(e_key(e), key, klen) && bytes_eq(e_ns(e), ns, nslen)) {
      if (slot) *slot = i;
      return e;
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * Restore arena (ks_arena.c). While a large key group is restored, ks_entry_new cuts entries
 * from blocks of memory mapped whole (huge pages, populated in one call) instead of calling
 * malloc per entry: ks_restore_arena is then the backend's arena (set by ks_codec.c around
 * the records it restores, on the restoring thread). Every entry is freed through
 * ks_entry_free, which tells the two apart by address. */
typedef struct ks_arena {
  struct ks_arena_block *cur; /* the block entries are cut from, NULL before the first */
  /* the next block, mapped on a thread of its own (ks_arena.c, prepare_start) */
  pthread_t prep;
  bool preparing;
  size_t prepare_size;
  struct ks_arena_block *prepared;
  size_t used;   /* bytes of cur taken */
  size_t expect; /* bytes the restore still expects to ask for (sizes the next block) */
  size_t total;  /* bytes handed out, ever */
} ks_arena;
KS_HIDDEN extern _Thread_local ks_arena *ks_restore_arena;
KS_HIDDEN void ks_arena_expect(ks_arena *a, size_t bytes);
/* n bytes, 16-aligned, from a's current block or a new one; NULL when no block can be mapped
 * (the caller falls back to malloc). */
KS_HIDDEN void *ks_arena_alloc(ks_arena *a, size_t n);
KS_HIDDEN bool ks_arena_owns(const void *p);
/* Counts an arena entry out of its block (any thread); the last one of a sealed block unmaps
 * it. */
KS_HIDDEN void ks_arena_release(void *p);
/* No more entries are cut from a (its backend is freed); its block goes once its entries do. */
KS_HIDDEN void ks_arena_close(ks_arena *a);

/* ---------------------------------------------------------------------------------------------
 * Entry memory (ks_table.c, base/slab.h). An entry is ks_entry_size(e) bytes: its header, key and namespace
 * (e_hdr) and cap payload bytes. Entries of at most KS_SLAB_MAX bytes come from the
 * backend's slab (chunks cut in sizes rounded to 8 bytes, a free list per size), larger ones
 * from sp_malloc, and restored ones may come from the arena; ks_entry_free tells them apart by
 * the arena's addresses and then by the size, which is why every allocation of an entry goes
 * through ks_entry_mem with exactly the size its header will describe. */
#define KS_SLAB_MAX SP_SLAB_MAX

static inline size_t ks_entry_size(const ks_entry *e) { return e_hdr(e) + e->cap; }
/* The payload capacity of an entry with a header of hdr bytes that needs cap payload bytes,
 * allocated by ks_entry_mem: a slab block is rounded up to 8 bytes, and the rest of it is
 * payload room, so a value that grows by a few bytes stays where it is. */
static inline uint32_t ks_entry_cap(size_t hdr, uint32_t cap) {
  return hdr + cap <= KS_SLAB_MAX ? (uint32_t)(sp_slab_round(hdr + cap) - hdr) : cap;
}
/* Memory for an entry of n bytes (not from the arena); NULL when out of memory. */
KS_HIDDEN void *ks_entry_mem(ks_backend *b, size_t n);
KS_HIDDEN void ks_entry_free(ks_backend *b, ks_entry *e);

/* ks_table.c */
KS_HIDDEN int ks_tbl_reserve(ks_table *t);
/* Room for n more entries, grown at most once (restores). */
KS_HIDDEN int ks_tbl_reserve_n(ks_table *t, uint32_t n);
/* A copy of t's slot array (t->slots must be set), or NULL when out of memory. */
KS_HIDDEN ks_slot *ks_tbl_copy_slots(const ks_table *t);
/* Inserts e, whose full hash is hash (e->hash holds its low half), after ks_tbl_reserve. */
KS_HIDDEN void ks_tbl_insert(ks_table *t, ks_entry *e, uint64_t hash);
KS_HIDDEN void ks_tbl_remove_at(ks_table *t, uint32_t i);
/* A new entry with room for cap payload bytes (len 0), with the 8-byte word before the payload
 * when `word` (zeroed): LIST entries always, one-row and nested map entries of a state with TTL.
 * NULL when out of memory. */
KS_HIDDEN ks_entry *ks_entry_new(ks_backend *b, uint64_t hash, uint32_t state, const void *key,
                                 uint32_t klen, const void *ns, uint32_t nslen, uint32_t cap,
                                 bool word);
KS_HIDDEN ks_entry *ks_entry_grow(ks_backend *b, ks_table *t, uint32_t slot, ks_entry *e,
                                  uint32_t cap);
KS_HIDDEN void ks_tbl_free_leaf(ks_backend *b, ks_table *t);

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
  /* The bytes in `ns` (kept when a new key empties the namespace) and their hash: setting the
   * same namespace again, as a window operator does for each record of a window, reuses it. */
  uint32_t ns_buf_len;
  uint64_t ns_buf_hash;
  /* ks_prefetch: the key and namespace hashes of the last KS_PREFETCH_LAG hints with their
   * tables, whose entries are prefetched at the hint KS_PREFETCH_LAG later (a ring; table NULL:
   * unused). */
  struct {
    ks_table *t;
    uint64_t key_hash, ns_hash;
  } pf[KS_PREFETCH_LAG];
  uint32_t pf_next;
  /* Copies of removed values still returned to the caller (see the file comment). */
  uint8_t *scratch;
  size_t scratch_cap;
  /* Restored records of states not registered yet: one run per (state name, key group), in
   * the order read (see "Checkpoint encoding"). */
  struct ks_pending *pending;
  uint32_t npending, pending_cap;
  /* Copy-on-write snapshots: entries record `version` when allocated; snap is the active
   * snapshot (NULL when none), which freezes every entry of an older version. */
  uint32_t version; /* wraps: ks_snapshot_begin renumbers the entries first (ks_snapshot.c) */
  ks_snapshot *snap;
  ks_arena arena; /* entries of large restores (ks_arena.c) */
  sp_slab slab;   /* small entries (base/slab.h) */
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
  int64_t now;      /* clock at begin, for states with ttl.cleanup_full_snapshot */
  ks_table *groups; /* per key group: the table as at begin; its slot array is shared with the
                     * live table while shared[g] is set, else the snapshot's own (the owner
                     * copied it: ks_snapshot_own_group) */
  uint8_t *shared;  /* per key group, the owner's (the writer never reads it) */
  struct ks_pending *pending; /* copies of the pending runs' descriptions; the name and data
                               * buffers stay allocated until release (pending_free_at) */
  uint32_t npending;
  ks_entry *retired;        /* one allocation each: one-row, list and nested map entries */
  ks_entry *retired_maps;   /* MAP entries removed whole: free the nested table too */
  ks_entry *retired_shells; /* MAP entries replaced by a copy: the nested entries went with the
                             * copy, free the nested slot array and the entry only */
  char err[SP_ERRMSG_MAX];  /* the last failure of ks_snapshot_write_key_group */
};

/* Where a state call works: the key group's table and the (key, namespace) to look up. */
typedef struct ks_ctx {
  ks_table *t;
  const uint8_t *key, *ns;
  uint32_t key_len, ns_len;
  uint64_t key_hash, ns_hash;
} ks_ctx;

/* A pending run: the restored records of one state that is not registered yet, in one key
 * group (see "Checkpoint encoding" in ks_codec.c). */
typedef struct ks_pending {
  char *name;
  ks_kind kind;
  int key_group;
  uint32_t count;
  uint8_t *data; /* count records, encoded as in a group */
  size_t len;
} ks_pending;

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

/* ---------------------------------------------------------------------------------------------
 * Calls between the files. */

/* keyed_state.c */
KS_HIDDEN int ks_fail(ks_backend *b, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
KS_HIDDEN int ks_no_memory(ks_backend *b, const ks_state *s);
KS_HIDDEN void ks_state_free(ks_state *s);
KS_HIDDEN ks_state *ks_find_state(const ks_backend *b, const char *name);
KS_HIDDEN int ks_check_group(ks_backend *b, int key_group);

/* ks_table.c (copy-on-write) */
KS_HIDDEN void ks_drop_leaf(ks_backend *b, ks_entry *e);
KS_HIDDEN ks_entry *ks_map_own(ks_backend *b, ks_table *t, uint32_t slot, ks_entry *e);
KS_HIDDEN void ks_table_free(ks_backend *b, ks_table *t);
KS_HIDDEN void ks_remove_entry(ks_backend *b, ks_table *t, uint32_t slot);

/* ks_ttl.c */
KS_HIDDEN int ks_scratch_reserve(ks_backend *b, size_t n);
KS_HIDDEN uint32_t ks_list_expired(const ks_state *s, ks_entry *e, int64_t now);
KS_HIDDEN uint32_t ks_list_compact(const ks_state *s, ks_entry *e, int64_t now, bool touch);
KS_HIDDEN int ks_map_expire(ks_state *s, ks_table *t, uint32_t slot, ks_entry **outer, int64_t now,
                            bool keep_copy, uint32_t *removed, size_t *copied);

/* ks_codec.c */
KS_HIDDEN int64_t ks_filter_now(const ks_backend *b, int only);
KS_HIDDEN int ks_encode_group(const group_src *src, int key_group, sp_writer *w, uint32_t *bad);
KS_HIDDEN void ks_pending_free_all(ks_backend *b);
KS_HIDDEN void ks_pending_drop_group(ks_backend *b, int key_group);
KS_HIDDEN int ks_pending_check(ks_backend *b, const ks_descriptor *d);
KS_HIDDEN int ks_pending_apply(ks_backend *b, ks_state *s);

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

/* Makes the entry e at t->slots[slot] writable with room for cap payload bytes: e itself when
 * it is not frozen and large enough, e grown (moved) when it is not frozen, else a copy of its
 * header, key, namespace and first `keep` payload bytes in a new allocation of the current
 * version, which replaces e in the slot while e is retired. NULL when out of memory, and then
 * nothing changed. Not for MAP entries (ks_map_own). */
static inline ks_entry *entry_own(ks_backend *b, ks_table *t, uint32_t slot, ks_entry *e,
                                  uint32_t cap, uint32_t keep) {
  if (!frozen(b, e)) return cap <= e->cap ? e : ks_entry_grow(b, t, slot, e, cap);
  size_t hdr = e_hdr(e);
  cap = ks_entry_cap(hdr, cap);
  ks_entry *n = ks_entry_mem(b, hdr + cap);
  if (!n) return NULL;
  memcpy(n, e, hdr + (keep < cap ? keep : cap));
  n->version = b->version;
  n->cap = cap;
  tbl_replace(t, slot, n);
  retire(&b->snap->retired, e);
  return n;
}

/* Key group index gi (its offset in b->groups) before the owner touches its table: while a
 * snapshot shares the group's slot array, the table gets a copy of its own first (ks_snapshot.c).
 * Every call that may change b->groups[gi] (a state call for the current key, a restored record,
 * clearing a group, TTL cleanup) comes through here. SPATE_ENOMEM: nothing changed. */
KS_HIDDEN int ks_snapshot_own_group(ks_backend *b, int gi);
static inline int ks_group_writable(ks_backend *b, int gi) {
  return b->snap && b->snap->shared[gi] ? ks_snapshot_own_group(b, gi) : 0;
}

/* ---------------------------------------------------------------------------------------------
 * TTL. */

static inline int64_t now_for(const ks_state *s) {
  return s->has_ttl ? s->b->clock(s->b->clock_arg) : 0;
}

/* Flink's TtlUtils.expired: last_access + ttl <= now, the sum saturating. */
static inline bool expired(const ks_state *s, int64_t ts, int64_t now) {
  if (!s->has_ttl) return false;
  int64_t ttl = s->ttl.ttl_ms;
  int64_t expires = ts > INT64_MAX - ttl ? INT64_MAX : ts + ttl;
  return expires <= now;
}
static inline bool return_expired(const ks_state *s) {
  return s->ttl.visibility == KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP;
}
static inline bool touch_on_read(const ks_state *s) {
  return s->has_ttl && s->ttl.update == KS_TTL_ON_READ_AND_WRITE;
}

#endif

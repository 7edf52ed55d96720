/*
 * keyed_state.h: the heap keyed-state backend of one operator subtask, partitioned by key group.
 *
 * This is Flink's HeapKeyedStateBackend reduced to what a C operator needs. An operator subtask
 * owns one backend for its key-group range; its task thread is the only thread that touches it,
 * so nothing here locks. The operator
 *   1. registers its states once (ks_register) from descriptors: name, kind, schemas, functions
 *      and an optional TTL configuration (Flink's StateTtlConfig),
 *   2. for every record or timer sets the current key (row bytes + key group, computed by the
 *      caller with sp_key_group) and, for windows and the like, the current namespace,
 *   3. reads and writes state through the kind-specific calls below (ks_value_*, ks_list_*, ...).
 * Checkpoints visit one key group at a time (ks_snapshot_key_group); restore clears and inserts
 * per key group (ks_clear_key_group, ks_restore_record), so state can be redistributed when the
 * parallelism changes.
 *
 * Values are rows in Spate's binary format, stored by copy. A row handed back (get, iterators)
 * is a view into backend memory, valid until the next call on the same backend (any state, any
 * key) or until the backend is freed. Keys, namespaces and map user keys are compared as bytes:
 * equal values must have equal bytes, which the row builder guarantees.
 *
 * Storage: one open-addressing hash table per key group, keyed by (state, key bytes, namespace
 * bytes). One entry holds key, namespace and payload in a single allocation: a row (VALUE,
 * REDUCING, AGGREGATING), a packed sequence of rows (LIST), or a nested table of user-key ->
 * row entries (MAP, like Flink's HashMap per key and namespace). Reads and writes of an existing
 * entry allocate nothing when the new value fits the old allocation; a LIST grows
 * geometrically. An entry never exists empty: a LIST or MAP that loses its last element is
 * removed, as in Flink's heap backend.
 *
 * TTL follows Flink's StateTtlConfig (processing time, from the clock given at creation):
 *  - a value expires when last_access + ttl <= now; last_access is set on create and write, and
 *    with KS_TTL_ON_READ_AND_WRITE also on every read that returns it;
 *  - LIST elements and MAP entries carry their own timestamp and expire one by one;
 *  - an expired value that is read is removed at once (cleanup on access); with
 *    KS_TTL_NEVER_RETURN_EXPIRED the read behaves as if it were absent, with
 *    KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP that one read still returns it;
 *  - REDUCING and AGGREGATING add() ignore an expired accumulator (Flink's TtlReduceFunction /
 *    TtlAggregateFunction) and start over;
 *  - ks_ttl_cleanup_full removes every expired value, element and entry; the snapshot visit
 *    leaves expired values out for states whose TTL asks for cleanup in full snapshots.
 *
 * Errors are negative SPATE_E* codes with a message on the backend (ks_error): SPATE_ESTATE for
 * a call of the wrong kind, an unknown state name, no current key, a name registered twice with
 * a different shape; SPATE_EINVAL for bad arguments (key group outside the range, a row with the
 * wrong number of fields); SPATE_ENOMEM when an allocation fails, with the state unchanged.
 * Error codes of user functions (reduce, aggregate) are passed through, state unchanged.
 */
#ifndef SPATE_STATE_KEYED_STATE_H
#define SPATE_STATE_KEYED_STATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/bytes.h"
#include "spate/spate.h"

/* ---------------------------------------------------------------------------------------------
 * Key-group ranges (Flink's KeyGroupRange / KeyGroupRangeAssignment). A key's group is
 * sp_key_group(hash, max_parallelism) (base/hash.h); subtask i of p owns the inclusive range
 *   first = ceil(i * max / p) = (i * max + p - 1) / p
 *   last  = ceil((i + 1) * max / p) - 1
 * which is exactly the set of groups g with sp_operator_index(max, p, g) == i. */
typedef struct ks_key_group_range {
  int first, last; /* inclusive; empty when last < first */
} ks_key_group_range;

/* Range of subtask `index` (0 <= index < parallelism <= max_parallelism). */
static inline ks_key_group_range ks_key_group_range_for(int max_parallelism, int parallelism,
                                                        int index) {
  ks_key_group_range r;
  int64_t m = max_parallelism, p = parallelism, i = index;
  r.first = (int)((i * m + p - 1) / p);
  r.last = (int)(((i + 1) * m + p - 1) / p - 1);
  return r;
}
static inline bool ks_key_group_range_contains(ks_key_group_range r, int key_group) {
  return key_group >= r.first && key_group <= r.last;
}
static inline int ks_key_group_range_size(ks_key_group_range r) {
  return r.last >= r.first ? r.last - r.first + 1 : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Descriptors. */
typedef enum ks_kind {
  KS_VALUE = 1,
  KS_LIST = 2,
  KS_MAP = 3,
  KS_REDUCING = 4,
  KS_AGGREGATING = 5,
} ks_kind;
const char *ks_kind_name(ks_kind kind); /* "VALUE", ... */

typedef enum ks_ttl_update {
  KS_TTL_DISABLED = 0,            /* no TTL (ttl_ms is ignored) */
  KS_TTL_ON_CREATE_AND_WRITE = 1, /* Flink's default */
  KS_TTL_ON_READ_AND_WRITE = 2,
} ks_ttl_update;

typedef enum ks_ttl_visibility {
  KS_TTL_NEVER_RETURN_EXPIRED = 0, /* Flink's default */
  KS_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP = 1,
} ks_ttl_visibility;

typedef struct ks_ttl_config {
  ks_ttl_update update; /* KS_TTL_DISABLED (zero) = no TTL */
  int64_t ttl_ms;       /* > 0 when enabled */
  ks_ttl_visibility visibility;
  bool cleanup_full_snapshot; /* leave expired values out of snapshots */
} ks_ttl_config;

/* Writes acc (+) in into out (a builder of the value schema, begun by the backend). */
typedef int (*ks_reduce_fn)(void *arg, const spate_row *acc, const spate_row *in,
                            spate_row_builder *out);
/* AGGREGATING: create writes a fresh accumulator into out (optional: without it, add receives
 * acc == NULL for the first value of a key and namespace); add writes acc (+) in into out (a
 * builder of the accumulator schema); get_result writes the result row for acc into out (a
 * builder of the result schema). */
typedef int (*ks_agg_create_fn)(void *arg, spate_row_builder *out);
typedef int (*ks_agg_add_fn)(void *arg, const spate_row *acc, const spate_row *in,
                             spate_row_builder *out);
typedef int (*ks_agg_result_fn)(void *arg, const spate_row *acc, spate_row_builder *out);

typedef struct ks_descriptor {
  const char *name; /* unique per backend; copied */
  ks_kind kind;
  /* Rows stored (VALUE, LIST elements, MAP values, REDUCING) or added (AGGREGATING input).
   * Schemas are referenced (schema_ref) for the backend's lifetime. */
  const spate_schema *value_schema;
  const spate_schema *user_key_schema; /* MAP only */
  const spate_schema *acc_schema;      /* AGGREGATING only */
  const spate_schema *result_schema;   /* AGGREGATING only */
  ks_reduce_fn reduce;                 /* REDUCING only */
  ks_agg_create_fn agg_create;         /* AGGREGATING, optional */
  ks_agg_add_fn agg_add;               /* AGGREGATING */
  ks_agg_result_fn agg_result;         /* AGGREGATING */
  void *fn_arg;                        /* first argument of the functions above */
  ks_ttl_config ttl;
} ks_descriptor;

/* ---------------------------------------------------------------------------------------------
 * The backend. */
typedef struct ks_backend ks_backend;
typedef struct ks_state ks_state; /* owned by its backend */

/* Processing time in milliseconds, consulted only by states with TTL. */
typedef int64_t (*ks_clock_fn)(void *arg);

/* Creates a backend for the key groups `range` of max_parallelism (1..32768, range inside
 * [0, max)). clock may be NULL when no state uses TTL (registering one then fails). On success
 * *out is owned by the caller (ks_backend_free). SPATE_EINVAL / SPATE_ENOMEM otherwise. */
int ks_backend_new(int max_parallelism, ks_key_group_range range, ks_clock_fn clock,
                   void *clock_arg, ks_backend **out);
void ks_backend_free(ks_backend *b);
/* The message of the last error ("" if none yet). */
const char *ks_error(const ks_backend *b);
ks_key_group_range ks_backend_range(const ks_backend *b);
int ks_backend_max_parallelism(const ks_backend *b);

/* Registers a state, or returns the existing one when the name is already registered with the
 * same kind and schemas (Flink's getState called again; functions and TTL are kept from the
 * first registration). A different shape under the same name is SPATE_ESTATE; a backend holds
 * fewer than 32,767 states (SPATE_EINVAL beyond: entries keep the state's index in 15 bits). */
int ks_register(ks_backend *b, const ks_descriptor *d, ks_state **out);
/* The state registered under name; SPATE_ESTATE if none. */
int ks_lookup(ks_backend *b, const char *name, ks_state **out);
const char *ks_state_name(const ks_state *s);
ks_kind ks_state_kind(const ks_state *s);

/* Current key context. The key bytes are copied (growing a reused buffer, so this allocates
 * only when a longer key than ever before arrives); key_group must lie in the backend's range
 * and must be the key's group (the caller computes it once per record). Setting a key resets
 * the namespace to the default (empty) namespace. If the copy fails (SPATE_ENOMEM) there is no
 * current key afterwards, so a failed set can never leave state calls on the previous key. */
int ks_set_current_key(ks_backend *b, const void *key, uint32_t len, int key_group);
/* Sets the namespace (e.g. an encoded window) for later state calls; len 0 = the default
 * namespace. Copied like the key. At most 65,535 bytes (SPATE_EINVAL beyond, also for a
 * namespace of a restored record: entries keep the length in 16 bits). */
int ks_set_namespace(ks_backend *b, const void *ns, uint32_t len);
/* The current namespace (len 0: the default one); *ns views the backend's copy, valid until the
 * next ks_set_namespace or ks_set_current_key. Code that runs user functions between its own
 * state calls (a window function using keyed state) saves it to put it back afterwards. */
void ks_get_namespace(const ks_backend *b, const uint8_t **ns, uint32_t *len);
/* Forgets the current key: state calls fail with SPATE_ESTATE until the next set. */
void ks_unset_current_key(ks_backend *b);
/* A hint, for a record a few positions ahead of the current one in the caller's input, whose
 * key and key group are given: the state of that key under namespace ns of ns_len bytes (NULL,
 * 0: the default one; a window operator: the record's window) in the first KS_PREFETCH_STATES
 * states will be read soon. It starts loading the table slot of each into
 * the cache now, and the entry the slot points to at a later call (after KS_PREFETCH_LAG more
 * hints), so that the cache misses of several records overlap instead of each record waiting
 * for two in turn. Nothing is read or written that a state call could observe; a key group
 * outside the range is ignored. */
#define KS_PREFETCH_STATES 2
#define KS_PREFETCH_LAG 4
void ks_prefetch(ks_backend *b, const void *key, uint32_t len, const void *ns, uint32_t ns_len,
                 int key_group);
/* Whether hints for key_group are worth their cost: only when the backend holds about
 * KS_PREFETCH_MIN_ENTRIES entries or more (estimated from that group's table), more than the
 * core's cache keeps. A smaller state is in the cache already, and hashing each record twice
 * (once ahead, once when processed) only costs time: window-tumbling's 10,000 keys went from
 * 10.3 to 8.5 M/s with hints. Callers ask before they build the hint's key. */
#define KS_PREFETCH_MIN_ENTRIES 32768u
bool ks_prefetch_useful(const ks_backend *b, int key_group);

/* ---------------------------------------------------------------------------------------------
 * State access for the current key and namespace. Functions returning a row return 1 and set
 * *out when there is a value, 0 when there is none (out untouched), or a negative code. */

/* Any kind: removes the value / all elements / all entries. */
int ks_clear(ks_state *s);

/* VALUE */
int ks_value_get(ks_state *s, spate_row *out);
int ks_value_update(ks_state *s, const spate_row *value); /* value NULL = clear, as Flink */
/* The value as a row the caller may change in place until the next backend call: its bytes, not
 * its length (a running sum in a fixed-width field, say; a row of another size goes through
 * ks_value_update). Returns like ks_value_get. It counts as a write: a value frozen by an
 * active snapshot is copied first (so it may fail with SPATE_ENOMEM while a snapshot is active,
 * state unchanged), and with TTL its last-access time becomes now; an expired value is removed
 * and reported absent whatever the visibility, since the caller is about to overwrite it (as
 * Flink's TTL reduce function ignores an expired accumulator). Keyed aggregations (sum, min,
 * max) update their stored row this way. */
int ks_value_get_writable(ks_state *s, spate_row *out);

/* LIST. ks_list_get returns the number of elements (>= 0) and an iterator over them in
 * insertion order; the iterator and its rows are valid until the next backend call. */
typedef struct ks_list_iter {
  const uint8_t *p, *end;
  uint32_t nfields;
} ks_list_iter;
int ks_list_get(ks_state *s, ks_list_iter *it);
bool ks_list_next(ks_list_iter *it, spate_row *out);
int ks_list_add(ks_state *s, const spate_row *value);
int ks_list_add_all(ks_state *s, const spate_row *values, size_t n); /* n = 0: no-op */
int ks_list_update(ks_state *s, const spate_row *values, size_t n);  /* n = 0: clear */

/* MAP. user keys are rows of the user-key schema. */
int ks_map_get(ks_state *s, const spate_row *user_key, spate_row *out);
int ks_map_contains(ks_state *s, const spate_row *user_key); /* 1 / 0 / negative */
int ks_map_put(ks_state *s, const spate_row *user_key, const spate_row *value);
int ks_map_remove(ks_state *s, const spate_row *user_key); /* 1 removed / 0 absent */
int ks_map_is_empty(ks_state *s);                          /* 1 empty / 0 not / negative */
/* Iterates the entries (unordered). ks_map_iter_begin returns the number of entries the
 * iterator will yield. With KS_TTL_ON_READ_AND_WRITE every yielded entry counts as read.
 * Valid until the next backend call. */
typedef struct ks_map_iter {
  ks_state *s;
  void *table;              /* the map's table, NULL once done with it */
  uint32_t slot;            /* next slot to look at */
  const uint8_t *xp, *xend; /* expired entries still returned (RETURN_EXPIRED...) */
  int64_t now;
} ks_map_iter;
int ks_map_iter_begin(ks_state *s, ks_map_iter *it);
bool ks_map_next(ks_map_iter *it, spate_row *user_key, spate_row *value);

/* REDUCING */
int ks_reducing_add(ks_state *s, const spate_row *value);
int ks_reducing_get(ks_state *s, spate_row *out);
/* ks_reducing_add that tells whether the add created the value: 1 when there was none (or only
 * an expired one) and `value` became the accumulator, 0 when it was reduced into the existing
 * one, negative on error (state unchanged). Windows use it to register a pane's timers only
 * when the pane appears. */
int ks_reducing_add_created(ks_state *s, const spate_row *value);

/* AGGREGATING: get returns the result row (get_result over the accumulator). */
int ks_aggregating_add(ks_state *s, const spate_row *value);
int ks_aggregating_get(ks_state *s, spate_row *out);

/* ---------------------------------------------------------------------------------------------
 * TTL maintenance. Removes every expired value, list element and map entry of every state with
 * TTL (what Flink's full-snapshot cleanup leaves out, applied to the live state). Returns the
 * number removed. Allocates only while a snapshot is active (copy-on-write of what it shortens). */
int64_t ks_ttl_cleanup_full(ks_backend *b);

/* ---------------------------------------------------------------------------------------------
 * Snapshot and restore, per key group. A record is one stored value: for VALUE, REDUCING and
 * AGGREGATING (the accumulator) one per (state, key, namespace); for LIST one per element, in
 * list order; for MAP one per entry. Pointers are views valid during the callback only. */
typedef struct ks_record {
  const char *state; /* state name */
  ks_kind kind;
  const uint8_t *key;
  uint32_t key_len;
  const uint8_t *ns;
  uint32_t ns_len;
  const uint8_t *user_key; /* MAP only, else NULL */
  uint32_t user_key_len;
  spate_row value;
  int64_t ttl_ts; /* last access time for TTL; 0 for states without TTL */
} ks_record;

/* Returns 0 to continue, non-zero to stop the visit (returned by the visit). */
typedef int (*ks_visit_fn)(void *arg, const ks_record *rec);

/* Visits every record of key group kg (unordered across keys, list order within a list). The
 * callback must not call into the backend. Values expired at the time of the call are left out
 * for states with ttl.cleanup_full_snapshot. */
int ks_snapshot_key_group(ks_backend *b, int key_group, ks_visit_fn fn, void *arg);
/* Number of (state, key, namespace) entries stored for key group kg. */
size_t ks_key_group_entries(const ks_backend *b, int key_group);
/* Bytes of b's restore arena handed out so far: key groups of 1 MB or more are restored into
 * memory mapped in whole blocks rather than through malloc (ks_arena.c). */
size_t ks_backend_arena_bytes(const ks_backend *b);
/* Drops all state of key group kg. */
int ks_clear_key_group(ks_backend *b, int key_group);
/* Inserts one record into key group kg, keeping its TTL timestamp: VALUE, REDUCING and
 * AGGREGATING replace, LIST appends, MAP puts. The state must be registered (by name; its kind
 * must match rec->kind). The current key context is left as it was. */
int ks_restore_record(ks_backend *b, int key_group, const ks_record *rec);

/* Checkpoint encoding of one key group (self-delimiting, so callers may append other sections
 * after it): every record of the group with its state's name and kind. ks_read_key_group
 * replaces the group's state with what r holds and advances r past it. A record of a state that
 * is not registered yet is kept aside and applied when the state is registered (states are
 * registered lazily, e.g. by user functions on first use, as Flink restores lazily by name).
 * A malformed encoding is SPATE_ECORRUPT with the message on the backend. */
int ks_write_key_group(ks_backend *b, int key_group, sp_writer *w);
int ks_read_key_group(ks_backend *b, int key_group, sp_reader *r);

/* Copy-on-write snapshots: the asynchronous part of a checkpoint (Flink's CopyOnWriteStateMap).
 * ks_snapshot_begin (owner thread) freezes the backend's contents as of now without copying any
 * value: its cost is a few bytes per key group, whatever the size of the state. The first call
 * that touches a key group while the snapshot is active copies that group's slot array
 * (pointers), so any state call may then fail with SPATE_ENOMEM (state unchanged). The owner then goes on with every call as before, restore and clearing of key
 * groups and registration of states included; a write that would change a frozen entry (value,
 * list, map, TTL timestamp, removal) copies or keeps the entry instead, so the snapshot keeps
 * seeing the old one. While a snapshot is active the first write to an entry therefore
 * allocates a copy, so a read that touches TTL timestamps (KS_TTL_ON_READ_AND_WRITE) or cleans
 * up expired values may fail with SPATE_ENOMEM (state unchanged), a map iteration that touches
 * timestamps copies the whole map first, and ks_ttl_cleanup_full allocates copies of the frozen
 * lists and maps it shortens (one that cannot be copied keeps its expired values until a later
 * cleanup). Removing a whole value, list or map (ks_clear, ks_clear_key_group, expiry of all
 * it holds) never allocates: a frozen entry removed is kept on a list of the snapshot; removing
 * one map entry copies the map's slot array. Memory held by the backend grows by what is copied
 * or removed until release.
 *
 * ks_snapshot_write_key_group may run on any thread, concurrently with the owner's calls: it
 * reads only the snapshot's own copies and frozen entries, which the owner never writes or
 * frees while the snapshot lives, so nothing locks. It appends exactly what ks_write_key_group
 * would have appended at the time of begin (expired values left out by the clock at begin, the
 * states registered and the restored records pending at begin). Errors: SPATE_EINVAL (a key
 * group outside the range, a state with 2^32 records in the group), SPATE_ENOMEM (w failed),
 * with the message in ks_snapshot_error (not on the backend, which the writer never touches).
 * It must not be called after release.
 *
 * ks_snapshot_release (owner thread, after the writer's last call returned) ends the snapshot
 * and frees what was kept only for it. One snapshot at a time per backend: a second begin is
 * SPATE_ESTATE (callers then write synchronously with ks_write_key_group). Release the
 * snapshot before ks_backend_free; a backend freed with its snapshot still active releases it
 * (the handle is then invalid, and no writer may still be running). */
typedef struct ks_snapshot ks_snapshot;
/* On success *out is owned by the caller (ks_snapshot_release); SPATE_ESTATE while another
 * snapshot is active, SPATE_ENOMEM (nothing changed). */
int ks_snapshot_begin(ks_backend *b, ks_snapshot **out);
int ks_snapshot_write_key_group(ks_snapshot *s, int key_group, sp_writer *w);
/* The message of the last failed ks_snapshot_write_key_group ("" if none), for the thread that
 * made the call. */
const char *ks_snapshot_error(const ks_snapshot *s);
void ks_snapshot_release(ks_snapshot *s);

#endif

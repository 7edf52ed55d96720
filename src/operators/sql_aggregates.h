/*
 * sql_aggregates.h: the accumulators of SQL's built-in aggregate functions (COUNT(*), COUNT,
 * SUM, MIN, MAX, AVG, each with DISTINCT and FILTER), shared by the group aggregation
 * (sql_group_agg.c) and the window aggregation (sql_window_agg.c). Flink generates an
 * AggsHandleFunction per query; here one interpreter walks the calls the planner listed, on
 * input fields only (the planner's calc before the aggregation computes every argument).
 *
 * State, in the operator's keyed-state backend under the current key and namespace:
 *  - VALUE "aggs": the accumulator row: field 0 "$count" BIGINT NOT NULL, the rows accumulated
 *    minus those retracted (Flink's RecordCounter: a key whose count drops to 0 is deleted),
 *    then each call's fields: COUNT(*) and COUNT its count; SUM its sum (of the result type) and
 *    the count of values in it; AVG its sum (BIGINT for integers, DOUBLE for FLOAT and DOUBLE,
 *    DECIMAL(38, s) for DECIMAL(p, s)) and count; MIN and MAX the value (of the input type);
 *  - MAP "distinct<i>" for a DISTINCT call i (not MIN or MAX, where DISTINCT changes nothing):
 *    value -> how many times it is accumulated; a value is passed to the accumulator when it
 *    appears (0 -> 1) and retracted when it disappears (1 -> 0), Flink's distinct views;
 *  - MAP "minmax<i>" for MIN and MAX when the input retracts: value -> count, Flink's
 *    MinWithRetractAggFunction / MaxWithRetractAggFunction: retracting the current extreme finds
 *    the next one among the values still counted.
 * Results follow Flink's types: COUNT BIGINT NOT NULL; SUM, MIN and MAX of the input type (SUM
 * of INT wraps as Java's int does; DECIMAL sums at the result's scale); AVG of an integer type
 * is that type (the sum divided by the count with Java's truncating division), of FLOAT and
 * DOUBLE a floating quotient, of DECIMAL the quotient at the result's scale rounded half up;
 * SUM, AVG, MIN and MAX of no value are NULL. NULL arguments are skipped (COUNT(*) counts every
 * row), and a FILTER field that is not TRUE skips the row for that call.
 *
 * Use per record or window: sqlagg_load (the accumulator row, or NULL for a fresh one), any
 * number of sqlagg_apply, then sqlagg_acc_row (to store it) and sqlagg_result (the results
 * into an output row). Rows handed to apply must stay valid until the results are built.
 */
#ifndef SPATE_OPERATORS_SQL_AGGREGATES_H
#define SPATE_OPERATORS_SQL_AGGREGATES_H
#include <stdbool.h>
#include <stdint.h>

#include "graph/op_params.h"
#include "runtime/operator.h"
#include "state/keyed_state.h"
#include "types/row.h"

/* A working value of one accumulator field. Numbers are held as i (integer types, BIGINT
 * counts), d (FLOAT, DOUBLE) or dec (DECIMAL's unscaled value); MIN and MAX values (any
 * comparable type) as a field of a row: the loaded accumulator, an input row, or the call's copy
 * of a map key. */
typedef struct sqlagg_val {
  bool null;
  int64_t i;
  double d;
  spate_int128 dec;
  const spate_row *row;
  int field;
} sqlagg_val;

typedef struct sqlagg_call {
  sql_agg_kind kind;
  int arg;                /* input field; -1 for COUNT(*) */
  int filter;             /* BOOLEAN input field; -1: none */
  bool distinct;          /* a distinct map filters the values (never for MIN and MAX) */
  const schema_field *in; /* the argument's field (NULL for COUNT(*)) */
  const schema_field *out;
  int acc; /* its first field in the accumulator row */
  ks_state *map;
  spate_row_builder uk; /* the map's user keys: the value */
  uint8_t *copy;        /* MIN / MAX under retraction: the extreme found in the map */
  uint32_t copy_cap;
  spate_row copy_row;
} sqlagg_call;

typedef struct sqlagg {
  int ncalls;
  sqlagg_call *calls;
  bool retract;             /* the input retracts (its MIN and MAX keep maps) */
  spate_schema *acc_schema; /* see the top */
  spate_schema *count_schema;
  spate_row_builder acc_rb, count_rb;
  ks_state *acc_state;
  sqlagg_val *vals; /* one per accumulator field */
  uint8_t *loaded;  /* the loaded accumulator's bytes (state views do not last) */
  uint32_t loaded_cap;
  spate_row loaded_row;
  /* In place: with no maps, no TTL and fixed-width accumulator fields, the accumulator is read
   * writable (ks_value_get_writable) and stored over the bytes it was read from, one state
   * lookup per record instead of two; `slot` is those bytes while nothing else touched the
   * backend since sqlagg_load (NULL otherwise: sqlagg_store writes through the backend). */
  bool in_place;
  uint8_t *slot;
  uint32_t slot_len;
  uint8_t *other; /* sqlagg_merge_from: the accumulator merged in */
  uint32_t other_cap;
  spate_row other_row;
} sqlagg;

/* Sets a up for the calls listed in the four parallel lists (op_params.h: agg_kinds, agg_args,
 * agg_distinct, agg_filters) over rows of `in`, results in out's fields out_first.. (one per
 * call). Checks every index and type against Flink's rules; 0, or SPATE_EINVAL / SPATE_ENOMEM
 * with a message in err (which names the call). a owns what it allocated (sqlagg_free, also after
 * a failure). */
int sqlagg_init(sqlagg *a, const op_i32_list *kinds, const op_i32_list *args,
                const op_i32_list *distinct, const op_i32_list *filters, const spate_schema *in,
                const spate_schema *out, int out_first, bool retract, char *err, size_t err_len);
void sqlagg_free(sqlagg *a);
/* Registers the states in b with ttl (disabled: none) and decides whether the accumulator is
 * updated in place (see sqlagg.in_place); 0 or the backend's code. */
int sqlagg_register(sqlagg *a, ks_backend *b, const ks_ttl_config *ttl);

/* Reads the current key's (and namespace's) accumulator: 1 loaded, 0 none (a fresh one is
 * loaded), negative: the backend's error. */
int sqlagg_load(sqlagg *a);
/* Accumulates (accumulate) or retracts the input row; maps are read and written. 0 or the
 * backend's code. */
int sqlagg_apply(sqlagg *a, const spate_row *row, bool accumulate);
/* The rows accumulated minus those retracted. */
static inline int64_t sqlagg_count(const sqlagg *a) { return a->vals[0].i; }
/* Whether every row accumulated or retracted changes the results: a COUNT(*) without FILTER
 * counts each one. */
static inline bool sqlagg_counts_every_row(const sqlagg *a) {
  for (int i = 0; i < a->ncalls; i++)
    if (a->calls[i].kind == SQL_AGG_COUNT_STAR && a->calls[i].filter < 0 && !a->calls[i].distinct)
      return true;
  return false;
}
/* Stores the working accumulator as the current key's; 0 or a negative code. No other backend
 * call may come between sqlagg_load and sqlagg_store but those sqlagg_apply makes. */
int sqlagg_store(sqlagg *a);
/* Removes the current key's accumulator and maps. */
int sqlagg_clear(sqlagg *a);
/* Writes each call's result into rb's fields first.. (rb begun by the caller). */
void sqlagg_result(const sqlagg *a, spate_row_builder *rb, int first);
/* Merges the accumulator of namespace `from` into the target's (session windows): the working
 * values must be the target's (sqlagg_load under to_ns, the current namespace); the merged
 * accumulator is stored under to_ns and loaded again, which is the current namespace afterwards.
 * from's state is left as it is (the caller clears it). 0 or a negative code. */
int sqlagg_merge_from(sqlagg *a, const uint8_t *from_ns, uint32_t from_len, const uint8_t *to_ns,
                      uint32_t to_len, ks_backend *b);

/* <0, 0, >0 as field ia of a compares to field ib of b (both non-null, of f's type), in SQL's
 * order (strings by their UTF-8 bytes, as Flink's BinaryString). */
int sqlagg_compare(const schema_field *f, const spate_row *a, int ia, const spate_row *b, int ib);

/* ---- the key of an SQL aggregation's record ------------------------------------------------
 * The node's key fields (the GROUP BY fields, or the planner's constant of a global
 * aggregation) projected from the input row and made current on the backend with their key
 * group: the producer's when it computed it (op_t.input_key_group), else hashed as the HASH
 * partitioner hashes it. */
typedef struct sqlagg_key {
  spate_row_builder rb;
  int *fields; /* 0..n-1: the key row's own fields, for its hash */
  ks_key_group_range range;
  spate_row key; /* the current key: a view into rb */
  int key_group;
} sqlagg_key;

/* 0, or a negative code with the operator failed. */
int sqlagg_key_init(sqlagg_key *k, op_t *op, ks_key_group_range range);
void sqlagg_key_free(sqlagg_key *k);
/* Makes row's key current on b; 0, or a negative code with the operator failed (a key of a
 * group outside the subtask's range included). */
int sqlagg_key_set(sqlagg_key *k, op_t *op, ks_backend *b, const spate_row *row);
/* The key group of key bytes (restored timers' keys). */
int sqlagg_key_group(const op_t *op, const sqlagg_key *k, const uint8_t *key, uint32_t len);
/* Checks the timers just restored into tq, per key group of r: each one's key a row of the key
 * schema in the group whose section held it, and ns_ok(t) (the namespace and time the operator
 * gives its timers; `what` names a timer that is not). 0, or a negative code with op failed
 * naming the group. */
struct timer_queue;
struct tq_timer_view;
int sqlagg_check_timers(op_t *op, const sqlagg_key *k, const struct timer_queue *tq,
                        const snap_restore *r, bool (*ns_ok)(const struct tq_timer_view *t),
                        const char *what);
#endif

/*
 * process_operator.h: the process operator's own state (proc_op) and the functions its files
 * share. Private to the operator: operators/process_operator.c (the operator proper: keys,
 * timers, checkpoints), operators/interval_join.c and operators/window_join.c (the joins, which
 * run as keyed co-process functions of the operator's own) and api/state_api.c (the public
 * keyed-state and timer functions, which find the operator through spate_ctx.keyed).
 */
#ifndef SPATE_OPERATORS_PROCESS_OPERATOR_H
#define SPATE_OPERATORS_PROCESS_OPERATOR_H
#include <string.h>

#include "operators/merging_window_set.h"
#include "runtime/operator.h"
#include "state/keyed_state.h"
#include "state/timer_queue.h"
#include "types/row.h"

struct spate_state {
  struct proc_op *p;
  ks_state *ks;
  spate_state_kind kind;
  spate_reduce_fn reduce;
  spate_aggregate_fns agg;
  bool broadcast; /* lives in the broadcast backend: readable always, writable by input 1 */
  bool windowed;  /* spate_ctx_window_state: under the current window's namespace */
  /* scalar states (spate/state_shortcuts.h, api/state_shortcuts.c): the value and map key
   * types (0: declared with a descriptor) and builders of their one-field rows */
  uint8_t vtype, ktype;
  spate_row_builder *vrb, *krb;
};

/* The keyed-state namespace of window w (start, end: 16 bytes): the window operator's contents
 * and the per-window state (spate_ctx_window_state) of a window live under it. */
static inline void win_namespace(const spate_time_window *w, uint8_t ns[16]) {
  memcpy(ns, &w->start, 8);
  memcpy(ns + 8, &w->end, 8);
}

/* The window whose namespace is ns (win_namespace's inverse). */
static inline spate_time_window win_of_namespace(const uint8_t ns[16]) {
  spate_time_window w;
  memcpy(&w.start, ns, 8);
  memcpy(&w.end, ns + 8, 8);
  return w;
}

/* op_vtable.prefetch of the keyed operators: the key of a record a few ahead, projected from
 * the key fields k of its input as the operator will project it when it gets there, into rb (a
 * builder of the caller's own, not the one of the current key), handed to ks_prefetch with
 * the namespace the record's state will be under (NULL, 0: the default one). The task calls
 * prefetch only on an edge whose records carry their key group and whose key is the node's key
 * fields, so never with a key selector (a user function that must not run twice). k must be
 * the input's own: a two-input operator's inputs have their key fields at other positions, and
 * a key projected with the other input's fields is a random one, whose prefetches only miss. */
static inline bool op_prefetch_key(const key_spec *k, ks_backend *b, spate_row_builder *rb,
                                   const spate_row *row, const void *ns, uint32_t ns_len,
                                   int key_group) {
  spate_row key;
  if (!b || !ks_prefetch_useful(b, key_group)) return false;
  if (row_project(row, k->fields, k->nfields, rb, &key))
    ks_prefetch(b, key.data, key.len, ns, ns_len, key_group);
  return true;
}

/* Tags a list or map iterator with its state (for the typed next functions of the scalar
 * shortcuts): the two last words of spate_state_iter, which the backend's iterators leave. */
#define SPATE_ITER_TAG 0x5350495400000000ull
static inline void state_iter_tag(spate_state_iter *it, spate_state *s) {
  it->opaque_[6] = (uint64_t)(uintptr_t)s;
  it->opaque_[7] = SPATE_ITER_TAG | (uint64_t)s->kind;
}

typedef struct proc_op {
  op_t *op;
  bool keyed;
  int max_parallelism;
  ks_backend *backend;
  timer_queue *event_timers, *proc_timers;
  spate_row_builder key_rb;
  spate_row_builder ahead_rb; /* keys of records ahead (proc_prefetch) */
  int key_fields[64];         /* 0..n-1: hashing the key row's own fields */
  spate_row key;              /* the current key (a view) */
  int key_group;
  bool has_key;
  spate_timer_fn on_timer;
  spate_process_fn second; /* co-process: the function of input 1 */
  const key_spec *keys[2]; /* how each input's key is built */
  spate_key_fn key_fns[2];
  int64_t proc_scheduled; /* the task timer set for processing-time timers (INT64_MAX: none) */
  spate_state **states;
  int nstates;
  spate_process_fn first; /* NULL: the operator's UDF */
  /* interval join (interval_join.c): both sides buffered in map states (ts, seq) -> row, seq
   * numbering a key's elements of one ts; bounds inclusive */
  spate_join_fn join;
  int64_t lower, upper;
  spate_state *buf[2];
  spate_row_builder *jkey; /* (ts, seq) user keys */
  /* window join (window_join.c): both sides in list states under the window as namespace */
  bool window_join;
  bool wsession; /* session windows: wsize is the gap; sessions per key in `sessions` */
  merging_window_set sessions;
  spate_cogroup_fn cogroup; /* window coGroup instead of join */
  int64_t wsize, wslide, woffset;
  const uint8_t *timer_ns; /* namespace of the timer being fired */
  uint32_t timer_ns_len;
  /* broadcast state: a backend whose one key is always current; written by input 1 only */
  bool broadcast;
  ks_backend *bstate;
  int in_broadcast_fn; /* > 0 while the broadcast side's function runs */
  /* map, flat map or filter on a keyed stream (Flink's rich functions after keyBy): the user
   * function of that kind (op->udf) runs here with its key current (0: a process function) */
  op_kind wrapped;
  /* ...whose key is made current only when the function asks for it (proc_key_needed), so a
   * map that uses no keyed state costs what it cost before: the record being processed */
  const spate_row *lazy_row;
  /* The keyed context of another operator (proc_ctx_new: windows, keyed reduce), whose backend
   * it borrows (not freed here). ns_scoped: the operator keeps its own namespace current on the
   * backend (windows), so each state call sets the namespace of its state (the default one, or
   * the current window for window state) and puts the operator's back afterwards. */
  bool borrowed;
  bool ns_scoped;
  bool hide_key;                   /* windowAll: one constant key, which no function sees */
  bool merging_windows;            /* session windows: no per-window state (as in Flink) */
  const spate_time_window *window; /* the window a window function runs for (NULL: none) */
  uint8_t saved_ns[64];            /* the operator's namespace during a state call */
  uint32_t saved_ns_len;
} proc_op;

/* The process operator whose context ctx is (NULL for other operators' contexts). */
static inline proc_op *keyed_of(const spate_ctx *ctx) { return ctx ? (proc_op *)ctx->keyed : NULL; }

/* Saturating arithmetic: timestamps near the ends of the range must not overflow. */
static inline int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}
static inline int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_sub_overflow(a, b, &r) ? (b < 0 ? INT64_MAX : INT64_MIN) : r;
}

/* ---- process_operator.c ---------------------------------------------------------------------- */
/* Makes sure a task timer is set for the earliest processing-time timer. */
int proc_schedule_timers(proc_op *p);

/* Makes the key of the record being processed current when that was put off (a keyed map,
 * flat map or filter); 0 or a negative code (reported on the operator). */
int proc_key_needed(proc_op *p);

/* A keyed context for the user functions of another keyed operator (windows, keyed reduce), so
 * that spate_ctx_current_key and spate_ctx_state work there: it borrows the operator's backend
 * and has no timers. The operator sets op->ctx.keyed to it, makes each key current with
 * proc_ctx_set_key (after ks_set_current_key on the backend) and frees it in close. NULL when
 * out of memory. */
proc_op *proc_ctx_new(op_t *op, ks_backend *backend);
/* Frees a state handle (spate_ctx_state's). */
void proc_state_free(spate_state *s);
void proc_ctx_free(proc_op *p);
static inline void proc_ctx_set_key(proc_op *p, const uint8_t *key, uint32_t len, uint32_t nfields,
                                    int key_group) {
  p->key = (spate_row){key, len, nfields};
  p->key_group = key_group;
  p->has_key = true;
}
/* Clears every per-window state (spate_ctx_window_state) of window w of the current key: the
 * window is cleaned up. Returns 0 or a negative code (message on the context). */
int proc_ctx_clear_window(proc_op *p, const spate_time_window *w);

/* ---- interval_join.c: the functions of OP_INTERVAL_JOIN -------------------------------------- */
int interval_join_setup(proc_op *p);
int interval_join_left(spate_ctx *ctx, const spate_row *in, spate_collector *out);
int interval_join_right(spate_ctx *ctx, const spate_row *in, spate_collector *out);
int interval_join_cleanup(spate_ctx *ctx, int64_t now, spate_time_domain d, spate_collector *out);

/* ---- window_join.c: the functions of OP_WINDOW_JOIN ------------------------------------------ */
int window_join_setup(proc_op *p);
int window_join_left(spate_ctx *ctx, const spate_row *in, spate_collector *out);
int window_join_right(spate_ctx *ctx, const spate_row *in, spate_collector *out);
int window_join_fire(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out);
#endif

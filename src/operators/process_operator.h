/*
 * process_operator.h: the process operator's own state (proc_op) and the functions its files
 * share. Private to the operator: operators/process_operator.c (the operator proper: keys,
 * timers, checkpoints), operators/interval_join.c and operators/window_join.c (the joins, which
 * run as keyed co-process functions of the operator's own) and api/state_api.c (the public
 * keyed-state and timer functions, which find the operator through spate_ctx.keyed).
 */
#ifndef SPATE_OPERATORS_PROCESS_OPERATOR_H
#define SPATE_OPERATORS_PROCESS_OPERATOR_H
#include "operators/merging_window_set.h"
#include "runtime/operator.h"
#include "state/keyed_state.h"
#include "state/timer_queue.h"

struct spate_state {
  struct proc_op *p;
  ks_state *ks;
  spate_state_kind kind;
  spate_reduce_fn reduce;
  spate_aggregate_fns agg;
  bool broadcast; /* lives in the broadcast backend: readable always, writable by input 1 */
};

typedef struct proc_op {
  op_t *op;
  bool keyed;
  int max_parallelism;
  ks_backend *backend;
  timer_queue *event_timers, *proc_timers;
  spate_row_builder key_rb;
  int key_fields[64]; /* 0..n-1: hashing the key row's own fields */
  spate_row key;      /* the current key (a view) */
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
  /* interval join (interval_join.c): both sides buffered in map states (ts, seq) -> row;
   * bounds inclusive */
  spate_join_fn join;
  int64_t lower, upper;
  spate_state *buf[2];
  spate_row_builder *jkey; /* (ts, seq) user keys */
  int64_t seq;
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

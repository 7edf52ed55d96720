/*
 * window_operator.h: the window operator's own state (win_op) and the functions its files share.
 * Private to the operator: operators/window_operator.c (the operator proper: contents, timers,
 * keys, session merging, lifecycle, checkpoints; its opening comment describes the whole),
 * operators/window_assigners.c (which windows an element belongs to: time and session
 * windows, panes, count windows) and operators/window_triggers.c (the generic path: Flink's
 * triggers and evictors, the public spate_trigger_* functions). Session sets are
 * operators/merging_window_set.h.
 *
 * Every function here acts on the current key (and sets the namespace it needs) and returns 0
 * or a negative code after reporting the error on the operator (op_fail).
 */
#ifndef SPATE_OPERATORS_WINDOW_OPERATOR_H
#define SPATE_OPERATORS_WINDOW_OPERATOR_H
#include "operators/merging_window_set.h"
#include "operators/window_elements.h"
#include "runtime/operator.h"
#include "state/keyed_state.h"
#include "state/timer_queue.h"

typedef spate_time_window win;

/* The last window start computed for a length (window_assigners.c): [start, end) holds the
 * timestamps that share it; empty (0, 0) at first. */
typedef struct win_span {
  int64_t start, end;
} win_span;

/* A copied row in the scratch buffer (offsets, since the buffer may move while it fills). */
typedef struct scratch_row {
  size_t off;
  uint32_t len, nfields;
} scratch_row;

typedef struct win_op {
  op_t *op;
  /* the assigner and function */
  spate_window_kind kind;
  bool event_time; /* time windows in event time */
  bool evicting;   /* sliding count windows: contents are a list trimmed to `size` */
  uint8_t fn;      /* WINDOW_FN_* */
  int64_t size, slide, offset, gap, lateness;
  char *late_tag;
  /* Pane-based reduce (see "panes" in window_assigners.c): windows are unions of panes of
   * length `pane`, a divisor of size and step; step is the distance between window starts (the
   * slide, or the size for tumbling windows). */
  bool panes;
  int64_t pane, step;
  win_span pane_span, step_span; /* the last pane and step starts (window_assigners.c) */
  /* keyed state and timers */
  int max_parallelism;
  ks_backend *backend;
  ks_state *contents;          /* REDUCING or LIST per (key, window), or REDUCING per (key, pane) */
  ks_state *count;             /* count windows: VALUE (n) per key */
  merging_window_set sessions; /* session windows: the key's windows, merged as they come */
  spate_schema *count_schema;
  timer_queue *event_timers, *proc_timers;
  int64_t proc_scheduled; /* the task timer set for processing-time timers (INT64_MAX: none) */
  /* the current key: the record's (key_rb) or the fired timer's */
  spate_row_builder key_rb, aux_rb, fold_rb[2];
  spate_row_builder ahead_rb; /* keys of records ahead (win_prefetch) */
  int key_fields[64];
  const uint8_t *key;
  uint32_t key_len;
  int key_group;
  /* scratch, reused */
  win *wins; /* windows assigned to one element: ceil(size / slide) of them */
  int max_wins;
  uint8_t *buf;
  size_t buf_len, buf_cap;
  scratch_row *srows;
  size_t nsrows, srows_cap;
  spate_row *rows;
  size_t rows_cap;
  /* Triggers and evictors other than the assigner's own ("generic" windows, window_triggers.c). */
  bool generic;
  bool window_all;    /* one constant key for every record (windowAll) */
  bool arrival_order; /* fold in arrival order per window: no panes (spate_window_arrival_order) */
  uint8_t trig;       /* spate_trigger_kind; DEFAULT here means "never" (global windows) */
  bool purging;
  int64_t trig_count, interval;
  double trig_threshold;
  spate_delta_fn trig_delta;
  uint8_t evk; /* spate_evictor_kind */
  bool evict_after;
  int64_t ev_count, ev_window;
  double ev_threshold;
  spate_delta_fn ev_delta;
  char *trig_delta_sym, *ev_delta_sym;
  ks_state *trig_n;    /* VALUE per (key, window): COUNT's count, CONTINUOUS_*'s next firing */
  ks_state *trig_last; /* VALUE per (key, window): DELTA's last fired element */
  spate_schema *trig_schema, *ev_schema;
  spate_row_builder trig_rb, ev_rb;
  spate_row *inner; /* evicting: the elements of a firing window, and their timestamps */
  int64_t *tss;
  size_t ev_cap;
  /* Dynamic session gaps, aggregate functions (WINDOW_FN_AGGREGATE: contents are a VALUE of
   * the accumulator per window or pane) and the window function that receives the one
   * incremental result (reduce or aggregate with a window function). */
  char *sym[11]; /* gap, create, add, result, merge, window fn, trigger callbacks (the order
                    of op_window_params, graph/op_params.h) */
  spate_gap_fn gap_fn;
  spate_aggregate_fns agg;
  spate_window_fn apply;
  spate_trigger_element_fn on_element; /* SPATE_TRIGGER_CUSTOM */
  spate_trigger_time_fn on_event_time, on_processing_time;
  spate_trigger_window_fn on_clear, on_merge;
  spate_schema *acc_schema, *res_schema;
  spate_row_builder acc_rb[2], res_rb;
  /* The keyed context every user function of the operator runs in (process_operator.h's
   * proc_ctx_new): the current key, keyed state, and per-window state while a window function
   * runs. process_form: the window function is Flink's ProcessWindowFunction
   * (spate_process_window_fn, which gets the key); user_clear its clear function. Elements of
   * list contents are copied (pw_*) before a process window function sees them, since it may
   * use state, which would end the list iterator's validity. */
  struct proc_op *kctx;
  bool process_form;
  spate_window_clear_fn user_clear;
  char *clear_sym;
  uint8_t *pw_buf;
  size_t pw_cap;
  spate_row *pw_rows;
  size_t pw_rows_cap;
} win_op;

/* Calls the window function fn (a spate_window_fn, or with process_form a
 * spate_process_window_fn) for window x and its elements; reports a failure. */
int win_call_window_fn(win_op *w, void *fn, win x, spate_window_elements *e);
/* Window x of the current key is cleaned up: the process window function's clear function
 * runs, then its per-window state of x goes (Flink's clearAllState calls
 * ProcessWindowFunction.clear). */
int win_cleanup_user(win_op *w, win x);

/* Flink's GlobalWindow [INT64_MIN, INT64_MAX): count windows and global windows. */
extern const win win_global_window;

/* TimeWindow.maxTimestamp is end - 1; GlobalWindow's is INT64_MAX (no time window can span
 * [INT64_MIN, INT64_MAX): its size would not fit an int64). */
static inline int64_t max_ts(win w) {
  return w.start == INT64_MIN && w.end == INT64_MAX ? INT64_MAX : w.end - 1;
}

/* Flink's cleanupTime: max timestamp + lateness in event time (saturating at INT64_MAX, which
 * means "never": no cleanup timer), the max timestamp in processing time. */
static inline int64_t cleanup_time(const win_op *w, win x) {
  if (!w->event_time) return max_ts(x);
  int64_t t;
  return __builtin_add_overflow(max_ts(x), w->lateness, &t) ? INT64_MAX : t;
}

static inline int64_t wm_of(const win_op *w) { return w->op->ctx.watermark; }

static inline bool window_late(const win_op *w, win x) {
  return w->event_time && cleanup_time(w, x) <= wm_of(w);
}

static inline bool element_late(const win_op *w, int64_t ts) {
  int64_t t;
  if (__builtin_add_overflow(ts, w->lateness, &t)) t = INT64_MAX;
  return w->event_time && t <= wm_of(w);
}

static inline bool contents_are_list(const win_op *w) {
  return w->fn == WINDOW_FN_APPLY || w->evicting;
}

static inline bool is_agg(const win_op *w) { return w->fn == WINDOW_FN_AGGREGATE; }

/* ---- window_operator.c ----------------------------------------------------------------------- */
int win_state_failed(win_op *w, int rc, const char *what);
/* scratch: copies of rows (backend views end with the next backend call) */
void win_scratch_reset(win_op *w);
int win_scratch_push(win_op *w, const spate_row *r);
const spate_row *win_scratch_rows(win_op *w, size_t from);
/* namespaces and timers */
int win_set_window(win_op *w, win x);
int win_timer_in(win_op *w, bool event, int64_t t, win x, bool del);
int win_timer(win_op *w, int64_t t, win x, bool del);
int win_register_cleanup(win_op *w, win x);
/* ---- window_contents.c: the contents of windows ---------------------------------------------- */
int win_finish_built(win_op *w, spate_row_builder *b, spate_row *out, const char *what);
int win_agg_add(win_op *w, const spate_row *row, bool *created);
int win_agg_fold(win_op *w, const spate_row *rows, size_t n, ks_list_iter *it, spate_row *acc);
int win_emit_result(win_op *w, win x, const spate_row *v);
int win_add_element(win_op *w, win x, const spate_row *row);
int win_emit_window(win_op *w, win x);
int win_emit_window_from(win_op *w, win x, win state);
int win_clear_contents(win_op *w, win x);
/* Moves the contents of state window `from` into state window `to` (merging two sessions). */
int win_move_contents(win_op *w, win from, win to);
/* ---- window_operator.c ----------------------------------------------------------------------- */
/* the session windows of the current key */
int win_load_sessions(win_op *w);
int win_store_sessions(win_op *w);
int win_add_session(win_op *w, win x, win *actual, win *state, mws_outcome *how);
/* an element all of whose windows are late: to the late side output, if any */
int win_late_element(win_op *w, int64_t ts, const spate_row *row);

/* ---- window_assigners.c ---------------------------------------------------------------------- */
/* Flink's TimeWindow.getWindowStartWithOffset: the start of the window of size `size` (shifted
 * by offset) holding ts, with a non-negative remainder for negative timestamps; false when the
 * start is below INT64_MIN. Also SQL's window table functions' (sql_window_agg.c). */
bool win_start_with_offset(int64_t ts, int64_t offset, int64_t size, int64_t *start);
/* Where an element at t falls among the windows of SQL's aligned window table functions
 * (window a sql_window_kind: TUMBLE of size, HOP of size and slide, CUMULATE of size and step,
 * all shifted by offset): the slice length (size, slide or step), the start of t's slice and
 * its end, and the start of t's TUMBLE or CUMULATE window. False when t or a window of it is
 * outside the range of time. Shared by sql_window_agg.c and sql_window_tvf.c. */
typedef struct win_sql_slice {
  int64_t len, first, end, start;
} win_sql_slice;
bool win_sql_slice_of(int window, int64_t size, int64_t slide, int64_t step, int64_t offset,
                      int64_t t, win_sql_slice *out);
int win_session_window(win_op *w, int64_t t, const spate_row *row, win *x);
int win_assign(win_op *w, int64_t t, int *n);
int win_emit_panes(win_op *w, win x);
int win_clear_panes(win_op *w, win x);
int win_pane_element(win_op *w, int64_t ts, int64_t t, const spate_row *row);
int win_count_element(win_op *w, const spate_row *row);
bool win_prefetch(win_op *w, int64_t ts, const spate_row *row, int key_group);

/* ---- window_triggers.c ----------------------------------------------------------------------- */
int win_trig_merge(win_op *w, win cover, const win *merged, size_t n);
int win_trig_clear(win_op *w, win x);
int win_generic_element(win_op *w, int64_t ts, const spate_row *row);
int win_generic_timer(win_op *w, bool event, int64_t t, win x);
#endif

/*
 * process_window.h: window functions as Flink's ProcessWindowFunction, with the key, the window
 * and a context. Included by spate/windows.h (at its end), itself included by spate.h; not meant
 * to be included alone.
 *
 * A process window function is called once per firing of a window of a key:
 *
 *     int fn(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
 *            spate_window_elements *elements, spate_collector *out);
 *
 *  - key: the window's key as a row of the key's schema (the key fields of spate_key_by, or the
 *    key selector's schema); NULL on spate_window_all (Flink's ProcessAllWindowFunction has no
 *    key). spate_ctx_current_key(ctx) returns the same row;
 *  - w: the window [start, end); its max timestamp is spate_window_max_timestamp(w) (end - 1;
 *    INT64_MAX for count and global windows);
 *  - elements: all elements of the window (spate_window_process), or exactly one, the reduced
 *    row or the aggregate's result (spate_window_reduce_process, spate_window_aggregate_process);
 *  - the context (Flink's ProcessWindowFunction.Context): spate_ctx_current_watermark,
 *    spate_ctx_processing_time, spate_ctx_state (keyed state of the key, shared by all its
 *    windows: Flink's globalState()), spate_ctx_window_state (state of this key and window:
 *    windowState()), spate_ctx_output (side outputs). Output rows carry the window's max
 *    timestamp.
 *
 * Per-window state is kept across firings of one window (early and late firings: with allowed
 * lateness a late firing sees the state its window's earlier firings left) and goes when the
 * window is cleaned up, at its cleanup time (max timestamp + allowed lateness in event time, the
 * max timestamp in processing time), not when a trigger purges the window's contents, as in
 * Flink. At cleanup the optional clear function (spate_window_clear; Flink's
 * ProcessWindowFunction.clear) runs first, with the window's state still readable; Spate then
 * clears what is left of the window's per-window states (Flink leaves that to clear). Count and
 * global windows are never cleaned up. On session windows (merging windows) per-window state is
 * refused, as in Flink ("Per-window state is not allowed when using merging windows").
 *
 * Declare states in the open function (spate_udf_lifecycle) or in the window function itself on
 * first use: spate_ctx_state and spate_ctx_window_state return the same handle for the same
 * descriptor name every time. Window functions of spate_window_apply & co (spate_window_fn) are
 * the older form without the key; they still work, and see the key through
 * spate_ctx_current_key.
 */
#ifndef SPATE_PROCESS_WINDOW_H
#define SPATE_PROCESS_WINDOW_H

#ifdef __cplusplus
extern "C" {
#endif

typedef int (*spate_process_window_fn)(spate_ctx *ctx, const spate_row *key,
                                       const spate_time_window *w, spate_window_elements *elements,
                                       spate_collector *out);
/* Flink's ProcessWindowFunction.clear: window w of key (NULL on windowAll) is cleaned up. */
typedef int (*spate_window_clear_fn)(spate_ctx *ctx, const spate_row *key,
                                     const spate_time_window *w);

static inline int64_t spate_window_max_timestamp(const spate_time_window *w) {
  return w->start == INT64_MIN && w->end == INT64_MAX ? INT64_MAX : w->end - 1;
}

/* Flink's process(ProcessWindowFunction): a full window function over all elements. */
spate_stream *spate_window_process(spate_stream *windowed, spate_process_window_fn fn,
                                   const spate_schema *out_schema);
/* Flink's reduce(ReduceFunction, ProcessWindowFunction): as spate_window_reduce_apply, with a
 * process window function, which gets the reduced row as the one element. */
spate_stream *spate_window_reduce_process(spate_stream *windowed, spate_reduce_fn reduce_fn,
                                          spate_process_window_fn window_fn,
                                          const spate_schema *out_schema);
/* Flink's aggregate(AggregateFunction, ProcessWindowFunction): as
 * spate_window_aggregate_apply, with a process window function, which gets the aggregate's
 * result (a row of result_schema) as the one element. */
spate_stream *spate_window_aggregate_process(spate_stream *windowed, const spate_aggregate_fns *fns,
                                             const spate_schema *acc_schema,
                                             const spate_schema *result_schema,
                                             spate_process_window_fn window_fn,
                                             const spate_schema *out_schema);
/* Sets the clear function of the process window function whose result stream s is (the result
 * of spate_window_process, spate_window_reduce_process or spate_window_aggregate_process);
 * returns s. */
spate_stream *spate_window_clear(spate_stream *s, spate_window_clear_fn clear);

/* Per-window keyed state (Flink's context.windowState()): a state of the current key and the
 * window the window function runs for. Only in process window functions (and their clear
 * functions), not on session windows; NULL and a context error otherwise. Declared as
 * spate_ctx_state declares keyed state; the same name may be used for both (they are apart). */
spate_state *spate_ctx_window_state(spate_ctx *ctx, const spate_state_desc *desc);

#ifdef __cplusplus
}
#endif
#endif

/*
 * windows.h: windows on keyed and non-keyed streams (Flink's WindowedStream): window
 * assigners, triggers, evictors, allowed lateness and the window functions (reduce, aggregate,
 * apply; the ProcessWindowFunction form is in spate/process_window.h, included at its end).
 * Included by spate.h (a job includes spate.h only); it builds on spate.h's schemas, rows and
 * user functions above it.
 */
#ifndef SPATE_WINDOWS_H
#define SPATE_WINDOWS_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Windows (Flink's WindowedStream on keyed streams). A window is [start, end) in milliseconds;
 * its max timestamp is end - 1. Event-time windows fire when the watermark passes their max
 * timestamp, processing-time windows when the clock does; count windows every `size` elements.
 * Elements later than max timestamp + allowed lateness (event time) are dropped, or sent to the
 * late side output when one is named; late elements within the lateness fire the window again. */
typedef struct spate_stream spate_stream; /* see spate.h, "The execution environment and streams" */

/* Flink's TimeWindow; count and global windows are Flink's GlobalWindow: [INT64_MIN, INT64_MAX). */
typedef struct spate_time_window {
  int64_t start, end;
} spate_time_window;

typedef enum spate_window_kind {
  SPATE_WINDOW_TUMBLING = 1, /* size, offset */
  SPATE_WINDOW_SLIDING = 2,  /* size, slide, offset */
  SPATE_WINDOW_SESSION = 3,  /* gap (or gap_fn): windows of one key merge when they touch */
  SPATE_WINDOW_COUNT = 4,    /* size elements, sliding by `slide` elements (0: tumbling) */
  SPATE_WINDOW_GLOBAL = 5,   /* one window per key that never fires without a trigger */
} spate_window_kind;

/* Flink's SessionWindowTimeGapExtractor: the session gap (ms, > 0) of an element; a gap <= 0
 * fails the job. The element is of the window's input schema. */
typedef int64_t (*spate_gap_fn)(spate_ctx *ctx, const spate_row *element);

typedef struct spate_window_assigner {
  spate_window_kind kind;
  spate_time_domain domain; /* event or processing time (ignored by count windows) */
  int64_t size;             /* ms, or elements for count windows */
  int64_t slide;            /* ms, or elements */
  int64_t offset;           /* ms */
  int64_t gap;              /* ms */
  spate_gap_fn gap_fn;      /* SESSION: a gap per element instead of `gap` (NULL: none) */
} spate_window_assigner;

static inline spate_window_assigner spate_tumbling_windows(spate_time_domain d, int64_t size_ms,
                                                           int64_t offset_ms) {
  spate_window_assigner a = {.kind = SPATE_WINDOW_TUMBLING,
                             .domain = d,
                             .size = size_ms,
                             .slide = size_ms,
                             .offset = offset_ms};
  return a;
}
static inline spate_window_assigner spate_sliding_windows(spate_time_domain d, int64_t size_ms,
                                                          int64_t slide_ms, int64_t offset_ms) {
  spate_window_assigner a = {.kind = SPATE_WINDOW_SLIDING,
                             .domain = d,
                             .size = size_ms,
                             .slide = slide_ms,
                             .offset = offset_ms};
  return a;
}
static inline spate_window_assigner spate_session_windows(spate_time_domain d, int64_t gap_ms) {
  spate_window_assigner a = {.kind = SPATE_WINDOW_SESSION, .domain = d, .gap = gap_ms};
  return a;
}
/* Flink's DynamicEventTimeSessionWindows / DynamicProcessingTimeSessionWindows: an element at
 * time t opens the window [t, t + fn(element)), which merges with the windows it touches. The
 * function must have external linkage, as every user function. */
static inline spate_window_assigner spate_session_windows_dynamic(spate_time_domain d,
                                                                  spate_gap_fn fn) {
  spate_window_assigner a = {.kind = SPATE_WINDOW_SESSION, .domain = d, .gap_fn = fn};
  return a;
}
static inline spate_window_assigner spate_count_windows(int64_t size, int64_t slide) {
  spate_window_assigner a = {
      .kind = SPATE_WINDOW_COUNT, .domain = SPATE_EVENT_TIME, .size = size, .slide = slide};
  return a;
}

/* Flink's GlobalWindows: give them a trigger (and maybe an evictor) with spate_window_trigger. */
static inline spate_window_assigner spate_global_windows(void) {
  spate_window_assigner a = {.kind = SPATE_WINDOW_GLOBAL, .domain = SPATE_PROCESSING_TIME};
  return a;
}

/* Triggers (Flink's Trigger classes) decide when a window fires; a window's state goes at its
 * cleanup time (max timestamp + allowed lateness) whatever the trigger. A trigger that is not
 * the assigner's own keeps every window's contents (no pane sharing). On session windows
 * (Flink's merging windows) only the triggers that can merge are accepted (Trigger.canMerge):
 * every kind but DELTA, and CUSTOM only with an on_merge callback. When session windows merge,
 * the merged windows' trigger state and timers go and the merged window's come (onMerge):
 * COUNT sums the counts, EVENT_TIME / PROCESSING_TIME set a timer at the merged window's max
 * timestamp unless the watermark / the clock has passed it, CONTINUOUS_* keep the earliest
 * next firing, and CUSTOM calls on_merge.
 *  - EVENT_TIME / PROCESSING_TIME: fire when the watermark / the clock passes the max timestamp;
 *  - COUNT: fire every `count` elements of the window (the count restarts after each firing);
 *  - CONTINUOUS_EVENT_TIME / CONTINUOUS_PROCESSING_TIME: fire at every multiple of interval_ms
 *    (from the first element) before the window's max timestamp, and at it;
 *  - DELTA: the first element is kept as the last fired one; an element whose
 *    delta_fn(last fired, element) > delta_threshold fires the window and becomes the last fired.
 * `purging` (Flink's PurgingTrigger) clears the window's contents after every firing. The delta
 * function must have external linkage, as every user function. */
typedef enum spate_trigger_kind {
  SPATE_TRIGGER_DEFAULT = 0, /* the assigner's own (global windows: never fires) */
  SPATE_TRIGGER_EVENT_TIME = 1,
  SPATE_TRIGGER_PROCESSING_TIME = 2,
  SPATE_TRIGGER_COUNT = 3,
  SPATE_TRIGGER_CONTINUOUS_EVENT_TIME = 4,
  SPATE_TRIGGER_CONTINUOUS_PROCESSING_TIME = 5,
  SPATE_TRIGGER_DELTA = 6,
  SPATE_TRIGGER_CUSTOM = 7, /* user callbacks, see spate_custom_trigger */
} spate_trigger_kind;

/* Flink's TriggerResult: what a trigger callback returns (or a negative error code). */
typedef enum spate_trigger_result {
  SPATE_TRIGGER_CONTINUE = 0,
  SPATE_TRIGGER_FIRE = 1,
  SPATE_TRIGGER_PURGE = 2,
  SPATE_TRIGGER_FIRE_AND_PURGE = 3,
} spate_trigger_result;

/* A user-defined trigger (Flink's Trigger.onElement / onEventTime / onProcessingTime) for the
 * window w of the current key: on_element sees every element added to w with its timestamp,
 * the time callbacks see the timers of w (those the callbacks registered, and the window's
 * cleanup timer). A NULL time callback means CONTINUE. The callbacks may register and delete
 * timers of w with spate_trigger_register_event_timer & co. The optional callbacks (set them
 * on the struct that spate_custom_trigger returns) return 0 or a negative error code:
 *  - clear (Flink's Trigger.clear): window w is cleaned up (at its cleanup time), or merged
 *    into another session window; delete the timers of w here. Without it (or when it leaves
 *    them), a timer of a cleaned-up window still calls its callback, and firing a window
 *    without contents emits nothing; timers of a window merged away are dropped unseen;
 *  - on_merge (Flink's Trigger.onMerge): session windows merged into w, whose trigger is now
 *    asked about w (register w's timers here); it is called before clear of each merged
 *    window. A custom trigger without on_merge cannot merge: not for session windows. */
typedef int (*spate_trigger_element_fn)(spate_ctx *ctx, const spate_row *element, int64_t ts,
                                        const spate_time_window *w);
typedef int (*spate_trigger_time_fn)(spate_ctx *ctx, int64_t time, const spate_time_window *w);
typedef int (*spate_trigger_window_fn)(spate_ctx *ctx, const spate_time_window *w);

/* Flink's DeltaFunction: the distance between two elements (of the window's input schema). */
typedef double (*spate_delta_fn)(spate_ctx *ctx, const spate_row *old_row,
                                 const spate_row *new_row);

typedef struct spate_trigger {
  spate_trigger_kind kind;
  int64_t count;                            /* COUNT */
  int64_t interval_ms;                      /* CONTINUOUS_* */
  bool purging;                             /* FIRE becomes FIRE_AND_PURGE */
  double delta_threshold;                   /* DELTA */
  spate_delta_fn delta_fn;                  /* DELTA */
  spate_trigger_element_fn on_element;      /* CUSTOM (required) */
  spate_trigger_time_fn on_event_time;      /* CUSTOM */
  spate_trigger_time_fn on_processing_time; /* CUSTOM */
  spate_trigger_window_fn clear;            /* CUSTOM (optional) */
  spate_trigger_window_fn on_merge;         /* CUSTOM (required on session windows) */
} spate_trigger;

static inline spate_trigger spate_count_trigger(int64_t n) {
  spate_trigger t = {.kind = SPATE_TRIGGER_COUNT, .count = n};
  return t;
}
static inline spate_trigger spate_continuous_trigger(spate_time_domain d, int64_t interval_ms) {
  spate_trigger t = {.kind = d == SPATE_EVENT_TIME ? SPATE_TRIGGER_CONTINUOUS_EVENT_TIME
                                                   : SPATE_TRIGGER_CONTINUOUS_PROCESSING_TIME,
                     .interval_ms = interval_ms};
  return t;
}
static inline spate_trigger spate_delta_trigger(double threshold, spate_delta_fn fn) {
  spate_trigger t = {.kind = SPATE_TRIGGER_DELTA, .delta_threshold = threshold, .delta_fn = fn};
  return t;
}
/* The callbacks must have external linkage, as every user function. */
static inline spate_trigger spate_custom_trigger(spate_trigger_element_fn on_element,
                                                 spate_trigger_time_fn on_event_time,
                                                 spate_trigger_time_fn on_processing_time) {
  spate_trigger t = {.kind = SPATE_TRIGGER_CUSTOM,
                     .on_element = on_element,
                     .on_event_time = on_event_time,
                     .on_processing_time = on_processing_time};
  return t;
}
/* Flink's TriggerContext timers: inside a custom trigger's callback, register or delete a timer
 * of the current key and window (event time or processing time); it calls the trigger's
 * on_event_time / on_processing_time. SPATE_EINVAL (and a context error) outside a callback. */
int spate_trigger_register_event_timer(spate_ctx *ctx, int64_t time);
int spate_trigger_register_processing_timer(spate_ctx *ctx, int64_t time);
int spate_trigger_delete_event_timer(spate_ctx *ctx, int64_t time);
int spate_trigger_delete_processing_timer(spate_ctx *ctx, int64_t time);
static inline spate_trigger spate_purging(spate_trigger t) {
  t.purging = true;
  return t;
}

/* Evictors (Flink's Evictor classes) remove elements of a firing window, before the window
 * function sees them (or after it ran, with evict_after); they keep every element of a window
 * (also with reduce, which then folds the elements that remain; on session windows merging
 * windows pool their elements).
 *  - COUNT: keep the last `count` elements;
 *  - TIME: keep the elements whose timestamp is > the window's largest timestamp - window_ms
 *    (nothing is evicted when the elements carry no timestamps);
 *  - DELTA: evict the elements whose delta_fn(element, last element) >= threshold. */
typedef enum spate_evictor_kind {
  SPATE_EVICTOR_NONE = 0,
  SPATE_EVICTOR_COUNT = 1,
  SPATE_EVICTOR_TIME = 2,
  SPATE_EVICTOR_DELTA = 3,
} spate_evictor_kind;

typedef struct spate_evictor {
  spate_evictor_kind kind;
  int64_t count;           /* COUNT */
  int64_t window_ms;       /* TIME */
  double threshold;        /* DELTA */
  spate_delta_fn delta_fn; /* DELTA */
  bool evict_after;        /* Flink's doEvictAfter */
} spate_evictor;

static inline spate_evictor spate_count_evictor(int64_t n, bool after) {
  spate_evictor e = {.kind = SPATE_EVICTOR_COUNT, .count = n, .evict_after = after};
  return e;
}
static inline spate_evictor spate_time_evictor(int64_t window_ms, bool after) {
  spate_evictor e = {.kind = SPATE_EVICTOR_TIME, .window_ms = window_ms, .evict_after = after};
  return e;
}
static inline spate_evictor spate_delta_evictor(double threshold, spate_delta_fn fn, bool after) {
  spate_evictor e = {
      .kind = SPATE_EVICTOR_DELTA, .threshold = threshold, .delta_fn = fn, .evict_after = after};
  return e;
}

/* A full window function: called once per firing with every element of the window of the
 * current key (iterate with spate_window_next); outputs carry the window's max timestamp. This
 * is the older form, without the key (spate_ctx_current_key gives it): new code uses
 * spate_process_window_fn and spate_window_process (spate/process_window.h, below), which get
 * the key, per-window state and a clear function, as Flink's ProcessWindowFunction. */
typedef struct spate_window_elements spate_window_elements;
bool spate_window_next(spate_window_elements *it, spate_row *row);
typedef int (*spate_window_fn)(spate_ctx *ctx, const spate_time_window *w,
                               spate_window_elements *elements, spate_collector *out);

/* Windowing a keyed stream returns a windowed stream; apply one function to it. */
spate_stream *spate_window(spate_stream *keyed, spate_window_assigner assigner);
/* Flink's windowAll: windows over a whole (non-keyed) stream, in one operator of parallelism 1. */
spate_stream *spate_window_all(spate_stream *stream, spate_window_assigner assigner);
spate_stream *spate_allowed_lateness(spate_stream *windowed, int64_t lateness_ms);
/* Late elements go to the side output `tag` (read it with spate_side_output). */
spate_stream *spate_late_output(spate_stream *windowed, const char *tag);
/* Replaces the assigner's trigger; on count windows the trigger and evictor replace the
 * assigner's own (count windows are global windows with a count trigger). */
spate_stream *spate_window_trigger(spate_stream *windowed, spate_trigger trigger);
spate_stream *spate_window_evictor(spate_stream *windowed, spate_evictor evictor);
/* Incremental reduce: one value per window, emitted when it fires (schema of the input).
 * On sliding windows (and aggregates with a merge function) elements are pre-reduced per pane
 * (a piece of gcd(size, slide) ms) and a firing window combines its panes in time order, so an
 * element costs one update however many windows hold it. That needs a function that is
 * associative and commutative (sum, min, max, count...): a function that depends on arrival
 * order (say, "keep the last element") can give other results than Flink's per-window
 * folding when elements arrive out of order. spate_window_arrival_order restores Flink's exact
 * per-window folding in arrival order, at size/slide updates per element. */
spate_stream *spate_window_reduce(spate_stream *windowed, spate_reduce_fn fn);
/* Fold every window's elements in arrival order (no panes); see spate_window_reduce. */
spate_stream *spate_window_arrival_order(spate_stream *windowed);
/* Full window function over all elements. */
spate_stream *spate_window_apply(spate_stream *windowed, spate_window_fn fn,
                                 const spate_schema *out_schema);
/* Incremental aggregation (Flink's aggregate(AggregateFunction)): every element is added into
 * an accumulator (acc_schema) per window, and a firing window emits result(accumulator), a row
 * of out_schema. With fns->merge, tumbling and sliding windows keep one accumulator per pane
 * (as reduce does) and merge the panes' accumulators of a firing window; without it one
 * accumulator per window. Session windows need merge. The functions (copied) must have
 * external linkage. */
spate_stream *spate_window_aggregate(spate_stream *windowed, const spate_aggregate_fns *fns,
                                     const spate_schema *acc_schema,
                                     const spate_schema *out_schema);
/* Incremental and full window function together (Flink's reduce(ReduceFunction,
 * ProcessWindowFunction)): elements are reduced as by spate_window_reduce, and a firing window
 * calls window_fn with the window and exactly one element, the reduced row. */
spate_stream *spate_window_reduce_apply(spate_stream *windowed, spate_reduce_fn reduce_fn,
                                        spate_window_fn window_fn, const spate_schema *out_schema);
/* Flink's aggregate(AggregateFunction, ProcessWindowFunction): as spate_window_aggregate, and a
 * firing window calls window_fn with the window and exactly one element, the aggregate's result
 * (a row of result_schema). */
spate_stream *spate_window_aggregate_apply(spate_stream *windowed, const spate_aggregate_fns *fns,
                                           const spate_schema *acc_schema,
                                           const spate_schema *result_schema,
                                           spate_window_fn window_fn,
                                           const spate_schema *out_schema);

/* Window functions with the key, the window and a context (Flink's ProcessWindowFunction):
 * spate_window_process, spate_window_reduce_process, spate_window_aggregate_process, per-window
 * state. spate_window_apply & co above are the older form, without the key. */
#include "spate/process_window.h"

#ifdef __cplusplus
}
#endif
#endif

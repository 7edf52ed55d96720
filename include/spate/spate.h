/*
 * spate.h: the whole public face of Spate, a stream processor with Apache Flink's model.
 *
 * A job is a shared object (or an executable linking libspate) that defines
 *
 *     int spate_main(int argc, char **argv);
 *
 * which creates an environment, builds a dataflow with the functions below and calls
 * spate_execute(). `spate run job.so args...` loads the object and calls spate_main with the job
 * arguments; the environment then picks up the CLI's configuration (-p, -D, conf/config.yaml).
 *
 * Building never fails half way: the first error (bad argument, a UDF that cannot be named, a
 * schema mismatch) is kept on the environment, later builder calls become no-ops, and
 * spate_execute() returns a FAILED result carrying that message. So a job can be written as a
 * straight sequence of calls and check once at the end.
 *
 * User functions (UDFs) are referenced by symbol name so that the same job graph can run on
 * remote TaskManagers: they must have external linkage. A `static` function is rejected with a
 * message that says so.
 *
 * Records are rows in Spate's binary format (see "Rows"), read in place where they lie in a
 * network buffer. A row view is valid only during the call that received it.
 *
 * One header on purpose: a job includes one file, and its sections follow the order a job is
 * written in (errors, schemas, rows, functions, state and timers, windows, the environment,
 * execution, arguments). The user metrics, a part a job can skip, are in spate/metrics.h, which
 * this file includes.
 */
#ifndef SPATE_SPATE_H
#define SPATE_SPATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Errors: 0 is success, negative values are errors. */
enum {
  SPATE_OK = 0,
  SPATE_EINVAL = -1,      /* bad argument, bad input, bad configuration */
  SPATE_ENOMEM = -2,      /* allocation failed */
  SPATE_EIO = -3,         /* an I/O call failed */
  SPATE_ENOENT = -4,      /* a file, symbol or entry does not exist */
  SPATE_ECANCELED = -5,   /* the job or task was cancelled */
  SPATE_ENORESOURCE = -6, /* not enough task slots */
  SPATE_EUDF = -7,        /* a user function reported an error */
  SPATE_ECORRUPT = -8,    /* bytes (wire, file) failed validation */
  SPATE_ESTATE = -9,      /* call not valid in the current state */
};
const char *spate_strerror(int rc);

/* ---------------------------------------------------------------------------------------------
 * Schemas: ordered, named, typed fields, nullable unless declared NOT NULL. */
typedef enum spate_type {
  SPATE_BOOLEAN = 1,
  SPATE_INT = 2,    /* 32-bit signed */
  SPATE_BIGINT = 3, /* 64-bit signed */
  SPATE_DOUBLE = 4,
  SPATE_STRING = 5, /* UTF-8 */
  SPATE_BYTES = 6,
  SPATE_TIMESTAMP = 7, /* milliseconds since the epoch, 64-bit */
} spate_type;

typedef struct spate_schema spate_schema;

/* Parses "name TYPE [NOT NULL], ..." (types case-insensitive; VARCHAR is STRING, LONG is
 * BIGINT). On error returns SPATE_EINVAL, *out = NULL, and writes a message naming the position
 * into err (if err_len > 0). The caller owns *out: release with spate_schema_free. */
int spate_schema_parse(const char *spec, spate_schema **out, char *err, size_t err_len);
void spate_schema_free(spate_schema *schema);
int spate_schema_num_fields(const spate_schema *schema);
const char *spate_schema_field_name(const spate_schema *schema, int i);
spate_type spate_schema_field_type(const spate_schema *schema, int i);
/* Index of the field with this name, or -1. */
int spate_schema_field_index(const spate_schema *schema, const char *name);

/* ---------------------------------------------------------------------------------------------
 * Rows. Layout (all little-endian, the row starts 8-byte aligned):
 *   null bitmap: ceil(n/64) 64-bit words, bit i set = field i is NULL
 *   n slots of 8 bytes: BOOLEAN/INT/BIGINT/TIMESTAMP as int64, DOUBLE as its bits,
 *                       STRING/BYTES as (offset << 32 | length), offset from the row start
 *   the variable-length tail
 * The accessors below read a field in place; they do not check types (the operator that hands
 * the row over guarantees the schema). */
typedef struct spate_row {
  const uint8_t *data;
  uint32_t len;
  uint32_t nfields;
} spate_row;

typedef struct spate_bytes {
  const char *ptr; /* not NUL-terminated */
  uint32_t len;
} spate_bytes;

static inline uint32_t spate_row_header_size(uint32_t nfields) {
  return ((nfields + 63) / 64) * 8 + nfields * 8;
}
static inline bool spate_row_is_null(const spate_row *r, int i) {
  uint64_t w;
  memcpy(&w, r->data + (size_t)(i / 64) * 8, 8);
  return (w >> (i % 64)) & 1;
}
static inline uint64_t spate_row_slot_(const spate_row *r, int i) {
  uint64_t v;
  memcpy(&v, r->data + ((r->nfields + 63) / 64) * 8 + (size_t)i * 8, 8);
  return v;
}
static inline int64_t spate_row_bigint(const spate_row *r, int i) {
  return (int64_t)spate_row_slot_(r, i);
}
static inline int32_t spate_row_int(const spate_row *r, int i) {
  return (int32_t)(int64_t)spate_row_slot_(r, i);
}
static inline bool spate_row_bool(const spate_row *r, int i) { return spate_row_slot_(r, i) != 0; }
static inline int64_t spate_row_timestamp(const spate_row *r, int i) {
  return (int64_t)spate_row_slot_(r, i);
}
static inline double spate_row_double(const spate_row *r, int i) {
  uint64_t v = spate_row_slot_(r, i);
  double d;
  memcpy(&d, &v, 8);
  return d;
}
/* STRING or BYTES field; {NULL, 0} when NULL. */
static inline spate_bytes spate_row_string(const spate_row *r, int i) {
  spate_bytes b = {0, 0};
  if (spate_row_is_null(r, i)) return b;
  uint64_t v = spate_row_slot_(r, i);
  b.ptr = (const char *)r->data + (uint32_t)(v >> 32);
  b.len = (uint32_t)v;
  return b;
}

/* A row builder writes one row at a time into memory it owns and reuses: no allocation per row
 * once it has grown to the largest row. Fields start NULL at spate_rb_begin. A setter of the
 * wrong type or a bad index records an error on the builder that the operator reports (naming
 * the field) when the UDF returns. */
typedef struct spate_row_builder spate_row_builder;

spate_row_builder *spate_rb_new(const spate_schema *schema); /* caller frees with spate_rb_free */
void spate_rb_free(spate_row_builder *b);
void spate_rb_begin(spate_row_builder *b);
void spate_rb_set_null(spate_row_builder *b, int i);
void spate_rb_set_bool(spate_row_builder *b, int i, bool v);
void spate_rb_set_int(spate_row_builder *b, int i, int32_t v);
void spate_rb_set_bigint(spate_row_builder *b, int i, int64_t v);
void spate_rb_set_double(spate_row_builder *b, int i, double v);
void spate_rb_set_timestamp(spate_row_builder *b, int i, int64_t ms);
void spate_rb_set_string(spate_row_builder *b, int i, const char *s, size_t len);
void spate_rb_set_bytes(spate_row_builder *b, int i, const void *p, size_t len);
/* Copies field j of src (same type required) into field i. */
void spate_rb_set_field(spate_row_builder *b, int i, const spate_row *src, int j);
/* Finishes the row; *out views the builder's memory until the next spate_rb_begin. Returns
 * SPATE_EINVAL (message via spate_rb_error) if a setter failed or a NOT NULL field is NULL. */
int spate_rb_finish(spate_row_builder *b, spate_row *out);
const char *spate_rb_error(const spate_row_builder *b);

/* A heap copy of a row (data owned by the copy); free with spate_row_free. */
int spate_row_copy(const spate_row *src, spate_row *out);
void spate_row_free(spate_row *row);
/* Formats a row as Flink prints it: one field alone as its value, several as "(a,b,c)", NULL
 * as "null". Writes at most cap bytes including the NUL; returns the full length. */
size_t spate_row_format(const spate_row *row, const spate_schema *schema, char *out, size_t cap);

/* ---------------------------------------------------------------------------------------------
 * User functions. Every UDF receives a context for the subtask it runs in. A UDF returns 0 on
 * success or a negative code; spate_ctx_fail() records a message and returns SPATE_EUDF, so
 * `return spate_ctx_fail(ctx, "bad value %d", v);` fails the job naming the operator and
 * subtask. */
typedef struct spate_ctx spate_ctx;
typedef struct spate_collector spate_collector;

int spate_ctx_subtask(const spate_ctx *ctx); /* 0-based subtask index */
int spate_ctx_parallelism(const spate_ctx *ctx);
const char *spate_ctx_operator_name(const spate_ctx *ctx);
/* The opaque argument given with spate_udf_arg (NULL if none). */
const void *spate_ctx_arg(const spate_ctx *ctx, size_t *len);
/* The pointer an open function stored (see spate_udf_lifecycle). */
void *spate_ctx_user(const spate_ctx *ctx);
/* Event timestamp of the record being processed (INT64_MIN if none). */
int64_t spate_ctx_timestamp(const spate_ctx *ctx);
/* The operator's current event time: the last watermark it received (INT64_MIN before any,
 * INT64_MAX after the end of input). */
int64_t spate_ctx_current_watermark(const spate_ctx *ctx);
int spate_ctx_fail(spate_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* For flat map and generators that emit several rows: begin a row, set fields, emit it. emit
 * returns 0, or a negative code (downstream failure, cancellation) that the UDF should return. */
spate_row_builder *spate_collect_begin(spate_collector *out);
int spate_collect_emit(spate_collector *out);

typedef int (*spate_map_fn)(spate_ctx *ctx, const spate_row *in, spate_row_builder *out);
typedef int (*spate_flat_map_fn)(spate_ctx *ctx, const spate_row *in, spate_collector *out);
/* Returns 1 to keep, 0 to drop, negative on error. */
typedef int (*spate_filter_fn)(spate_ctx *ctx, const spate_row *in);
/* Builds the key of a row (schema given to spate_key_by_fn). */
typedef int (*spate_key_fn)(spate_ctx *ctx, const spate_row *in, spate_row_builder *key);
/* Combines the accumulated row and a new row into out (all with the stream's schema). */
typedef int (*spate_reduce_fn)(spate_ctx *ctx, const spate_row *acc, const spate_row *in,
                               spate_row_builder *out);
typedef int (*spate_sink_fn)(spate_ctx *ctx, const spate_row *in);
/* Builds the row with this global index (0-based) of a generator source. */
typedef int (*spate_generator_fn)(spate_ctx *ctx, int64_t index, spate_row_builder *out);
/* Returns the target partition in [0, num_partitions) for the key row. */
typedef int (*spate_partition_fn)(spate_ctx *ctx, const spate_row *key, int num_partitions);
/* Extracts the event timestamp (milliseconds) of a row into *ts. */
typedef int (*spate_timestamp_fn)(spate_ctx *ctx, const spate_row *in, int64_t *ts);
/* Rich-function lifecycle: open runs in the subtask before the first record and may store a
 * pointer (spate_ctx_user); close runs after the last one, also after failures. */
typedef int (*spate_open_fn)(spate_ctx *ctx, void **user);
typedef void (*spate_close_fn)(spate_ctx *ctx, void *user);

/* ---------------------------------------------------------------------------------------------
 * Process functions, keyed state and timers (Flink's ProcessFunction / KeyedProcessFunction).
 *
 * On a keyed stream a process function has state scoped to the current key and timers per key:
 * declare states in the open function (spate_udf_lifecycle) with spate_ctx_state, keep the
 * handles (e.g. in the user pointer), and use them in the process and timer functions. The
 * state of each key lives with the subtask that owns the key's key group. Output of the process
 * function carries the input record's timestamp; output of an event-time timer carries the
 * timer's timestamp. */
typedef enum spate_time_domain {
  SPATE_EVENT_TIME = 0,
  SPATE_PROCESSING_TIME = 1
} spate_time_domain;

typedef int (*spate_process_fn)(spate_ctx *ctx, const spate_row *in, spate_collector *out);
typedef int (*spate_timer_fn)(spate_ctx *ctx, int64_t timestamp, spate_time_domain domain,
                              spate_collector *out);

typedef enum spate_state_kind {
  SPATE_STATE_VALUE = 1,
  SPATE_STATE_LIST = 2,
  SPATE_STATE_MAP = 3,
  SPATE_STATE_REDUCING = 4,
  SPATE_STATE_AGGREGATING = 5,
} spate_state_kind;

/* Flink's AggregateFunction: create writes a fresh accumulator; add folds a value into the
 * accumulator (acc NULL never happens: create runs first); result turns an accumulator into the
 * result row; merge (optional, NULL when absent) combines two accumulators into one. Accumulator
 * and result have their own schemas. Initialise with designated initializers so that members
 * added later stay zero. */
typedef struct spate_aggregate_fns {
  int (*create)(spate_ctx *ctx, spate_row_builder *acc);
  int (*add)(spate_ctx *ctx, const spate_row *acc, const spate_row *value, spate_row_builder *out);
  int (*result)(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out);
  int (*merge)(spate_ctx *ctx, const spate_row *a, const spate_row *b, spate_row_builder *out);
} spate_aggregate_fns;

/* State time-to-live with Flink's StateTtlConfig options (processing time). */
typedef enum spate_ttl_update {
  SPATE_TTL_DISABLED = 0,
  SPATE_TTL_ON_CREATE_AND_WRITE = 1,
  SPATE_TTL_ON_READ_AND_WRITE = 2,
} spate_ttl_update;
typedef enum spate_ttl_visibility {
  SPATE_TTL_NEVER_RETURN_EXPIRED = 0,
  SPATE_TTL_RETURN_EXPIRED_IF_NOT_CLEANED_UP = 1,
} spate_ttl_visibility;

typedef struct spate_state_desc {
  const char *name; /* unique per operator */
  spate_state_kind kind;
  const spate_schema *schema;           /* values (list elements, map values) */
  const spate_schema *key_schema;       /* MAP: the user keys */
  spate_reduce_fn reduce;               /* REDUCING: combines values */
  const spate_aggregate_fns *aggregate; /* AGGREGATING: the functions (copied) */
  const spate_schema *acc_schema;       /* AGGREGATING: accumulator rows */
  const spate_schema *result_schema;    /* AGGREGATING: what spate_aggregating_get returns */
  spate_ttl_update ttl_update;          /* SPATE_TTL_DISABLED (0): no TTL */
  int64_t ttl_ms;
  spate_ttl_visibility ttl_visibility;
} spate_state_desc;

typedef struct spate_state spate_state;
/* Iterates list elements or map entries; rows are valid until the next state call. */
typedef struct spate_state_iter {
  uint64_t opaque_[8];
} spate_state_iter;

/* Declares (or finds again) a state of the current operator; NULL and a context error if the
 * stream is not keyed or the descriptor is invalid. Works in process functions and in map,
 * flat map, filter and reduce on a keyed stream (Flink's rich functions after keyBy) and in
 * window functions (the key's state across its windows; spate_ctx_window_state for state per
 * window). Call it in the open function, or lazily in the function itself: the same name gives
 * the same handle again, and after a restore the state holds what was checkpointed either way.
 * Keyed state is checkpointed and restored with the operator, per key group. */
spate_state *spate_ctx_state(spate_ctx *ctx, const spate_state_desc *desc);
/* The current key as a row of the key's schema (key fields or key selector schema), in every
 * function on a keyed stream: process functions and their timers, map, flat map and filter
 * after spate_key_by, keyed reduce, window functions (all forms), window reduce and aggregate
 * functions, custom triggers. NULL elsewhere, on spate_window_all, and in open/close. */
const spate_row *spate_ctx_current_key(const spate_ctx *ctx);
int64_t spate_ctx_processing_time(const spate_ctx *ctx);
/* Timers for the current key, de-duplicated per timestamp; deleting an absent timer is fine. */
int spate_ctx_register_event_timer(spate_ctx *ctx, int64_t timestamp);
int spate_ctx_register_processing_timer(spate_ctx *ctx, int64_t timestamp);
int spate_ctx_delete_event_timer(spate_ctx *ctx, int64_t timestamp);
int spate_ctx_delete_processing_timer(spate_ctx *ctx, int64_t timestamp);

/* Operator state (Flink's CheckpointedFunction with list state): a list of rows kept by one
 * subtask of any operator (map, flat map, filter, process functions, sinks), checkpointed with
 * the job. Declare it in the open function (spate_udf_lifecycle): after a restore it already
 * holds what the subtask gets back. When the parallelism changes, a SPLIT list's rows are pooled
 * and divided evenly among the new subtasks (getListState); a UNION list gives every new
 * subtask all rows of all old ones (getUnionListState). Rows are copied; keep it small. */
typedef enum spate_list_redistribution {
  SPATE_LIST_SPLIT = 0,
  SPATE_LIST_UNION = 1,
} spate_list_redistribution;
typedef struct spate_operator_state spate_operator_state;
/* NULL and a context error for a bad name or schema, or a name declared with another mode. */
spate_operator_state *spate_ctx_operator_state(spate_ctx *ctx, const char *name,
                                               const spate_schema *schema,
                                               spate_list_redistribution mode);
int spate_operator_state_add(spate_operator_state *s, const spate_row *row);
void spate_operator_state_clear(spate_operator_state *s);
size_t spate_operator_state_size(const spate_operator_state *s);
/* Row i (0-based) as a view valid until the state changes; false if i is out of range. */
bool spate_operator_state_get(const spate_operator_state *s, size_t i, spate_row *out);

#include "spate/metrics.h" /* user metrics: counters, gauges, meters, histograms */

/* All return a negative code on error. Getters return 1 and the row when present, 0 if absent. */
int spate_state_clear(spate_state *s);
int spate_value_get(spate_state *s, spate_row *out);
int spate_value_update(spate_state *s, const spate_row *value);
int spate_list_add(spate_state *s, const spate_row *value);
int spate_list_iter(spate_state *s, spate_state_iter *it);
bool spate_list_next(spate_state_iter *it, spate_row *out);
int spate_map_get(spate_state *s, const spate_row *key, spate_row *out);
int spate_map_put(spate_state *s, const spate_row *key, const spate_row *value);
int spate_map_remove(spate_state *s, const spate_row *key); /* 1 removed, 0 absent */
int spate_map_contains(spate_state *s, const spate_row *key);
int spate_map_iter(spate_state *s, spate_state_iter *it);
bool spate_map_next(spate_state_iter *it, spate_row *key, spate_row *value);
int spate_reducing_add(spate_state *s, const spate_row *value);
int spate_reducing_get(spate_state *s, spate_row *out);
int spate_aggregating_add(spate_state *s, const spate_row *value);
int spate_aggregating_get(spate_state *s, spate_row *out); /* the result row; 0 if empty */

/* Value, list and map state of single BIGINT, DOUBLE and STRING values without schemas and
 * row builders: spate_value_state_bigint, spate_value_get_bigint, spate_list_add_string, ... */
#include "spate/state_shortcuts.h"

/* ---------------------------------------------------------------------------------------------
 * Windows (Flink's WindowedStream on keyed streams). A window is [start, end) in milliseconds;
 * its max timestamp is end - 1. Event-time windows fire when the watermark passes their max
 * timestamp, processing-time windows when the clock does; count windows every `size` elements.
 * Elements later than max timestamp + allowed lateness (event time) are dropped, or sent to the
 * late side output when one is named; late elements within the lateness fire the window again. */
typedef struct spate_stream spate_stream; /* see "The execution environment and streams" */

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

/* Side outputs (Flink's OutputTag): an operator emits rows to a named output besides its main
 * one; spate_side_output reads them as a stream of the given schema. */
spate_stream *spate_side_output(spate_stream *s, const char *tag, const spate_schema *schema);
/* Emits a row (of the tag's schema) to the side output `tag` of the current operator. */
int spate_ctx_output(spate_ctx *ctx, const char *tag, const spate_row *row);

/* ---------------------------------------------------------------------------------------------
 * The execution environment and streams. */
typedef struct spate_env spate_env;
typedef struct spate_stream spate_stream; /* owned by the environment */

/* Creates an environment. Inside `spate run` it carries the CLI's configuration; otherwise it
 * loads $SPATE_CONF_DIR/config.yaml or ./conf/config.yaml when present. Never returns NULL
 * except when out of memory; the environment's setters, the sources, spate_execute and
 * spate_execute_main accept that NULL (so a spate_main need not check it: it exits with 1). */
spate_env *spate_env_create(void);
void spate_env_free(spate_env *env);
/* Sets a configuration key as -D would (validated; an error is kept on the environment). */
void spate_env_set(spate_env *env, const char *key, const char *value);
void spate_env_set_parallelism(spate_env *env, int parallelism);
void spate_env_set_max_parallelism(spate_env *env, int max_parallelism);
/* Buffer timeout in milliseconds: 0 flushes after every record. */
void spate_env_set_buffer_timeout(spate_env *env, int64_t ms);
void spate_env_disable_operator_chaining(spate_env *env);
/* The first build error, or NULL. */
const char *spate_env_error(const spate_env *env);

/* Processing time. Everything a job does by processing time (processing-time timers and windows,
 * state TTL, periodic watermarks, the buffer timeout, file rolling, checkpoint intervals and
 * timeouts, alignment timeouts, restart delays, rate-limited sources) reads one clock: the system
 * clock, unless the environment is given another. A manual clock (Flink's
 * TestProcessingTimeService) stands still until the program moves it, so a test decides exactly
 * when timers fire; a job waiting for a time notices at once when the clock reaches it. */
typedef struct spate_clock spate_clock;
/* A manual clock at start_ms; NULL when out of memory. Free it after the jobs using it ended. */
spate_clock *spate_manual_clock_create(int64_t start_ms);
void spate_manual_clock_free(spate_clock *clock);
/* Moves a manual clock forward by ms / to ms (never backwards). */
void spate_manual_clock_advance(spate_clock *clock, int64_t ms);
void spate_manual_clock_set(spate_clock *clock, int64_t ms);
/* The clock's time in ms (NULL: the system clock, ms since the epoch). */
int64_t spate_clock_now(const spate_clock *clock);
/* The clock of the jobs this environment executes from now on (NULL: the system clock). */
void spate_env_set_clock(spate_env *env, spate_clock *clock);
/* Parses a schema owned by the environment (freed with it); NULL and an env error on failure. */
const spate_schema *spate_env_schema(spate_env *env, const char *spec);

/* Sources. Strings and files produce the schema "f0 STRING". */
spate_stream *spate_from_strings(spate_env *env, const char *const *items, size_t n);
/* Rows are copied; they must have the given schema. */
spate_stream *spate_from_rows(spate_env *env, const spate_schema *schema, const spate_row *rows,
                              size_t n);
/* Each path is a file or a directory (its non-hidden regular files, in name order); one record
 * per line without the line terminator ("\n" or "\r\n"). Files are split among subtasks. */
spate_stream *spate_read_text_file(spate_env *env, const char *path);
spate_stream *spate_read_text_files(spate_env *env, const char *const *paths, size_t n);
/* The numbers from..to inclusive, schema "value BIGINT NOT NULL", split among subtasks. */
spate_stream *spate_from_sequence(spate_env *env, int64_t from, int64_t to);
/* count rows built by fn (count < 0: unbounded), indexes split among subtasks. */
spate_stream *spate_generate(spate_env *env, const spate_schema *schema, spate_generator_fn fn,
                             int64_t count);
/* Rate-limited generators (Flink's DataGeneratorSource with a RateLimiterStrategy).
 * rate_limited: at most records_per_second over all subtasks, by the job's clock (each of p
 * subtasks emits every p / records_per_second seconds; after a stall it catches up at most one
 * second's worth at once). per_checkpoint (RateLimiterStrategy.perCheckpoint): each subtask
 * emits records_per_checkpoint / p records, then waits until a checkpoint (or savepoint)
 * completes, then emits as many again: a job that takes no checkpoints stops after the first
 * batch. records_per_checkpoint must be at least the parallelism. */
spate_stream *spate_generate_rate_limited(spate_env *env, const spate_schema *schema,
                                          spate_generator_fn fn, int64_t count,
                                          double records_per_second);
spate_stream *spate_generate_per_checkpoint(spate_env *env, const spate_schema *schema,
                                            spate_generator_fn fn, int64_t count,
                                            int64_t records_per_checkpoint);
/* Lines read from a TCP server; ends when the server closes the connection. Parallelism 1. */
spate_stream *spate_socket_text_stream(spate_env *env, const char *host, int port);

/* Transformations. */
spate_stream *spate_map(spate_stream *in, spate_map_fn fn, const spate_schema *out_schema);
spate_stream *spate_flat_map(spate_stream *in, spate_flat_map_fn fn,
                             const spate_schema *out_schema);
spate_stream *spate_filter(spate_stream *in, spate_filter_fn fn);
/* Connects two streams (schemas may differ) for spate_co_process: Flink's connect. */
spate_stream *spate_connect(spate_stream *first, spate_stream *second);
/* Flink's CoProcessFunction: `first` handles records of the first stream, `second` of the
 * second; when both connected streams are keyed (with keys of the same schema) it is a
 * KeyedCoProcessFunction with keyed state and timers shared by both sides per key. The
 * operator's watermark is the minimum of both inputs'. */
spate_stream *spate_co_process(spate_stream *connected, spate_process_fn first,
                               spate_process_fn second, spate_timer_fn on_timer,
                               const spate_schema *out_schema);
/* Flink's interval join of two keyed streams (keys of the same types) in event time: pairs
 * (l, r) of one key with lower <= r.ts - l.ts <= upper (a bound excluded on request) are passed
 * to fn, whose row carries the larger of the two timestamps. Elements behind the watermark are
 * dropped; each is kept until the watermark passes the last time it could still match. */
typedef int (*spate_join_fn)(spate_ctx *ctx, const spate_row *left, const spate_row *right,
                             spate_row_builder *out);
spate_stream *spate_interval_join(spate_stream *left, spate_stream *right, int64_t lower_ms,
                                  int64_t upper_ms, bool lower_exclusive, bool upper_exclusive,
                                  spate_join_fn fn, const spate_schema *out_schema);
/* Flink's window join: pairs (l, r) of one key that fall into the same event-time window
 * (tumbling or sliding) are passed to fn when the window fires; results carry the window's max
 * timestamp. Elements behind the watermark are dropped (no allowed lateness). */
spate_stream *spate_window_join(spate_stream *left, spate_stream *right,
                                spate_window_assigner assigner, spate_join_fn fn,
                                const spate_schema *out_schema);
/* Flink's window coGroup: for every window and key where either side has elements, fn gets
 * both sides' elements (either may be empty); output carries the window's max timestamp. */
typedef int (*spate_cogroup_fn)(spate_ctx *ctx, const spate_time_window *w,
                                spate_window_elements *left, spate_window_elements *right,
                                spate_collector *out);
spate_stream *spate_window_cogroup(spate_stream *left, spate_stream *right,
                                   spate_window_assigner assigner, spate_cogroup_fn fn,
                                   const spate_schema *out_schema);
/* Flink's broadcast pattern: every record of `broadcast` reaches every subtask of the operator
 * that spate_co_process then builds (its `second` function), which may write broadcast state;
 * the function for `in` (keyed or not: Keyed/BroadcastProcessFunction) may only read it. */
spate_stream *spate_connect_broadcast(spate_stream *in, spate_stream *broadcast);
/* Broadcast state: a MAP state (desc->kind SPATE_STATE_MAP) that is the same on every subtask
 * because only broadcast records change it. Declare it in the open function. */
spate_state *spate_ctx_broadcast_state(spate_ctx *ctx, const spate_state_desc *desc);
/* A process function: on a keyed stream with keyed state and timers (on_timer may be NULL when
 * no timers are used); on other streams a plain ProcessFunction without them. */
spate_stream *spate_process(spate_stream *in, spate_process_fn fn, spate_timer_fn on_timer,
                            const spate_schema *out_schema);
/* Key by: the result is a keyed stream for reduce and the aggregations. */
spate_stream *spate_key_by(spate_stream *in, int field);
spate_stream *spate_key_by_fields(spate_stream *in, const int *fields, int n);
spate_stream *spate_key_by_fn(spate_stream *in, spate_key_fn fn, const spate_schema *key_schema);
/* Rolling reductions on a keyed stream, emitting the updated value for every input (Flink's
 * semantics: sum/min/max keep the other fields of the first row of the key; min_by/max_by emit
 * the whole row holding the extreme value, the first one on ties). */
spate_stream *spate_reduce(spate_stream *keyed, spate_reduce_fn fn);
spate_stream *spate_sum(spate_stream *keyed, int field);
spate_stream *spate_min(spate_stream *keyed, int field);
spate_stream *spate_max(spate_stream *keyed, int field);
spate_stream *spate_min_by(spate_stream *keyed, int field);
spate_stream *spate_max_by(spate_stream *keyed, int field);
/* Union of two streams with the same schema (call repeatedly for more). */
spate_stream *spate_union(spate_stream *a, spate_stream *b);
/* Partitioning of the edge to the next operator. */
spate_stream *spate_forward(spate_stream *in);
spate_stream *spate_rebalance(spate_stream *in);
spate_stream *spate_rescale(spate_stream *in);
spate_stream *spate_shuffle(spate_stream *in);
spate_stream *spate_broadcast(spate_stream *in);
spate_stream *spate_global(spate_stream *in);
spate_stream *spate_partition_custom(spate_stream *in, spate_partition_fn fn, int key_field);

/* Event time. Assigns each record's timestamp from a TIMESTAMP, BIGINT or INT field (or a
 * function) and generates watermarks with Flink's built-in strategies: MONOTONOUS (timestamps
 * ascend) and BOUNDED (out of order by at most max_out_of_orderness_ms), emitted every
 * pipeline.auto-watermark-interval (200 ms by default) as the highest timestamp seen minus the
 * bound minus 1; NONE assigns timestamps only. End of input emits the maximum watermark. */
typedef enum spate_watermarks {
  SPATE_WATERMARKS_NONE = 0,
  SPATE_WATERMARKS_MONOTONOUS = 1,
  SPATE_WATERMARKS_BOUNDED = 2,
  SPATE_WATERMARKS_CUSTOM = 3, /* spate_assign_watermarks_custom */
} spate_watermarks;
spate_stream *spate_assign_timestamps(spate_stream *in, int timestamp_field,
                                      spate_watermarks watermarks, int64_t max_out_of_orderness_ms);
spate_stream *spate_assign_timestamps_fn(spate_stream *in, spate_timestamp_fn fn,
                                         spate_watermarks watermarks,
                                         int64_t max_out_of_orderness_ms);
/* A custom watermark generator (Flink's WatermarkGenerator): on_event runs after each record
 * with its timestamp, on_periodic every pipeline.auto-watermark-interval; each returns the
 * watermark to emit, or INT64_MIN for none (either may be NULL). Watermarks that do not advance
 * are not emitted. Timestamps come from timestamp_field, or from ts_fn when the field is -1;
 * generator state lives in the user pointer (spate_udf_lifecycle on the result). */
typedef int64_t (*spate_watermark_fn)(spate_ctx *ctx, const spate_row *in, int64_t ts);
typedef int64_t (*spate_periodic_watermark_fn)(spate_ctx *ctx);
spate_stream *spate_assign_watermarks_custom(spate_stream *in, int timestamp_field,
                                             spate_timestamp_fn ts_fn, spate_watermark_fn on_event,
                                             spate_periodic_watermark_fn on_periodic);
/* Flink's withIdleness: a subtask without records for idle_timeout_ms marks itself idle so that
 * it stops holding back the watermark downstream, until its next record. Applies to the result
 * of spate_assign_timestamps*. */
spate_stream *spate_with_idleness(spate_stream *s, int64_t idle_timeout_ms);

/* Fields by name: every call above that takes a field index has a twin with the suffix _name
 * that takes the field's name (Flink's keyBy("id"), sum("temp")), resolved against the schema
 * of the stream given when the graph is built. An unknown name fails the build with a message
 * naming the call, the name and the stream's fields. Joins take their keys from the keyed
 * streams (spate_key_by_name). spate_key_by_names keys by n fields (1..64) by name. */
spate_stream *spate_key_by_name(spate_stream *in, const char *field);
spate_stream *spate_key_by_names(spate_stream *in, const char *const *fields, int n);
spate_stream *spate_sum_name(spate_stream *keyed, const char *field);
spate_stream *spate_min_name(spate_stream *keyed, const char *field);
spate_stream *spate_max_name(spate_stream *keyed, const char *field);
spate_stream *spate_min_by_name(spate_stream *keyed, const char *field);
spate_stream *spate_max_by_name(spate_stream *keyed, const char *field);
spate_stream *spate_assign_timestamps_name(spate_stream *in, const char *timestamp_field,
                                           spate_watermarks watermarks,
                                           int64_t max_out_of_orderness_ms);
spate_stream *spate_assign_watermarks_custom_name(spate_stream *in, const char *timestamp_field,
                                                  spate_watermark_fn on_event,
                                                  spate_periodic_watermark_fn on_periodic);
spate_stream *spate_partition_custom_name(spate_stream *in, spate_partition_fn fn,
                                          const char *key_field);

/* Per-operator settings; each returns its argument. */
spate_stream *spate_name(spate_stream *s, const char *name);
spate_stream *spate_uid(spate_stream *s, const char *uid);
spate_stream *spate_parallelism(spate_stream *s, int parallelism);
spate_stream *spate_max_parallelism(spate_stream *s, int max_parallelism);
spate_stream *spate_disable_chaining(spate_stream *s);
spate_stream *spate_start_new_chain(spate_stream *s);
spate_stream *spate_slot_sharing_group(spate_stream *s, const char *group);
/* An opaque argument copied into the job and handed to the operator's UDFs (spate_ctx_arg). */
spate_stream *spate_udf_arg(spate_stream *s, const void *arg, size_t len);
/* Typed parameters: the job passes a C struct, copied into the job graph with its type's name
 * and size, and the operator's UDFs get it back typed. In the job:
 *     SPATE_WITH_PARAMS(stream, struct thresholds, {.limit = 500, .factor = 1.5});
 * (the value: an initializer list, a compound literal or a variable of that type), and in any
 * UDF of that operator (best in its open function):
 *     const struct thresholds *p = SPATE_PARAMS(ctx, struct thresholds);
 *     if (!p) return SPATE_EUDF;
 * SPATE_PARAMS checks the type's name (as written: name it the same way on both ends) and size;
 * on a mismatch it returns NULL and the job fails naming both types, whatever the UDF returns
 * then. The struct must be plain data: no pointers (the job graph travels to other processes,
 * where an address means nothing); strings go in char arrays. It replaces the operator's
 * spate_udf_arg (spate_ctx_arg returns the encoded bytes). */
#define SPATE_WITH_PARAMS(stream, T, ...) \
  spate_udf_params((stream), #T, (const T[1]){__VA_ARGS__}, sizeof(T))
#define SPATE_PARAMS(ctx, T) ((const T *)spate_ctx_params((ctx), #T, sizeof(T)))
spate_stream *spate_udf_params(spate_stream *s, const char *type_name, const void *params,
                               size_t size);
/* The parameters of type type_name and this size, or NULL (the job then fails): see above. */
const void *spate_ctx_params(spate_ctx *ctx, const char *type_name, size_t size);
spate_stream *spate_udf_lifecycle(spate_stream *s, spate_open_fn open, spate_close_fn close);
const spate_schema *spate_stream_schema(const spate_stream *s);

/* Sinks; each returns the sink's stream handle for the per-operator settings. */
/* Flink's print(): "row" at parallelism 1, "N> row" (1-based subtask) otherwise; with an
 * identifier "id> row" / "id:N> row". */
spate_stream *spate_print(spate_stream *in, const char *identifier);
/* Text file at parallelism 1; at higher parallelism a directory with files "1".."N". */
spate_stream *spate_write_text(spate_stream *in, const char *path);
spate_stream *spate_discard(spate_stream *in);
/* Collects the rows into the job result under this name (for tests and small results). */
spate_stream *spate_collect(spate_stream *in, const char *name);
spate_stream *spate_sink(spate_stream *in, spate_sink_fn fn);

/* Exactly-once file sink (Flink's FileSink in row format): each subtask writes lines (the
 * rows formatted as print() formats them) to hidden in-progress part files
 * "<dir>/<bucket>/.part-<uuid>-<subtask>-<n>.inprogress"; at every checkpoint the in-progress
 * file is closed and becomes pending; when the checkpoint completes, pending files are renamed
 * to "<dir>/<bucket>/part-<uuid>-<subtask>-<n>" (finished). After a failure, pending files of
 * the restored checkpoint are committed again (idempotently), and data written after it is
 * never published. Files also roll (close and start a new part) by size, age and inactivity.
 * Without checkpointing, files are committed at the end of input only. */
typedef struct spate_file_sink_options {
  int64_t max_part_size;          /* bytes; <= 0: 128 MB (Flink's default) */
  int64_t rollover_interval_ms;   /* <= 0: 60 s */
  int64_t inactivity_interval_ms; /* <= 0: 60 s */
  const char *bucket_format;      /* strftime format of the bucket directory (processing time);
                                    NULL: Flink's "%Y-%m-%d--%H"; "": no buckets */
  const char *part_prefix;        /* NULL: "part" */
  const char *part_suffix;        /* NULL: "" */
} spate_file_sink_options;
/* opts may be NULL for the defaults. */
spate_stream *spate_sink_file(spate_stream *in, const char *dir,
                              const spate_file_sink_options *opts);

/* Record formats (CSV, JSON) for the file and socket sources and the file sinks. */
#include "spate/formats.h"

/* Two-phase-commit sinks (Flink's TwoPhaseCommitSinkFunction). A transaction is identified by
 * bytes the sink chooses (spate_txn_set_id: e.g. a temporary file's name or an external
 * transaction id); those bytes are what checkpoints store. `handle` is the sink's own pointer
 * for the open transaction (e.g. a FILE *), never stored.
 *  begin       opens a new transaction (at start and after every pre-commit)
 *  invoke      writes a row into the open transaction
 *  pre_commit  at a checkpoint: flush, make the data durable but invisible
 *  commit      after the checkpoint completed: make it visible. Must be idempotent: after a
 *              failure it is called again with the id alone (handle NULL)
 *  abort       drop a transaction that will never be committed (handle may be NULL)
 * Every function returns 0 or a negative code (with spate_ctx_fail for a message). */
typedef struct spate_txn spate_txn;
int spate_txn_set_id(spate_txn *txn, const void *id, size_t len);
const void *spate_txn_id(const spate_txn *txn, size_t *len);
void spate_txn_set_handle(spate_txn *txn, void *handle);
void *spate_txn_handle(const spate_txn *txn);
typedef int (*spate_txn_begin_fn)(spate_ctx *ctx, spate_txn *txn);
typedef int (*spate_txn_invoke_fn)(spate_ctx *ctx, spate_txn *txn, const spate_row *in);
typedef int (*spate_txn_fn)(spate_ctx *ctx, spate_txn *txn);
spate_stream *spate_sink_two_phase(spate_stream *in, spate_txn_begin_fn begin,
                                   spate_txn_invoke_fn invoke, spate_txn_fn pre_commit,
                                   spate_txn_fn commit, spate_txn_fn abort);

/* ---------------------------------------------------------------------------------------------
 * Execution. */
typedef enum spate_job_status {
  SPATE_JOB_FINISHED = 0,
  SPATE_JOB_FAILED = 1,
  SPATE_JOB_CANCELED = 2,
  SPATE_JOB_PLANNED = 3,  /* `spate info`: the plan was printed, nothing ran */
  SPATE_JOB_DETACHED = 4, /* `spate run -d`: submitted to a cluster, its end not awaited */
} spate_job_status;

typedef struct spate_job_result spate_job_result;
typedef struct spate_job_client spate_job_client;

/* Events of a running job, for programs that watch it (tests, tools): the job's status switches
 * (Flink's JobStatus names: RUNNING, RESTARTING, FAILING, FAILED, CANCELLING, CANCELED,
 * FINISHED), every subtask's state switches (Flink's ExecutionState names), and checkpoints and
 * savepoints that are triggered (Flink's pending checkpoint: its timestamp, which the checkpoint
 * timeout and the aligned-checkpoint timeout count from, is fixed then), complete or fail. */
typedef enum spate_job_event_type {
  SPATE_EVENT_JOB_STATUS = 1,
  SPATE_EVENT_TASK_STATE = 2,
  SPATE_EVENT_CHECKPOINT_COMPLETED = 3,
  SPATE_EVENT_CHECKPOINT_FAILED = 4,
  SPATE_EVENT_CHECKPOINT_TRIGGERED = 5,
} spate_job_event_type;
typedef struct spate_job_event {
  spate_job_event_type type;
  const char *job_id;
  const char *state;     /* JOB_STATUS, TASK_STATE: the new state */
  const char *task;      /* TASK_STATE: "name (i/p)" */
  int vertex, subtask;   /* TASK_STATE: the job vertex (0-based) and subtask */
  int attempt;           /* the job's execution attempt (0, then one more per restart) */
  int64_t checkpoint_id; /* CHECKPOINT_*: its id */
  bool savepoint;        /* CHECKPOINT_*: a savepoint */
  const char *path;      /* CHECKPOINT_TRIGGERED, _COMPLETED: its directory */
  const char *message;   /* CHECKPOINT_FAILED: why; TASK_STATE FAILED and JOB_STATUS FAILED: the
                            failure (else NULL) */
} spate_job_event;
/* Called for every event of a job, one at a time and in order, on a thread of the cluster's; the
 * event and its strings are valid during the call only. It must return quickly and must not
 * call the job's client. */
typedef void (*spate_job_listener)(void *arg, const spate_job_event *e);
/* The listener of the jobs this environment executes from now on (fn NULL: none). */
void spate_env_set_job_listener(spate_env *env, spate_job_listener fn, void *arg);

/* Runs the job to completion on the embedded MiniCluster. Never NULL except out of memory.
 * An environment runs its job once: as in Flink, which clears the transformations when execute
 * takes them, a second call (or a call with no operators) fails with "No operators defined in
 * streaming topology. Cannot execute." and operators added after the first call are refused. */
spate_job_result *spate_execute(spate_env *env, const char *job_name);
/* Executes the job (as spate_execute), frees the environment, and returns the process's exit
 * code: 0 when the job finished (or `spate info` printed its plan, or `spate run -d` submitted
 * it), else 1 after writing why on stderr as "<job name>: the job failed: <message>" (a build
 * error kept on the environment, or the job's failure) or "<job name>: the job was canceled".
 * Under `spate run` the CLI reports a failure itself, so nothing more is written. env may be
 * NULL (spate_env_create ran out of memory): 1. As every builder call accepts a NULL stream and
 * keeps the first error, a spate_main can be written without error checks:
 *     int spate_main(int argc, char **argv) {
 *       spate_env *env = spate_env_create();
 *       spate_stream *s = spate_from_sequence(env, 1, 100);
 *       spate_print(spate_sum_name(spate_key_by_name(s, "value"), "value"), NULL);
 *       return spate_execute_main(env, "sums");
 *     } */
int spate_execute_main(spate_env *env, const char *job_name);
/* Submits the job and returns at once; NULL and an env error if it could not be submitted (the
 * same rules as spate_execute). */
spate_job_client *spate_execute_async(spate_env *env, const char *job_name);
const char *spate_job_client_id(const spate_job_client *c);
/* Requests cancellation; returns at once. */
void spate_job_client_cancel(spate_job_client *c);
/* Waits for the end of the job, frees the client and returns the result. */
spate_job_result *spate_job_client_wait(spate_job_client *c);
/* Waits at most timeout_ms (real time) for the end of the job: the result (the client freed), or
 * NULL if the job still runs (the client stays valid). */
spate_job_result *spate_job_client_wait_for(spate_job_client *c, int64_t timeout_ms);
/* Triggers a checkpoint now (Flink's `flink checkpoint <job id>`) into the job's checkpoint
 * directory (state.checkpoints.dir, else $TMPDIR/spate-checkpoints) and waits for it; *id (may
 * be NULL) gets its id. It counts like a periodic checkpoint. Returns 0 or a negative code with
 * the reason in err. */
int spate_job_client_checkpoint(spate_job_client *c, int64_t *id, char *err, size_t err_len);
/* Triggers a savepoint into dir (NULL: state.savepoints.dir) and waits for it; on success
 * writes the savepoint's directory into path. With stop set the job then stops (Flink's
 * stop-with-savepoint: sources end, the job finishes). Returns 0 or a negative code with the
 * reason in err. */
int spate_job_client_savepoint(spate_job_client *c, const char *dir, bool stop, char *path,
                               size_t path_len, char *err, size_t err_len);
/* Stops the job with a savepoint into dir (NULL: state.savepoints.dir) and waits for the
 * savepoint (Flink's JobClient.stopWithSavepoint, `flink stop [--drain]`); on success writes its
 * directory into path, and the job then finishes. Without drain it is spate_job_client_savepoint
 * with stop: the sources end right after the savepoint's barrier, and event-time windows and
 * timers that have not fired stay in the savepoint (a job resumed from it fires them when its
 * watermark passes). With drain (FLIP-34) the sources first emit the end of event time
 * (MAX_WATERMARK): every event-time timer fires and every window flushes into the output before
 * the savepoint is taken, which then holds no pending windows or event-time timers; use it when
 * the job is not meant to be resumed. Returns 0 or a negative code with the reason in err. */
int spate_job_client_stop_with_savepoint(spate_job_client *c, const char *dir, bool drain,
                                         char *path, size_t path_len, char *err, size_t err_len);

spate_job_status spate_job_result_status(const spate_job_result *r);
const char *spate_job_status_name(spate_job_status s);
const char *spate_job_result_error(const spate_job_result *r); /* NULL unless FAILED */
const char *spate_job_result_id(const spate_job_result *r);    /* 32 hex digits */
int64_t spate_job_result_runtime_ms(const spate_job_result *r);
size_t spate_job_result_num_operators(const spate_job_result *r);
const char *spate_job_result_operator(const spate_job_result *r, size_t i);
uint64_t spate_job_result_records_in(const spate_job_result *r, size_t i);
uint64_t spate_job_result_records_out(const spate_job_result *r, size_t i);
/* Nanoseconds subtasks of operator i's chain waited for an output buffer (backpressure). */
uint64_t spate_job_result_backpressure_ns(const spate_job_result *r, size_t i);
/* Checkpoints the job completed (all attempts), restarts it went through, and per completed
 * checkpoint i (0 = first): id, end-to-end duration, the slowest subtask's synchronous and
 * asynchronous parts, the longest alignment, and the state size in bytes. */
size_t spate_job_result_num_checkpoints(const spate_job_result *r);
int spate_job_result_restarts(const spate_job_result *r);
typedef struct spate_checkpoint_stats {
  int64_t id;
  int64_t duration_ms, sync_ms, async_ms, alignment_ms;
  uint64_t state_size;
  bool unaligned;
} spate_checkpoint_stats;
const spate_checkpoint_stats *spate_job_result_checkpoint(const spate_job_result *r, size_t i);
/* Rows collected by spate_collect(name); *rows valid until the result is freed. */
size_t spate_job_result_collected(const spate_job_result *r, const char *name,
                                  const spate_row **rows, const spate_schema **schema);
void spate_job_result_free(spate_job_result *r);

/* ---------------------------------------------------------------------------------------------
 * Job arguments, as Flink's ParameterTool: "--name value", "-name value" or "--name=value". A
 * key is an argument starting with '-' that is not a number; its value is the next argument
 * unless that is a key too (so "--offset -5" has the value "-5"). A key with no value (the last
 * argument, or one followed by another key, as in "--input --output out") is a flag: its value
 * is SPATE_ARG_NO_VALUE, ParameterTool's NO_VALUE_KEY. A job that needs a value checks for it,
 * most simply with spate_arg_missing_value. `name` may be given with or without its dashes. */
#define SPATE_ARG_NO_VALUE "__NO_VALUE_KEY"
/* The value of the first `name` argument, SPATE_ARG_NO_VALUE if it has none, or fallback if the
 * argument is absent. The string lives in argv (or is a constant). */
const char *spate_arg(int argc, char **argv, const char *name, const char *fallback);
/* All values of a repeated argument, in order (SPATE_ARG_NO_VALUE for those without one);
 * returns the count stored (at most max). */
int spate_arg_all(int argc, char **argv, const char *name, const char **out, int max);
/* Whether the argument is given, with or without a value. */
bool spate_arg_has(int argc, char **argv, const char *name);
/* Whether a value spate_arg returned is SPATE_ARG_NO_VALUE. */
bool spate_arg_no_value(const char *value);
/* The first of the NULL-terminated `names` that is given without a value (or with an empty
 * one, "--name="), or NULL when each has one. For a job's usage check:
 *     static const char *const needs_value[] = {"input", "output", NULL};
 *     const char *bare = spate_arg_missing_value(argc, argv, needs_value);
 *     if (bare) { fprintf(stderr, "--%s needs a value\n", bare); return 1; } */
const char *spate_arg_missing_value(int argc, char **argv, const char *const *names);

/* The entry point a job defines. */
int spate_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#include "spate/record.h" /* typed records: SPATE_RECORD */
#endif

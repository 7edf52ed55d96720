/*
 * operator.h: the operator interface the task drives, and the pieces every operator shares. The
 * built-in operators (operators/) implement op_vtable; the task gets them through an
 * op_vtable_fn handed down by the TaskExecutor, so the runtime never names an operator.
 *
 * An operator processes records pushed into it (process), is told when all its input has ended
 * (end_input), and releases what it holds in close (always called once open was attempted).
 * A source has no input: the task calls poll, which emits up to `budget` records.
 *
 * Operators in one chain call each other directly: op_output holds the chained successors (each
 * with the input index it receives on) and the record writers of non-chained edges, and
 * output_emit pushes a record to all of them. The row a successor receives is only valid during
 * the call.
 *
 * Every call into an operator goes through the op_* functions below (or in operator.c), which
 * keep the thread's current operator for the fatal-signal report (runtime/crash_report.h).
 *
 * Errors: an operator returns a negative code after writing a message that names it and its
 * subtask into the task's error buffer (op_fail). UDF errors carry the UDF's own message
 * (spate_ctx_fail).
 */
#ifndef SPATE_RUNTIME_OPERATOR_H
#define SPATE_RUNTIME_OPERATOR_H
#include <stdbool.h>
#include "base/bytes.h"
#include "base/clock.h"
#include "base/sw_cell.h"
#include "graph/stream_graph.h"
#include "runtime/crash_report.h"
#include "runtime/record_writer.h"
#include "runtime/udf_context.h"
#include "runtime/user_metrics.h"
#include "state/snapshot.h"
#include "types/row.h"

typedef struct op_t op_t;

typedef struct op_output {
  int nchained;
  op_t **chained;
  int *chained_input;
  int nwriters;
  record_writer **writers;
  sw_u64 *records_out; /* counts every record emitted on this output (task thread writes) */
} op_output;

/* A side output: the successors and writers of edges that read this tag. */
typedef struct op_side_output {
  const char *tag;            /* the job graph's string */
  const spate_schema *schema; /* rows emitted there must have its fields */
  op_output out;
  sw_u64 records;
} op_side_output;

struct spate_collector {
  op_t *op;
  spate_row_builder *rb;
};

/* What a source's poll returns: END (no more, ever), MORE (call again), IDLE (nothing arrived
 * within the source's own short wait), WAIT (nothing until something the task can wait for
 * happens: a mail such as a checkpoint notification, or a timer the source scheduled). */
enum { SRC_END = 0, SRC_MORE = 1, SRC_IDLE = 2, SRC_WAIT = 3 };

/* A processing-time callback (see op_schedule): now_ms is the processing time reached, up to
 * which (inclusive) timers are due. On the system clock that is one millisecond behind the wall
 * clock (a timer for T fires once T has passed, as Flink's SystemProcessingTimeService), on a
 * manual clock the clock's time (Flink's TestProcessingTimeService). */
typedef int (*op_timer_fn)(op_t *op, int64_t now_ms);

typedef struct op_vtable {
  int (*open)(op_t *op);
  int (*process)(op_t *op, int input, int64_t ts, const spate_row *row);
  int (*end_input)(op_t *op);
  /* event time: NULL forwards the watermark (status) to the outputs */
  int (*watermark)(op_t *op, int input, int64_t wm);
  int (*status)(op_t *op, bool idle);
  void (*close)(op_t *op);
  /* sources: SRC_MORE, SRC_IDLE (the task flushes its output), SRC_WAIT (the task flushes and
   * parks until a mail or timer), SRC_END or < 0 */
  int (*poll)(op_t *op, int budget);
  /* collect sinks: appends what the job result carries */
  void (*report)(op_t *op, sp_writer *w);
  /* sinks that buffer output for efficiency (print, text): write it out now. The task calls it
   * before it parks, so output waits for an idle moment at most, never for more input. */
  int (*flush)(op_t *op);
  /* Checkpoints (all optional; an operator without snapshot has no state to keep).
   * snapshot: the synchronous part of checkpoint `id`: writes the operator's keyed state per key
   *   group of its range and its operator state (lists) into w. Called on the task thread when
   *   the barrier is processed, after every record before the barrier and before any after it.
   *   Two-phase-commit sinks pre-commit here.
   * restore: called once after open when the task starts from a checkpoint or savepoint, with
   *   the state this subtask gets (key groups of its range, its share of list state), before
   *   any record.
   * notify_complete / notify_aborted: checkpoint `id` completed (its metadata is durable) or
   *   was aborted. Two-phase-commit sinks commit (or keep pending) here. */
  int (*snapshot)(op_t *op, int64_t id, snap_writer *w);
  int (*restore)(op_t *op, const snap_restore *r);
  int (*notify_complete)(op_t *op, int64_t id);
  int (*notify_aborted)(op_t *op, int64_t id);
  /* Keyed operators (optional): a hint that `row`, with timestamp ts (INT64_MIN: none) and of
   * key group key_group (as its producer computed it, op_t.input_key_group), comes a few
   * records after the one being processed, so the operator may start loading its key's state
   * into the cache (ks_prefetch). Returns false when hints do not pay now (its
   * state fits in the cache: ks_prefetch_useful), and the task then stops hinting for a while.
   * Must not change anything a record or a checkpoint could observe, nor fail. */
  bool (*prefetch)(op_t *op, int input, int64_t ts, const spate_row *row, int key_group);
} op_vtable;

struct op_t {
  const op_vtable *vt;
  const sg_node *node;
  const sg_node *nodes;                 /* all nodes of the job graph (for the schemas of inputs) */
  const spate_schema *in_schema;        /* schema of the records it receives (NULL for sources) */
  const spate_schema *in_schema_second; /* two-input operators: of the second input's records */
  spate_ctx ctx;
  op_output out;
  int nsides;
  op_side_output *sides; /* side outputs somebody reads; others are dropped */
  /* Metrics (task_metrics.h), written on the task thread only, readable anywhere: records in and
   * out (main output), the watermarks in and out (INT64_MIN: none yet), and the late records a
   * window operator dropped (numLateRecordsDropped). */
  sw_u64 records_in, records_out;
  sw_i64 input_watermark, output_watermark;
  sw_u64 late_records_dropped;
  user_metrics umetrics; /* what the user functions registered (ctx.metrics points here) */
  spate_row_builder rb;  /* output rows (operators with an output schema) */
  void *udf;             /* main UDF, resolved */
  spate_key_fn key_fn;   /* keyed operators with a key selector */
  void *dl;              /* the job's object, for UDFs named in params */
  const char *artifact;
  spate_open_fn open_fn;
  spate_close_fn close_fn;
  bool user_opened;
  bool closed;
  void *impl; /* kind-specific state */
  char *err;  /* the task's error buffer */
  size_t err_len;
  const _Atomic bool *cancel;
  const char *uid;                /* the node's uid (set or generated when the graph is built) */
  const snap_restore *restored;   /* state to restore after open, or NULL (fresh start) */
  bool checkpointing;             /* the job takes checkpoints (set before open) */
  bool awaiting_commit;           /* at the end of input: output still to be committed by a
                                      checkpoint; the task waits for it before it finishes */
  spate_operator_state **ustates; /* the user's operator state (spate_ctx_operator_state) */
  int nustates;
  /* the task's processing-time service: runs fn on the task thread at or after due_ms */
  int (*schedule)(void *task, op_t *op, int64_t due_ms, op_timer_fn fn);
  void *task;
  /* The key group of the record being processed as its producer computed it (element.h), or
   * -1. The task sets it only on a head operator whose input edge is HASH partitioned by the
   * same key fields as the operator's own key (node->key) for the same maximum parallelism, so
   * a keyed operator may use it instead of hashing the key again; -1 for every other record. */
  int input_key_group;
};

/* After every call into an operator: when a typed record's accessor or SPATE_PARAMS found a
 * mismatch during the call (ctx.check_failed, udf_context.h), the call fails with its message
 * (op_check_failed), whatever the UDF returned; else rc. */
int op_check_failed(op_t *op);
static inline int op_record_check(op_t *op, int rc) {
  return __builtin_expect(op->ctx.check_failed, 0) ? op_check_failed(op) : rc;
}

static inline int op_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  sw_inc(&op->records_in);
  op->ctx.ts = ts;
  op->ctx.in_row = row->data; /* what typed records check their type against (record.h) */
  op->ctx.in_row_schema = input == 0 ? op->in_schema : op->in_schema_second;
  const spate_ctx *outer = crash_enter(&op->ctx);
  int rc = op->vt->process(op, input, ts, row);
  crash_leave(outer);
  op->ctx.in_row = NULL;
  return op_record_check(op, rc);
}

/* Polls a source (vt->poll) for up to budget records. */
static inline int op_poll(op_t *op, int budget) {
  const spate_ctx *outer = crash_enter(&op->ctx);
  int rc = op->vt->poll(op, budget);
  crash_leave(outer);
  return op_record_check(op, rc);
}

/* Ends the operator's input (vt->end_input, if it has one). */
static inline int op_end_input(op_t *op) {
  if (!op->vt->end_input) return 0;
  const spate_ctx *outer = crash_enter(&op->ctx);
  int rc = op->vt->end_input(op);
  crash_leave(outer);
  return op_record_check(op, rc);
}

/* Runs a processing-time callback of the operator (see op_schedule). */
static inline int op_fire_timer(op_t *op, op_timer_fn fn, int64_t now_ms) {
  const spate_ctx *outer = crash_enter(&op->ctx);
  int rc = fn(op, now_ms);
  crash_leave(outer);
  return op_record_check(op, rc);
}

/* Hands a watermark (status) to an operator: its handler, or forwarding by default. */
int op_watermark(op_t *op, int input, int64_t wm);
int op_status(op_t *op, bool idle);
/* Sends a watermark (status) on from an operator: to its main and all its side outputs. */
int op_forward_watermark(op_t *op, int64_t wm);
int op_forward_status(op_t *op, bool idle);

/* Forwards a watermark to the chained successors and downstream tasks. */
static inline int output_emit_watermark(op_output *o, int64_t wm) {
  for (int i = 0; i < o->nchained; i++) {
    int rc = op_watermark(o->chained[i], o->chained_input[i], wm);
    if (rc < 0) return rc;
  }
  for (int i = 0; i < o->nwriters; i++) {
    int rc = rw_broadcast_event(o->writers[i], EL_WATERMARK, &wm, 8);
    if (rc < 0) return rc;
  }
  return 0;
}

/* Forwards an idle (true) or active status. */
static inline int output_emit_status(op_output *o, bool idle) {
  for (int i = 0; i < o->nchained; i++) {
    int rc = op_status(o->chained[i], idle);
    if (rc < 0) return rc;
  }
  uint32_t v = idle ? 1 : 0;
  for (int i = 0; i < o->nwriters; i++) {
    int rc = rw_broadcast_event(o->writers[i], EL_STATUS, &v, 4);
    if (rc < 0) return rc;
  }
  return 0;
}

static inline int output_emit(op_output *o, int64_t ts, const spate_row *row) {
  sw_inc(o->records_out);
  for (int i = 0; i < o->nchained; i++) {
    int rc = op_process(o->chained[i], o->chained_input[i], ts, row);
    if (rc < 0) return rc;
  }
  for (int i = 0; i < o->nwriters; i++) {
    int rc = rw_emit(o->writers[i], ts, row);
    if (rc < 0) return rc;
  }
  return 0;
}

/* The vtable implementing an operator kind, or NULL (operators/registry.h provides one). */
typedef const op_vtable *(*op_vtable_fn)(op_kind kind);

/* Creates the operator for a node of the job graph, resolving its UDFs in `dl` (a dlopen
 * handle). Messages name the operator and the missing symbol. */
int op_create(const job_graph *jg, int node, int subtask, op_vtable_fn vtable_for, void *dl,
              const char *artifact, char *err, size_t err_len, const _Atomic bool *cancel,
              op_t **out);
/* Emits a row to the side output `tag`; nothing happens when no edge reads that tag (as
 * Flink drops side outputs nobody asked for). */
int op_emit_side(op_t *op, const char *tag, int64_t ts, const spate_row *row);

/* Schedules fn on the task thread once processing time due_ms is reached (see op_timer_fn). */
static inline int op_schedule(op_t *op, int64_t due_ms, op_timer_fn fn) {
  return op->schedule(op->task, op, due_ms, fn);
}

/* The processing time of the operator's task. */
static inline int64_t op_now(const op_t *op) { return sp_clock_now(op->ctx.clock); }

/* Finds a UDF named in the operator's params in the job's object; NULL if absent. */
void *op_resolve(op_t *op, const char *symbol);

/* Writes the user's operator state into a snapshot (lists named "user/<name>"). */
int op_snapshot_user_state(op_t *op, snap_writer *w);
void op_free_user_state(op_t *op);

/* Runs the operator's open, then the user open function. */
int op_open(op_t *op);
/* Runs the operator's close and the user close function (if opened), once; on the task thread. */
void op_close(op_t *op);
/* Frees the operator (closing it first if that has not happened). */
void op_free(op_t *op);
/* Writes "'<name>' (subtask i/p): <message>" into the task error buffer; returns rc. */
int op_fail(op_t *op, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Turns a UDF's negative return into a message: its spate_ctx_fail text, or the code (for code
 * outside an operator: op_udf_error, udf_context.h). */
int op_udf_failed(op_t *op, int rc, const char *what);
/* Finishes op->rb and emits the row; a builder error fails naming the field. */
int op_emit_built(op_t *op, int64_t ts, const char *what);

#endif

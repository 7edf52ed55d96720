/*
 * transform_operators.c: map, flat map and filter. Each calls its UDF once per record and
 * forwards what it produces straight to the chained successors; filter forwards the very row it
 * received (no copy).
 *
 * On a keyed stream (key_by, then map, flat map or filter) the function runs in the keyed
 * context of Flink's rich functions after keyBy: its key current (spate_ctx_current_key) and
 * keyed state (spate_ctx_state), checkpointed per key group. The process operator does that
 * (process_operator.c): open hands the operator over to it. The operator's output is not keyed.
 */
#include "operators/registry.h"

/* A keyed map, flat map or filter becomes a process operator (see the comment above), with the
 * process function of its kind (process_operator.c); others need no opening. */
static int transform_open(op_t *op) {
  if (op->node->key.nfields == 0 && !op->node->key.selector) return 0;
  op->vt = op->node->kind == OP_MAP      ? &op_keyed_map_vt
           : op->node->kind == OP_FILTER ? &op_keyed_filter_vt
                                         : &op_keyed_flat_map_vt;
  return op->vt->open(op);
}

static int map_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  spate_rb_begin(&op->rb);
  int rc = ((spate_map_fn)op->udf)(&op->ctx, row, &op->rb);
  if (rc < 0) return op_udf_failed(op, rc, "map function");
  return op_emit_built(op, ts, "map function");
}

static int flat_map_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  spate_collector c = {op, &op->rb};
  int rc = ((spate_flat_map_fn)op->udf)(&op->ctx, row, &c);
  if (rc < 0) return op_udf_failed(op, rc, "flat map function");
  return 0;
}

static int filter_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  int rc = ((spate_filter_fn)op->udf)(&op->ctx, row);
  if (rc < 0) return op_udf_failed(op, rc, "filter function");
  return rc ? output_emit(&op->out, ts, row) : 0;
}

const op_vtable op_map_vt = {.open = transform_open, .process = map_process};
const op_vtable op_flat_map_vt = {.open = transform_open, .process = flat_map_process};
const op_vtable op_filter_vt = {.open = transform_open, .process = filter_process};

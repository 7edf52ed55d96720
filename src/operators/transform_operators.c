/*
 * transform_operators.c: map, flat map and filter. Each calls its UDF once per record and
 * forwards what it produces straight to the chained successors; filter forwards the very row it
 * received (no copy).
 */
#include "operators/registry.h"

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

const op_vtable op_map_vt = {.process = map_process};
const op_vtable op_flat_map_vt = {.process = flat_map_process};
const op_vtable op_filter_vt = {.process = filter_process};

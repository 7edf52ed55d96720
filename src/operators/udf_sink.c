/*
 * udf_sink.c: the user-defined sink (spate_sink): the UDF is called once per record.
 */
#include "operators/registry.h"

/* ---- user sink ------------------------------------------------------------------------------- */
static int udf_sink_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  int rc = ((spate_sink_fn)op->udf)(&op->ctx, row);
  return rc < 0 ? op_udf_failed(op, rc, "sink function") : 0;
}
const op_vtable op_sink_udf_vt = {.process = udf_sink_process};

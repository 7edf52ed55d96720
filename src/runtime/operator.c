/*
 * operator.c: operator creation (UDF resolution), lifecycle, error formatting, side outputs, and
 * the collector functions of the public API (the UDF context's are in udf_context.c).
 */
#include "runtime/operator.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"

static void *resolve(void *dl, const char *sym, const char *artifact, const char *opname, char *err,
                     size_t err_len, int *rc) {
  if (!sym) return NULL;
  dlerror();
  void *p = dl ? dlsym(dl, sym) : NULL;
  if (!p) {
    *rc = sp_err(err, err_len, SPATE_ENOENT, "operator '%s': user function '%s' not found in %s",
                 opname, sym, artifact ? artifact : "the program (link it with -rdynamic)");
  }
  return p;
}

int op_create(const job_graph *jg, int node, int subtask, op_vtable_fn vtable_for, void *dl,
              const char *artifact, char *err, size_t err_len, const _Atomic bool *cancel,
              op_t **out) {
  *out = NULL;
  const sg_node *n = &jg->nodes[node];
  const op_vtable *vt = vtable_for ? vtable_for(n->kind) : NULL;
  if (!vt) return sp_err(err, err_len, SPATE_EINVAL, "operator '%s': unknown kind", n->name);
  op_t *op = sp_calloc(1, sizeof *op);
  if (!op) return SPATE_ENOMEM;
  op->vt = vt;
  op->node = n;
  op->uid = n->uid;
  op->nodes = jg->nodes;
  op->err = err;
  op->err_len = err_len;
  op->cancel = cancel;
  op->ctx.subtask = subtask;
  op->ctx.parallelism = n->parallelism;
  op->ctx.name = n->name;
  op->ctx.arg = n->udf_arg;
  op->ctx.arg_len = n->udf_arg_len;
  op->ctx.ts = INT64_MIN;
  op->ctx.watermark = INT64_MIN;
  op->input_key_group = -1;
  op->out.records_out = &op->records_out;
  sw_set_i64(&op->input_watermark, INT64_MIN);
  sw_set_i64(&op->output_watermark, INT64_MIN);
  op->ctx.metrics = &op->umetrics;
  op->dl = dl;
  op->artifact = artifact;
  if (n->ninputs > 0) op->in_schema = sg_edge_schema(jg->nodes, &n->inputs[0]);
  op->in_schema_second = n->ninputs > 1 ? sg_edge_schema(jg->nodes, &n->inputs[1]) : op->in_schema;
  int rc = 0;
  op->udf = resolve(dl, n->udf, artifact, n->name, err, err_len, &rc);
  if (!rc)
    op->open_fn = (spate_open_fn)resolve(dl, n->open_fn, artifact, n->name, err, err_len, &rc);
  if (!rc)
    op->close_fn = (spate_close_fn)resolve(dl, n->close_fn, artifact, n->name, err, err_len, &rc);
  if (!rc)
    op->key_fn = (spate_key_fn)resolve(dl, n->key.selector, artifact, n->name, err, err_len, &rc);
  if (!rc && n->out_schema) rc = rb_init(&op->rb, n->out_schema);
  if (rc) {
    if (n->out_schema && op->rb.schema) rb_destroy(&op->rb);
    sp_free(op);
    return rc;
  }
  *out = op;
  return 0;
}

int op_emit_side(op_t *op, const char *tag, int64_t ts, const spate_row *row) {
  for (int i = 0; i < op->nsides; i++) {
    op_side_output *side = &op->sides[i];
    if (strcmp(side->tag, tag) != 0) continue;
    if (side->schema && row->nfields != (uint32_t)side->schema->nfields)
      return op_fail(op, SPATE_EINVAL, "side output '%s' takes rows of %d fields, got %u", tag,
                     side->schema->nfields, row->nfields);
    return output_emit(&side->out, ts, row);
  }
  return 0;
}

int spate_ctx_output(spate_ctx *ctx, const char *tag, const spate_row *row) {
  op_t *op = (op_t *)(void *)((char *)ctx - offsetof(op_t, ctx)); /* the context is in its op */
  if (!tag || !row) return spate_ctx_fail(ctx, "spate_ctx_output: tag and row are required");
  return op_emit_side(op, tag, ctx->ts, row);
}

void *op_resolve(op_t *op, const char *symbol) {
  return op->dl && symbol ? dlsym(op->dl, symbol) : NULL;
}

int op_forward_watermark(op_t *op, int64_t wm) {
  sw_set_i64(&op->output_watermark, wm); /* currentOutputWatermark */
  int rc = output_emit_watermark(&op->out, wm);
  for (int i = 0; rc == 0 && i < op->nsides; i++) rc = output_emit_watermark(&op->sides[i].out, wm);
  return rc;
}

int op_forward_status(op_t *op, bool idle) {
  int rc = output_emit_status(&op->out, idle);
  for (int i = 0; rc == 0 && i < op->nsides; i++) rc = output_emit_status(&op->sides[i].out, idle);
  return rc;
}

int op_watermark(op_t *op, int input, int64_t wm) {
  op->ctx.watermark = wm;
  sw_set_i64(&op->input_watermark, wm); /* currentInputWatermark (the task's valve combined the
                                           inputs of a two-input head already) */
  if (!op->vt->watermark) return op_forward_watermark(op, wm);
  const spate_ctx *outer = crash_enter(&op->ctx);
  int rc = op->vt->watermark(op, input, wm);
  crash_leave(outer);
  return op_record_check(op, rc);
}

int op_status(op_t *op, bool idle) {
  if (!op->vt->status) return op_forward_status(op, idle);
  const spate_ctx *outer = crash_enter(&op->ctx);
  int rc = op->vt->status(op, idle);
  crash_leave(outer);
  return op_record_check(op, rc);
}

/* The operator opens first, so that a user open function finds what it builds on (keyed state);
 * closing runs in reverse. */
static int open_in(op_t *op);

int op_open(op_t *op) {
  const spate_ctx *outer = crash_enter(&op->ctx);
  int rc = open_in(op);
  crash_leave(outer);
  return op_record_check(op, rc);
}

static int open_in(op_t *op) {
  int rc = op->vt->open ? op->vt->open(op) : 0;
  if (rc < 0) return rc;
  if (!op->open_fn) { /* a close function without an open function still runs at the end */
    op->user_opened = true;
    return 0;
  }
  void *user = NULL;
  rc = op->open_fn(&op->ctx, &user);
  if (rc < 0) return op_udf_failed(op, rc, "open function");
  op->ctx.user = user;
  op->user_opened = true;
  return 0;
}

void op_close(op_t *op) {
  if (!op || op->closed) return;
  op->closed = true;
  const spate_ctx *outer = crash_enter(&op->ctx);
  if (op->user_opened && op->close_fn) op->close_fn(&op->ctx, op->ctx.user);
  op->user_opened = false;
  if (op->vt->close) op->vt->close(op);
  crash_leave(outer);
  op->impl = NULL;
}

void op_free(op_t *op) {
  if (!op) return;
  op_close(op);
  if (op->node->out_schema) rb_destroy(&op->rb);
  sp_free(op->out.chained);
  sp_free(op->out.chained_input);
  sp_free(op->out.writers);
  for (int i = 0; i < op->nsides; i++) {
    sp_free(op->sides[i].out.chained);
    sp_free(op->sides[i].out.chained_input);
    sp_free(op->sides[i].out.writers);
  }
  sp_free(op->sides);
  op_free_user_state(op);
  user_metrics_free(&op->umetrics);
  sp_free(op);
}

int op_fail(op_t *op, int rc, const char *fmt, ...) {
  int n = snprintf(op->err, op->err_len, "'%s' (subtask %d/%d): ", op->node->name,
                   op->ctx.subtask + 1, op->ctx.parallelism);
  if (n < 0 || (size_t)n >= op->err_len) return rc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(op->err + n, op->err_len - (size_t)n, fmt, ap);
  va_end(ap);
  return rc;
}

int op_udf_failed(op_t *op, int rc, const char *what) {
  if (rc == SPATE_ECANCELED) return rc;
  if (op->ctx.has_error) {
    op->ctx.has_error = false; /* consumed: a later failure must not repeat this message */
    return op_fail(op, SPATE_EUDF, "%s", op->ctx.error);
  }
  if (op->err[0]) return rc; /* a chained successor failed and already said why */
  return op_fail(op, rc, "%s returned %d (%s)", what, rc, spate_strerror(rc));
}

int op_check_failed(op_t *op) {
  op->ctx.check_failed = false;
  op->ctx.has_error = false;         /* consumed, as op_udf_failed consumes it */
  if (op->err[0]) return SPATE_EUDF; /* already reported (by op_udf_failed, or a successor) */
  return op_fail(op, SPATE_EUDF, "%s", op->ctx.error);
}

int op_emit_built(op_t *op, int64_t ts, const char *what) {
  spate_row row;
  if (spate_rb_finish(&op->rb, &row) < 0)
    return op_fail(op, SPATE_EUDF, "%s built an invalid row: %s", what, spate_rb_error(&op->rb));
  return output_emit(&op->out, ts, &row);
}

/* ---- collector (the UDF context is in udf_context.c) --------------------------------------- */
spate_row_builder *spate_collect_begin(spate_collector *out) {
  spate_rb_begin(out->rb);
  return out->rb;
}

/* The kind of user function that emits through a collector of op, for messages. */
static const char *collecting_fn(const op_t *op) {
  switch (op->node->kind) {
  case OP_FLAT_MAP: return "flat map function";
  case OP_PROCESS:
  case OP_CO_PROCESS: return "process function";
  case OP_WINDOW: return "window function";
  case OP_INTERVAL_JOIN:
  case OP_WINDOW_JOIN: return "join function";
  default: return "user function";
  }
}

int spate_collect_emit(spate_collector *out) {
  return op_emit_built(out->op, out->op->ctx.ts, collecting_fn(out->op));
}

/*
 * udf_context.c: the public UDF context functions (spate_ctx_*) and the formatting of UDF
 * failures. See udf_context.h.
 */
#include "runtime/udf_context.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/err.h"

int op_udf_error(spate_ctx *ctx, int rc, char *err, size_t err_len, const char *what) {
  if (ctx && ctx->has_error)
    return sp_err(err, err_len, SPATE_EUDF, "'%s' (subtask %d/%d): %s: %s", ctx->name,
                  ctx->subtask + 1, ctx->parallelism, what, ctx->error);
  return sp_err(err, err_len, rc, "%s returned %d (%s)", what, rc, spate_strerror(rc));
}

bool op_ctx_has_error(const spate_ctx *ctx) { return ctx->has_error; }

void op_ctx_check_failed(spate_ctx *ctx, const char *msg) {
  if (ctx->check_failed) return;
  snprintf(ctx->error, sizeof ctx->error, "%s", msg);
  ctx->has_error = true;
  ctx->check_failed = true;
}

int op_ctx_fail(const spate_ctx *ctx, char *err, size_t err_len, int rc, const char *fmt, ...) {
  int n = 0;
  if (ctx)
    n = snprintf(err, err_len, "'%s' (subtask %d/%d): ", ctx->name, ctx->subtask + 1,
                 ctx->parallelism);
  if (n < 0 || (size_t)n >= err_len) return rc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
  va_end(ap);
  return rc;
}

/* ---- public UDF context ------------------------------------------------------------------- */
int spate_ctx_subtask(const spate_ctx *ctx) { return ctx->subtask; }
int spate_ctx_parallelism(const spate_ctx *ctx) { return ctx->parallelism; }
const char *spate_ctx_operator_name(const spate_ctx *ctx) { return ctx->name; }
const void *spate_ctx_arg(const spate_ctx *ctx, size_t *len) {
  if (len) *len = ctx->arg_len;
  return ctx->arg;
}
void *spate_ctx_user(const spate_ctx *ctx) { return ctx->user; }
int64_t spate_ctx_timestamp(const spate_ctx *ctx) { return ctx->ts; }
int64_t spate_ctx_current_watermark(const spate_ctx *ctx) { return ctx->watermark; }

int spate_ctx_fail(spate_ctx *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
  va_end(ap);
  ctx->has_error = true;
  return SPATE_EUDF;
}

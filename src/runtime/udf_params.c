/*
 * udf_params.c: typed UDF parameters, encoded by the API into the operator's UDF argument and
 * checked by SPATE_PARAMS in the UDF (layout in udf_params.h). A mismatch fails the job naming
 * both types, the function's and the job's: the two ends of a job are compiled apart (the job
 * graph may run in other processes), so only the name and size can be compared.
 */
#include "runtime/udf_params.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "runtime/udf_context.h"

static const char magic[8] = {'S', 'P', 'P', 'A', 'R', 'A', 'M', 'S'};

static size_t header_size(size_t name_len) { return (16 + name_len + 1 + 15) / 16 * 16; }

uint8_t *udf_params_encode(const char *type_name, const void *data, size_t size, size_t *len) {
  size_t nlen = strlen(type_name), head = header_size(nlen);
  uint8_t *b = sp_calloc(1, head + size);
  if (!b) return NULL;
  uint32_t s32 = (uint32_t)size, n32 = (uint32_t)nlen;
  memcpy(b, magic, 8);
  memcpy(b + 8, &s32, 4);
  memcpy(b + 12, &n32, 4);
  memcpy(b + 16, type_name, nlen);
  if (size) memcpy(b + head, data, size);
  *len = head + size;
  return b;
}

const void *spate_ctx_params(spate_ctx *ctx, const char *type_name, size_t size) {
  char msg[512];
  const uint8_t *b = ctx->arg;
  size_t len = ctx->arg_len;
  uint32_t s32 = 0, n32 = 0;
  bool typed = b && len >= 16 && memcmp(b, magic, 8) == 0;
  if (typed) {
    memcpy(&s32, b + 8, 4);
    memcpy(&n32, b + 12, 4);
  }
  if (!typed || n32 > len - 16 || header_size(n32) + s32 != len) {
    snprintf(msg, sizeof msg,
             "the function expects parameters of type '%s' (%zu bytes), but the job passed %s",
             type_name, size,
             !b ? "none (give them with SPATE_WITH_PARAMS)"
                : "an untyped argument (spate_udf_arg; use SPATE_WITH_PARAMS)");
    op_ctx_check_failed(ctx, msg);
    return NULL;
  }
  const char *name = (const char *)b + 16;
  if (s32 != size || strlen(type_name) != n32 || memcmp(name, type_name, n32) != 0) {
    snprintf(msg, sizeof msg,
             "the function expects parameters of type '%s' (%zu bytes), but the job passed "
             "'%.*s' (%u bytes)",
             type_name, size, (int)n32, name, s32);
    op_ctx_check_failed(ctx, msg);
    return NULL;
  }
  return b + header_size(n32);
}

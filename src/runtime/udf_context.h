/*
 * udf_context.h: the context every user function receives (spate_ctx, opaque in spate.h), and
 * the formatting of UDF failures.
 *
 * Each operator holds one context for its subtask (operator.h); code that calls UDFs outside an
 * operator (key selectors and custom partitioners in a record writer) uses the context of the
 * operator that emits. This header needs nothing of the operator, so the record writer, the
 * partitioners and the crash report can read a context without the operator interface (which
 * includes them).
 */
#ifndef SPATE_RUNTIME_UDF_CONTEXT_H
#define SPATE_RUNTIME_UDF_CONTEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "spate/spate.h"

struct spate_ctx {
  int subtask, parallelism;
  const char *name;
  const void *arg;
  size_t arg_len;
  void *user;
  int64_t ts;        /* timestamp of the record being processed */
  int64_t watermark; /* the operator's current event time (INT64_MIN before any) */
  bool has_error;
  char error[512];
  void *keyed; /* keyed operators: their key, state and timer context, else NULL */
  const struct spate_clock *clock; /* the task's processing time (NULL: the system clock) */
  void *trigger; /* window operators, during a custom trigger's callback: its window */
  struct user_metrics *metrics; /* the operator's user metrics (user_metrics.h); NULL: none */
  /* Typed records' debug checks (spate/record.h, record_checks.c): the bytes and schema of the
   * record being processed (set by op_process for the call, else NULL). check_failed: an
   * accessor found a row that is not its record, or SPATE_PARAMS parameters of another type;
   * the message is in error, and the operator call fails when it returns, whatever the UDF
   * returned (operator.h: op_record_check). */
  const uint8_t *in_row;
  const spate_schema *in_row_schema;
  /* The typed record (spate_record_desc) last found to match checked_schema, an input schema
   * of the operator: rows of that input are well-formed rows of it (built, or validated when
   * decoded), so reading them as that record needs no more checks than the field count. */
  const void *checked_record;
  const spate_schema *checked_schema;
  bool check_failed;
};

/* Turns a UDF's negative return into a message in err for code outside an operator (key
 * selectors in a record writer): the UDF's spate_ctx_fail text, or the code. */
int op_udf_error(spate_ctx *ctx, int rc, char *err, size_t err_len, const char *what);
bool op_ctx_has_error(const spate_ctx *ctx);
/* Records a failed check of an accessor (typed records, parameters): the message, kept unless
 * one is already (the first is the one to report); the operator call then fails. */
void op_ctx_check_failed(spate_ctx *ctx, const char *msg);
/* Writes "'<name>' (subtask i/p): <message>" for ctx's operator into err (without the prefix
 * when ctx is NULL); returns rc. */
int op_ctx_fail(const spate_ctx *ctx, char *err, size_t err_len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#endif

/*
 * test_functions.c: a library of C user functions for the SQL tests (e2e/test_sql_udf.sh),
 * built as build/tests/libspate_test_udfs.so against spate/sql_function.h alone: string,
 * numeric and temporal functions, NULL handling both ways (a function that sees NULL, and one
 * whose NOT NULL argument keeps it from being called), a result that outgrows the engine's
 * buffer, a non-deterministic function with state from open, one that fails, and descriptors
 * the client must refuse.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spate/sql_function.h"

/* shout(STRING) -> STRING: upper case and '!'; NULL stays NULL. */
static const char *const one_string[] = {"STRING"};
static int shout_eval(spate_sql_function_context *ctx, const spate_sql_value *a,
                      spate_sql_result *out) {
  (void)ctx;
  if (a[0].is_null) return out->is_null = true, 0;
  out->len = a[0].len + 1;
  if (out->len > out->cap) return 0;
  for (size_t i = 0; i < a[0].len; i++) out->buf[i] = (char)toupper((unsigned char)a[0].str[i]);
  out->buf[a[0].len] = '!';
  return 0;
}
const spate_sql_function shout = {.abi = SPATE_SQL_FUNCTION_ABI,
                                  .nargs = 1,
                                  .arg_types = one_string,
                                  .result_type = "STRING",
                                  .deterministic = true,
                                  .eval = shout_eval};

/* repeat_text(STRING, INT) -> STRING: the string n times (longer than the first buffer). */
static const char *const string_int[] = {"STRING", "INT"};
static int repeat_eval(spate_sql_function_context *ctx, const spate_sql_value *a,
                       spate_sql_result *out) {
  (void)ctx;
  if (a[0].is_null || a[1].is_null) return out->is_null = true, 0;
  size_t n = a[1].i > 0 ? (size_t)a[1].i : 0;
  out->len = a[0].len * n;
  if (out->len > out->cap) return 0;
  for (size_t k = 0; k < n; k++) memcpy(out->buf + k * a[0].len, a[0].str, a[0].len);
  return 0;
}
const spate_sql_function repeat_text = {.abi = SPATE_SQL_FUNCTION_ABI,
                                        .nargs = 2,
                                        .arg_types = string_int,
                                        .result_type = "STRING",
                                        .deterministic = true,
                                        .eval = repeat_eval};

/* times_two(BIGINT) -> BIGINT: an INT argument is cast to BIGINT. */
static const char *const one_bigint[] = {"BIGINT"};
static int times_two_eval(spate_sql_function_context *ctx, const spate_sql_value *a,
                          spate_sql_result *out) {
  (void)ctx;
  if (a[0].is_null) return out->is_null = true, 0;
  out->i = a[0].i * 2;
  return 0;
}
const spate_sql_function times_two = {.abi = SPATE_SQL_FUNCTION_ABI,
                                      .nargs = 1,
                                      .arg_types = one_bigint,
                                      .result_type = "BIGINT",
                                      .deterministic = true,
                                      .eval = times_two_eval};

/* hypot2(DOUBLE, DOUBLE) -> DOUBLE NOT NULL: sqrt(x^2 + y^2), a NULL counting as 0. */
static const char *const two_doubles[] = {"DOUBLE", "DOUBLE"};
static int hypot_eval(spate_sql_function_context *ctx, const spate_sql_value *a,
                      spate_sql_result *out) {
  (void)ctx;
  double x = a[0].is_null ? 0 : a[0].d, y = a[1].is_null ? 0 : a[1].d;
  double s = x * x + y * y, r = s;
  /* Newton's square root: the test library links nothing, not even libm */
  if (s > 0)
    for (int k = 0; k < 60; k++) r = 0.5 * (r + s / r);
  out->d = r;
  return 0;
}
const spate_sql_function hypot2 = {.abi = SPATE_SQL_FUNCTION_ABI,
                                   .nargs = 2,
                                   .arg_types = two_doubles,
                                   .result_type = "DOUBLE NOT NULL",
                                   .deterministic = true,
                                   .eval = hypot_eval};

/* strict_negate(INT NOT NULL) -> INT: never sees NULL (the call is NULL instead). */
static const char *const one_int_not_null[] = {"INT NOT NULL"};
static int negate_eval(spate_sql_function_context *ctx, const spate_sql_value *a,
                       spate_sql_result *out) {
  if (a[0].is_null) {
    snprintf(ctx->error, sizeof ctx->error, "strict_negate was called with NULL");
    return 1;
  }
  out->i = -a[0].i;
  return 0;
}
const spate_sql_function strict_negate = {.abi = SPATE_SQL_FUNCTION_ABI,
                                          .nargs = 1,
                                          .arg_types = one_int_not_null,
                                          .result_type = "INT",
                                          .deterministic = true,
                                          .eval = negate_eval};

/* is_null_text(STRING) -> BOOLEAN NOT NULL: sees NULL as a value. */
static int is_null_eval(spate_sql_function_context *ctx, const spate_sql_value *a,
                        spate_sql_result *out) {
  (void)ctx;
  out->b = a[0].is_null;
  return 0;
}
const spate_sql_function is_null_text = {.abi = SPATE_SQL_FUNCTION_ABI,
                                         .nargs = 1,
                                         .arg_types = one_string,
                                         .result_type = "BOOLEAN NOT NULL",
                                         .deterministic = true,
                                         .eval = is_null_eval};

/* next_hour(TIMESTAMP(3)) -> TIMESTAMP(3): the timestamp one hour later. */
static const char *const one_ts[] = {"TIMESTAMP(3)"};
static int next_hour_eval(spate_sql_function_context *ctx, const spate_sql_value *a,
                          spate_sql_result *out) {
  (void)ctx;
  if (a[0].is_null) return out->is_null = true, 0;
  out->i = a[0].i + 3600000;
  out->nanos = a[0].nanos;
  return 0;
}
const spate_sql_function next_hour = {.abi = SPATE_SQL_FUNCTION_ABI,
                                      .nargs = 1,
                                      .arg_types = one_ts,
                                      .result_type = "TIMESTAMP(3)",
                                      .deterministic = true,
                                      .eval = next_hour_eval};

/* counter() -> BIGINT NOT NULL: 1, 2, 3, ... per subtask: not deterministic, so never folded;
 * its count lives in state that open allocates and close frees. */
static int counter_open(spate_sql_function_context *ctx) {
  ctx->state = calloc(1, sizeof(long long));
  if (!ctx->state) {
    snprintf(ctx->error, sizeof ctx->error, "out of memory");
    return 1;
  }
  return 0;
}
static int counter_eval(spate_sql_function_context *ctx, const spate_sql_value *a,
                        spate_sql_result *out) {
  (void)a;
  out->i = ++*(long long *)ctx->state;
  return 0;
}
static void counter_close(spate_sql_function_context *ctx) { free(ctx->state); }
const spate_sql_function counter = {.abi = SPATE_SQL_FUNCTION_ABI,
                                    .nargs = 0,
                                    .result_type = "BIGINT NOT NULL",
                                    .deterministic = false,
                                    .open = counter_open,
                                    .eval = counter_eval,
                                    .close = counter_close};

/* fail_on_13(INT) -> INT: the argument, except 13, which fails the call. */
static const char *const one_int[] = {"INT"};
static int fail_eval(spate_sql_function_context *ctx, const spate_sql_value *a,
                     spate_sql_result *out) {
  if (!a[0].is_null && a[0].i == 13) {
    snprintf(ctx->error, sizeof ctx->error, "13 is unlucky");
    return 1;
  }
  out->is_null = a[0].is_null;
  out->i = a[0].i;
  return 0;
}
const spate_sql_function fail_on_13 = {.abi = SPATE_SQL_FUNCTION_ABI,
                                       .nargs = 1,
                                       .arg_types = one_int,
                                       .result_type = "INT",
                                       .deterministic = true,
                                       .eval = fail_eval};

/* Descriptors CREATE FUNCTION refuses. */
const spate_sql_function bad_abi = {.abi = 99, .nargs = 0, .result_type = "INT", .eval = fail_eval};
static const char *const decimal_arg[] = {"DECIMAL(10, 2)"};
const spate_sql_function bad_type = {.abi = SPATE_SQL_FUNCTION_ABI,
                                     .nargs = 1,
                                     .arg_types = decimal_arg,
                                     .result_type = "INT",
                                     .eval = fail_eval};
static const char *const nonsense_arg[] = {"INTEGRAL"};
const spate_sql_function bad_type_name = {.abi = SPATE_SQL_FUNCTION_ABI,
                                          .nargs = 1,
                                          .arg_types = nonsense_arg,
                                          .result_type = "INT",
                                          .eval = fail_eval};

/*
 * test_sql_program_fast.c: the specialized calc programs (sqlp_specialize, sql_program_fast.c)
 * against the instructions they replace. Each projection list is compiled once and decoded
 * twice, specialized (sqlp_decode) and as the bytes have it (sqlp_decode_generic); both are
 * evaluated over the same rows (NULLs, zero divisors, the integer types' extremes, instants
 * beyond TO_TIMESTAMP_LTZ's range) and must agree on every outcome: the same output bytes, the
 * same dropped rows, the same failures with the same messages. The shapes the specializer
 * exists for must also really be specialized: column loads, integer arithmetic and casts,
 * TO_TIMESTAMP_LTZ of an integer, TIMESTAMP_LTZ to TIMESTAMP, slot stores and copies, and the
 * constants gone from the instruction list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "operators/sql_program.h"
#include "sql/sql_compile.h"
#include "sql/sql_parser.h"
#include "sql/sql_row_schema.h"
#include "sql/sql_validate.h"

static const char *const columns[][2] = {
    {"b", "BIGINT NOT NULL"}, {"bn", "BIGINT"},  {"i", "INT NOT NULL"}, {"n", "INT"},
    {"t", "TINYINT"},         {"s", "SMALLINT"}, {"z", "BOOLEAN"},      {"ltz", "TIMESTAMP_LTZ(3)"},
    {"ts", "TIMESTAMP(3)"},   {"str", "STRING"}, {"dt", "DATE"},
};
#define NCOLS ((int)(sizeof columns / sizeof columns[0]))

typedef struct fixture {
  sql_arena arena;
  sql_scope_column cols[NCOLS];
  sql_scope scope;
  sql_ast *types[NCOLS];
  spate_schema *in;
} fixture;

static fixture fx;

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static int setup(void **state) {
  (void)state;
  const char *names[NCOLS];
  const sql_type *types[NCOLS];
  for (int i = 0; i < NCOLS; i++) {
    char err[512];
    assert_int_equal(sql_parse_type(columns[i][1], strlen(columns[i][1]), (sql_pos){0, 0},
                                    &fx.types[i], err, sizeof err),
                     0);
    sql_type *t;
    assert_int_equal(sql_type_resolve(fx.types[i]->root, &fx.arena, &t, err, sizeof err), 0);
    fx.cols[i].name = columns[i][0];
    fx.cols[i].type = t;
    names[i] = columns[i][0];
    types[i] = t;
  }
  fx.scope.cols = fx.cols;
  fx.scope.ncols = NCOLS;
  char err[512];
  assert_int_equal(sql_row_schema(names, types, NCOLS, false, &fx.in, err, sizeof err), 0);
  assert_false(fx.in->fields[0].nullable);
  assert_true(fx.in->fields[1].nullable);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (int i = 0; i < NCOLS; i++) sql_ast_free(fx.types[i]);
  schema_unref(fx.in);
  sql_arena_free(&fx.arena);
  return 0;
}

/* An integer that is often an edge: 0, 1, -1, the extremes of the widths, or anything. */
static int64_t edgy(void) {
  static const int64_t edges[] = {0,         1,         -1,        2,         1000,
                                  INT8_MIN,  INT8_MAX,  INT16_MIN, INT16_MAX, INT32_MIN,
                                  INT32_MAX, INT64_MIN, INT64_MAX, -1000,     8200000000000000};
  uint64_t r = rnd();
  if (r % 3 == 0) return edges[(r >> 8) % (sizeof edges / sizeof edges[0])];
  if (r % 3 == 1) return (int64_t)(rnd() % 2000001) - 1000000;
  return (int64_t)rnd();
}

/* A row of fx.in: every nullable field NULL one time in five. */
static void random_row(spate_row_builder *b, spate_row *out) {
  spate_rb_begin(b);
  spate_rb_set_bigint(b, 0, edgy());
  if (rnd() % 5) spate_rb_set_bigint(b, 1, edgy());
  spate_rb_set_int(b, 2, (int32_t)edgy());
  if (rnd() % 5) spate_rb_set_int(b, 3, (int32_t)edgy());
  if (rnd() % 5) spate_rb_set_tinyint(b, 4, (int8_t)edgy());
  if (rnd() % 5) spate_rb_set_smallint(b, 5, (int16_t)edgy());
  if (rnd() % 5) spate_rb_set_bool(b, 6, rnd() & 1);
  if (rnd() % 5) spate_rb_set_timestamp(b, 7, (int64_t)(rnd() % 4000000000000ull));
  if (rnd() % 5) spate_rb_set_timestamp(b, 8, (int64_t)(rnd() % 4000000000000ull) - 100000);
  if (rnd() % 5) spate_rb_set_string(b, 9, "abc", (uint32_t)(rnd() % 4));
  if (rnd() % 5) spate_rb_set_date(b, 10, (int32_t)(rnd() % 40000));
  assert_int_equal(spate_rb_finish(b, out), 0);
}

typedef struct compiled {
  sqlp_program *fast, *generic;
  spate_schema *out;
  sql_ast *asts[24];
  int n;
} compiled;

/* Compiles the projections (and filter, may be NULL) and decodes them both ways. */
static void compile(const char *filter, const char *const *projs, int n, const char *tz,
                    compiled *c) {
  memset(c, 0, sizeof *c);
  sql_expr *e[24], *fe = NULL;
  const char *names[24];
  char perr[512], nm[24][16];
  assert_true(n < 24);
  for (int k = 0; k <= n; k++) {
    const char *text = k < n ? projs[k] : filter;
    if (!text) continue;
    sql_ast *ast;
    if (sql_parse_expression(text, strlen(text), (sql_pos){0, 0}, &ast, perr, sizeof perr))
      fail_msg("%s: %s", text, perr);
    c->asts[c->n++] = ast;
    sql_verror err;
    sql_expr *x;
    if (sql_validate_expr(ast->root, &fx.scope, &ast->arena, &x, &err))
      fail_msg("%s: %s", text, err.msg);
    if (k < n) {
      e[k] = x;
      snprintf(nm[k], sizeof nm[k], "c%d", k);
      names[k] = nm[k];
    } else {
      fe = x;
    }
  }
  uint8_t *prog;
  size_t len;
  sql_verror err;
  if (sql_compile_calc(fx.in, false, tz, fe, e, names, n, &prog, &len, &c->out, &err))
    fail_msg("compile: %s", err.msg);
  char derr[512];
  assert_int_equal(sqlp_decode(prog, len, &c->fast, derr, sizeof derr), 0);
  assert_int_equal(sqlp_decode_generic(prog, len, &c->generic, derr, sizeof derr), 0);
  sp_free(prog);
}

static void release(compiled *c) {
  sqlp_free(c->fast);
  sqlp_free(c->generic);
  schema_unref(c->out);
  for (int k = 0; k < c->n; k++) sql_ast_free(c->asts[k]);
}

/* How many instructions of op the program has. */
static int count_op(const sqlp_program *p, int op) {
  int n = 0;
  for (uint32_t k = 0; k < p->nins; k++) n += p->ins[k].op == op;
  return n;
}

/* Evaluates both programs over rows random rows; every outcome must be the same. */
static void agree(compiled *c, int rows) {
  spate_row_builder *ib = spate_rb_new(fx.in), *fb = spate_rb_new(c->out),
                    *gb = spate_rb_new(c->out);
  int passed = 0, failed = 0;
  for (int k = 0; k < rows; k++) {
    spate_row row, fr, gr;
    random_row(ib, &row);
    int rf = sqlp_eval(c->fast, &row, 0, fb), rg = sqlp_eval(c->generic, &row, 0, gb);
    assert_int_equal(rf, rg);
    if (rf < 0) {
      assert_string_equal(c->fast->err, c->generic->err);
      failed++;
      continue;
    }
    if (rf == 0) continue;
    int ff = spate_rb_finish(fb, &fr), fg = spate_rb_finish(gb, &gr);
    assert_int_equal(ff, fg);
    if (ff < 0) {
      assert_string_equal(spate_rb_error(fb), spate_rb_error(gb));
      failed++;
      continue;
    }
    assert_int_equal(fr.len, gr.len);
    assert_memory_equal(fr.data, gr.data, fr.len);
    passed++;
  }
  assert_true(passed > 0);
  (void)failed;
  spate_rb_free(ib);
  spate_rb_free(fb);
  spate_rb_free(gb);
}

/* The computed columns of the sql-window benchmark's table, and its projection. */
static void benchmark_shapes(void **state) {
  (void)state;
  static const char *const projs[] = {"b", "b % 10000", "b * 7 % 2001 - 1000",
                                      "CAST(TO_TIMESTAMP_LTZ(b / 1000, 3) AS TIMESTAMP(3))"};
  compiled c;
  compile(NULL, projs, 4, "UTC", &c);
  /* every instruction specialized, the constants loaded once */
  assert_int_equal(count_op(c.fast, SQLP_CONST), 0);
  assert_true(count_op(c.generic, SQLP_CONST) >= 4);
  /* ... and so are the constants' casts to BIGINT (the literals are INT), dropped too, and the
   * two narrowing casts after MOD fused into it */
  assert_int_equal(c.fast->nins + (uint32_t)count_op(c.generic, SQLP_CONST) + 4 + 2,
                   c.generic->nins);
  for (uint32_t k = 0; k < c.fast->nins; k++) assert_true(c.fast->ins[k].op >= SQLP_X_LOAD_SLOT);
  assert_true(count_op(c.fast, SQLP_X_IARITH) >= 4);
  assert_int_equal(count_op(c.fast, SQLP_X_ICAST), 0);
  assert_int_equal(count_op(c.fast, SQLP_X_TO_LTZ), 1);
  assert_int_equal(count_op(c.fast, SQLP_X_LTZ_TO_TS), 1);
  assert_int_equal(count_op(c.fast, SQLP_X_COPY_SLOT), 1);
  assert_int_equal(count_op(c.fast, SQLP_X_OUT_SLOT), 3);
  assert_int_equal(c.fast->nreset, 0); /* no jumps: every register written before it is read */
  agree(&c, 3000);
  /* one known row: id 1234567 */
  spate_row_builder *ib = spate_rb_new(fx.in), *ob = spate_rb_new(c.out);
  spate_rb_begin(ib);
  spate_rb_set_bigint(ib, 0, 1234567);
  spate_rb_set_int(ib, 2, 0);
  spate_row row, out;
  assert_int_equal(spate_rb_finish(ib, &row), 0);
  assert_int_equal(sqlp_eval(c.fast, &row, 0, ob), 1);
  assert_int_equal(spate_rb_finish(ob, &out), 0);
  assert_int_equal(spate_row_bigint(&out, 0), 1234567);
  assert_int_equal(spate_row_int(&out, 1), 4567);
  assert_int_equal(spate_row_int(&out, 2), 1234567 * 7 % 2001 - 1000);
  assert_int_equal(spate_row_timestamp(&out, 3), 1234);
  spate_rb_free(ib);
  spate_rb_free(ob);
  release(&c);
}

/* NULLs, division by zero, wrapping at every width, casts that narrow, out-of-range instants,
 * a zone with an offset. */
static void edges(void **state) {
  (void)state;
  static const char *const projs[] = {"bn + b",
                                      "n / i",
                                      "i % n",
                                      "CAST(t * t AS TINYINT)",
                                      "s - CAST(1 AS SMALLINT)",
                                      "CAST(bn AS TINYINT)",
                                      "CAST(b AS INT)",
                                      "TO_TIMESTAMP_LTZ(bn, 0)",
                                      "TO_TIMESTAMP_LTZ(b, 3)",
                                      "CAST(ltz AS TIMESTAMP(3))",
                                      "z",
                                      "ts",
                                      "ltz",
                                      "dt",
                                      "str",
                                      "CAST(i + n AS BIGINT)",
                                      "CAST(bn * b AS SMALLINT)"};
  compiled c;
  compile(NULL, projs, 17, "+05:30", &c);
  assert_true(count_op(c.fast, SQLP_X_ICAST) >= 3); /* widening casts are never fused */
  assert_true(count_op(c.fast, SQLP_X_IARITH) >= 4);
  assert_true(count_op(c.fast, SQLP_X_TO_LTZ) == 2);
  assert_true(count_op(c.fast, SQLP_X_LTZ_TO_TS) == 1);
  assert_true(count_op(c.fast, SQLP_X_COPY_SLOT) >= 3); /* z, ts, ltz; dt too */
  assert_true(count_op(c.fast, SQLP_COPY) == 1);        /* str: variable width */
  agree(&c, 5000);
  release(&c);
}

/* Jumps: constants inside branches stay instructions (a jump may pass them), the jumps land where
 * they did; a filter in front. */
static void branches(void **state) {
  (void)state;
  static const char *const projs[] = {"CASE WHEN z THEN 5 ELSE bn END", "COALESCE(n, 7) + 1",
                                      "IF(bn > 0, b % 3, b / 3)", "i * 2"};
  compiled c;
  compile("bn IS NULL OR bn % 2 = 0", projs, 4, "UTC", &c);
  bool jumps = false;
  for (uint32_t k = 0; k < c.fast->nins; k++) {
    int op = c.fast->ins[k].op;
    if (op == SQLP_JUMP || op == SQLP_JUMP_NOT_NULL || op == SQLP_JUMP_TRUE ||
        op == SQLP_JUMP_NOT_TRUE) {
      jumps = true;
      assert_true(c.fast->ins[k].imm > (int64_t)k && c.fast->ins[k].imm <= c.fast->nins);
    }
  }
  assert_true(jumps);
  assert_true(count_op(c.fast, SQLP_CONST) >= 1); /* a branch's constant */
  assert_true(c.fast->nreset > 0);                /* a branch's registers */
  agree(&c, 5000);
  release(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(benchmark_shapes),
      cmocka_unit_test(edges),
      cmocka_unit_test(branches),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

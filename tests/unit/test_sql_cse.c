/*
 * test_sql_cse.c: common sub-expressions in the expression compiler (sql_compile.c): an
 * expression computed on every path of a calc is computed once and its register reused by the
 * condition and every projection that has it again, while one computed only on some paths (the
 * right operand of AND, CASE's branches, COALESCE's later operands) is computed again where it
 * recurs on every path, and RAND each time it appears. Each case is compiled, its instructions
 * counted, and evaluated over a row.
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
#include "sql/sql_types.h"
#include "sql/sql_validate.h"
#include "types/row.h"

#include "harness.h"

#define NCOLS 3

typedef struct fixture {
  sql_arena arena;
  sql_scope_column cols[NCOLS];
  sql_scope scope;
  sql_ast *types[NCOLS];
  spate_schema *in;
  spate_row row;
  spate_row_builder *rb;
  sql_ast *asts[8];
  int nasts;
} fixture;

static const char *const columns[NCOLS][2] = {{"i", "INT"}, {"s", "STRING"}, {"sn", "STRING"}};

static void setup(fixture *f) {
  memset(f, 0, sizeof *f);
  const char *names[NCOLS];
  const sql_type *types[NCOLS];
  char err[512];
  for (int i = 0; i < NCOLS; i++) {
    assert_int_equal(sql_parse_type(columns[i][1], strlen(columns[i][1]), (sql_pos){0, 0},
                                    &f->types[i], err, sizeof err),
                     0);
    sql_type *t;
    assert_int_equal(sql_type_resolve(f->types[i]->root, &f->arena, &t, err, sizeof err), 0);
    f->cols[i] = (sql_scope_column){columns[i][0], t, NULL};
    names[i] = columns[i][0];
    types[i] = t;
  }
  f->scope = (sql_scope){f->cols, NCOLS, NULL};
  assert_int_equal(sql_row_schema(names, types, NCOLS, false, &f->in, err, sizeof err), 0);
  f->rb = spate_rb_new(f->in);
  spate_rb_begin(f->rb);
  spate_rb_set_int(f->rb, 0, 3);
  spate_rb_set_string(f->rb, 1, "hello", 5);
  spate_rb_set_string(f->rb, 2, "x", 1);
  assert_int_equal(spate_rb_finish(f->rb, &f->row), 0);
}

static void teardown(fixture *f) {
  for (int i = 0; i < NCOLS; i++) sql_ast_free(f->types[i]);
  for (int i = 0; i < f->nasts; i++) sql_ast_free(f->asts[i]);
  spate_rb_free(f->rb);
  schema_unref(f->in);
  sql_arena_free(&f->arena);
}

static sql_expr *expr(fixture *f, const char *text) {
  char perr[512];
  sql_ast **ast = &f->asts[f->nasts++];
  assert_int_equal(
      sql_parse_expression(text, strlen(text), (sql_pos){0, 0}, ast, perr, sizeof perr), 0);
  sql_expr *e;
  sql_verror err;
  if (sql_validate_expr((*ast)->root, &f->scope, &(*ast)->arena, &e, &err))
    fail_msg("%s: %s", text, err.msg);
  return e;
}

/* Compiles the filter (may be NULL) and projections, counts the instructions of op (and, for
 * SQLP_CALL, of function fn), and evaluates the calc over the fixture's row into out (printed
 * as "(v1,v2,...)"). */
static int compile_count(fixture *f, const char *filter, const char *const *projs, int n, int op,
                         int fn, char *out, size_t cap) {
  sql_expr *fe = filter ? expr(f, filter) : NULL;
  sql_expr *pe[8];
  const char *names[8] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"};
  for (int i = 0; i < n; i++) pe[i] = expr(f, projs[i]);
  uint8_t *prog;
  size_t len;
  spate_schema *os;
  sql_verror err;
  if (sql_compile_calc(f->in, false, NULL, fe, pe, names, n, &prog, &len, &os, &err))
    fail_msg("compile: %s", err.msg);
  sqlp_program *p;
  char derr[256];
  /* the compiled instructions, as the bytes have them (sqlp_decode would specialize them) */
  assert_int_equal(sqlp_decode_generic(prog, len, &p, derr, sizeof derr), 0);
  int count = 0;
  for (uint32_t k = 0; k < p->nins; k++)
    count += p->ins[k].op == op && (op != SQLP_CALL || (p->ins[k].imm & 0xffff) == fn);
  spate_row_builder *b = spate_rb_new(os);
  assert_int_equal(sqlp_eval(p, &f->row, 0, b), 1);
  spate_row r;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  sp_strbuf sb = {0};
  assert_int_equal(row_format(&sb, &r, os), 0);
  snprintf(out, cap, "%s", sb.data);
  sp_strbuf_free(&sb);
  spate_rb_free(b);
  sqlp_free(p);
  sp_free(prog);
  schema_unref(os);
  return count;
}

/* i * 2 + 1 in the condition and two projections: one multiplication, one addition, and the
 * + 10 of the second projection. */
static void shared_across_condition_and_projections(void **state) {
  fixture f;
  setup(&f);
  const char *projs[] = {"i * 2 + 1", "(i * 2 + 1) + 10", "UPPER(s)", "UPPER(s) || s"};
  char out[256];
  assert_int_equal(compile_count(&f, "i * 2 + 1 > 3", projs, 4, SQLP_ARITH, 0, out, sizeof out), 3);
  assert_string_equal(out, "(7,17,HELLO,HELLOhello)");
  teardown(&f);
  setup(&f);
  assert_int_equal(compile_count(&f, NULL, projs, 4, SQLP_CALL, SQLP_FN_UPPER, out, sizeof out), 1);
  teardown(&f);
}

/* UPPER(s) as COALESCE's second operand runs only when sn is NULL (not here): the projection
 * after it computes it again, and right (a reused register would hold nothing). The same for
 * the right operand of AND and a CASE branch. */
static void conditional_parts_not_reused(void **state) {
  fixture f;
  setup(&f);
  const char *projs[] = {"COALESCE(sn, UPPER(s))",
                         "UPPER(s)",
                         "i < 0 AND CHAR_LENGTH(s) > 2",
                         "CHAR_LENGTH(s)",
                         "CASE WHEN i > 5 THEN LOWER(sn) ELSE 'no' END",
                         "LOWER(sn)"};
  char out[256];
  assert_int_equal(compile_count(&f, NULL, projs, 6, SQLP_CALL, SQLP_FN_UPPER, out, sizeof out), 2);
  assert_string_equal(out, "(x,HELLO,false,5,no,x)");
  teardown(&f);
  /* computed first on every path, then reused inside the conditional part */
  setup(&f);
  const char *first[] = {"UPPER(s)", "COALESCE(sn, UPPER(s))"};
  assert_int_equal(compile_count(&f, NULL, first, 2, SQLP_CALL, SQLP_FN_UPPER, out, sizeof out), 1);
  assert_string_equal(out, "(HELLO,x)");
  teardown(&f);
}

/* RAND() twice is two draws. */
static void rand_not_shared(void **state) {
  fixture f;
  setup(&f);
  const char *projs[] = {"RAND()", "RAND()"};
  char out[256];
  assert_int_equal(compile_count(&f, NULL, projs, 2, SQLP_CALL, SQLP_FN_RAND, out, sizeof out), 2);
  teardown(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shared_across_condition_and_projections),
      cmocka_unit_test(conditional_parts_not_reused),
      cmocka_unit_test(rand_not_shared),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

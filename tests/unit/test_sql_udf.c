/*
 * test_sql_udf.c: C user functions below the SQL client (sql/sql_udf.h, operators/
 * sql_eval_udf.c) with the test library build/tests/libspate_test_udfs.so
 * (tests/udf/test_functions.c): a descriptor loaded and its types parsed, refusals with their
 * messages, and a compiled calc program that calls functions, decoded, opened and evaluated
 * over rows: a string result copied out of the function's buffer (two calls in one row keep
 * their own), the buffer grown for a long result, a NULL for a NOT NULL argument that skips
 * eval, a call before open refused, and a descriptor whose types differ from the planned ones
 * refused at open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "operators/sql_program.h"
#include "sql/sql_compile.h"
#include "sql/sql_row_schema.h"
#include "sql/sql_udf.h"

static char lib[1024];

static int setup(void **state) {
  (void)state;
  const char *build = getenv("SPATE_BUILD_DIR");
  snprintf(lib, sizeof lib, "%s/tests/libspate_test_udfs.so", build ? build : "build");
  return 0;
}

static void loads_descriptor(void **state) {
  (void)state;
  sql_udf *u;
  char err[1024];
  assert_int_equal(sql_udf_load("hyp", lib, "hypot2", &u, err, sizeof err), 0);
  assert_int_equal(u->nargs, 2);
  assert_true(u->deterministic);
  assert_int_equal(u->arg_types[0]->kind, SQL_T_DOUBLE);
  assert_true(u->arg_types[1]->nullable);
  assert_int_equal(u->result_type->kind, SQL_T_DOUBLE);
  assert_false(u->result_type->nullable);
  assert_string_equal(u->symbol, "hypot2");
  assert_true(u->library[0] == '/');
  sql_udf_free(u);
  assert_int_equal(sql_udf_load("c", lib, "counter", &u, err, sizeof err), 0);
  assert_int_equal(u->nargs, 0);
  assert_false(u->deterministic);
  sql_udf_free(u);
}

static void refuses_descriptors(void **state) {
  (void)state;
  sql_udf *u = NULL;
  char err[1024], want[1200];
  assert_int_equal(sql_udf_load("f", lib, "bad_abi", &u, err, sizeof err), SPATE_EINVAL);
  assert_null(u);
  assert_non_null(strstr(err, "ABI version 99, Spate runs version 1"));
  assert_int_equal(sql_udf_load("f", lib, "bad_type_name", &u, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "the type of argument 1 'INTEGRAL' is not a SQL type"));
  assert_int_equal(sql_udf_load("f", lib, "nope", &u, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "has no symbol 'nope'"));
  assert_int_equal(sql_udf_load("f", "/nonexistent/x.so", "f", &u, err, sizeof err), SPATE_EINVAL);
  snprintf(want, sizeof want,
           "Function 'f': cannot load the library '/nonexistent/x.so': No such file or directory");
  assert_string_equal(err, want);
  assert_int_equal(sql_udf_load("f", NULL, "f", &u, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "needs its library"));
}

/* One column s STRING (and n INT), the calc of projections over it. */
typedef struct calc {
  sql_arena arena;
  spate_schema *in, *out;
  sqlp_program *p;
  spate_row_builder *inb, *outb;
} calc;

static sql_expr *column(calc *c, int i, sql_type_kind kind) {
  sql_type *t = sql_arena_alloc(&c->arena, sizeof *t);
  t->kind = kind;
  t->nullable = true;
  t->length = SQL_MAX_LENGTH;
  sql_expr *e = sql_arena_alloc(&c->arena, sizeof *e);
  e->kind = SQL_E_COLUMN;
  e->type = t;
  e->u.column = i;
  return e;
}

static sql_expr *call(calc *c, const sql_udf *u, sql_expr *a, sql_expr *b) {
  sql_expr *e = sql_arena_alloc(&c->arena, sizeof *e);
  e->kind = SQL_E_CALL;
  e->type = sql_type_with_nullable(u->result_type, true, &c->arena);
  e->u.call.fn = SQL_FN_UDF;
  e->u.call.udf = u;
  e->u.call.nargs = b ? 2 : 1;
  e->u.call.args = sql_arena_alloc(&c->arena, 2 * sizeof(sql_expr *));
  e->u.call.args[0] = a;
  e->u.call.args[1] = b;
  return e;
}

/* n projections, at most 4. */
static void calc_build(calc *c, sql_expr **projs, int n) {
  const char *names[] = {"s", "n"};
  const sql_type *types[] = {column(c, 0, SQL_T_VARCHAR)->type, column(c, 1, SQL_T_INT)->type};
  char err[256];
  assert_int_equal(sql_row_schema(names, types, 2, false, &c->in, err, sizeof err), 0);
  const char *pn[] = {"a", "b", "c", "d"};
  uint8_t *prog;
  size_t len;
  sql_verror verr;
  int rc = sql_compile_calc(c->in, false, "UTC", NULL, projs, pn, n, &prog, &len, &c->out, &verr);
  if (rc) fail_msg("%s", verr.msg);
  assert_int_equal(sqlp_decode(prog, len, &c->p, err, sizeof err), 0);
  sp_free(prog);
  c->inb = spate_rb_new(c->in);
  c->outb = spate_rb_new(c->out);
}

/* Evaluates over (s, n) (s NULL when NULL, n < 0 NULL); the output row in *r. */
static int calc_eval(calc *c, const char *s, int n, spate_row *r) {
  spate_rb_begin(c->inb);
  if (s)
    spate_rb_set_string(c->inb, 0, s, strlen(s));
  else
    spate_rb_set_null(c->inb, 0);
  if (n >= 0)
    spate_rb_set_int(c->inb, 1, n);
  else
    spate_rb_set_null(c->inb, 1);
  spate_row in;
  assert_int_equal(spate_rb_finish(c->inb, &in), 0);
  int rc = sqlp_eval(c->p, &in, 0, c->outb);
  if (rc == 1) assert_int_equal(spate_rb_finish(c->outb, r), 0);
  return rc;
}

static void calc_free(calc *c) {
  sqlp_free(c->p);
  spate_rb_free(c->inb);
  spate_rb_free(c->outb);
  schema_unref(c->in);
  schema_unref(c->out);
  sql_arena_free(&c->arena);
}

static void assert_str(const spate_row *r, int i, const char *want) {
  spate_bytes b = spate_row_string(r, i);
  assert_int_equal(b.len, strlen(want));
  assert_memory_equal(b.ptr, want, b.len);
}

static void program_calls(void **state) {
  (void)state;
  char err[1024];
  sql_udf *shout, *rep, *neg;
  assert_int_equal(sql_udf_load("shout", lib, "shout", &shout, err, sizeof err), 0);
  assert_int_equal(sql_udf_load("rep", lib, "repeat_text", &rep, err, sizeof err), 0);
  assert_int_equal(sql_udf_load("neg", lib, "strict_negate", &neg, err, sizeof err), 0);
  calc c = {0};
  sql_expr *s = column(&c, 0, SQL_T_VARCHAR), *n = column(&c, 1, SQL_T_INT);
  /* shout(s), shout(shout(s)), rep(s, n), neg(n) */
  sql_expr *projs[4] = {call(&c, shout, s, NULL), call(&c, shout, call(&c, shout, s, NULL), NULL),
                        call(&c, rep, s, n), call(&c, neg, n, NULL)};
  calc_build(&c, projs, 4);
  spate_row r;
  assert_int_equal(calc_eval(&c, "ab", 2, &r), SPATE_ESTATE); /* not opened */
  assert_string_equal(c.p->err, "Function 'shout' is called before it was opened");
  assert_int_equal(sqlp_open_udfs(c.p, 0, 1, NULL, NULL), 0);
  assert_int_equal(calc_eval(&c, "ab", 2, &r), 1);
  assert_str(&r, 0, "AB!");
  assert_str(&r, 1, "AB!!");
  assert_str(&r, 2, "abab");
  assert_int_equal(spate_row_int(&r, 3), -2);
  /* 1,000 bytes: more than the first buffer (256), which grows */
  assert_int_equal(calc_eval(&c, "xy", 500, &r), 1);
  assert_int_equal(spate_row_string(&r, 2).len, 1000);
  assert_true(c.p->udfs[1].cap >= 1000);
  /* NULL for strict_negate's INT NOT NULL: NULL without eval (which would fail) */
  assert_int_equal(calc_eval(&c, NULL, -1, &r), 1);
  assert_true(spate_row_is_null(&r, 0));
  assert_true(spate_row_is_null(&r, 3));
  calc_free(&c);
  sql_udf_free(shout);
  sql_udf_free(rep);
  sql_udf_free(neg);
}

/* A library whose descriptor no longer has the planned types is refused where the job runs. */
static void changed_descriptor(void **state) {
  (void)state;
  char err[1024];
  sql_udf *shout;
  assert_int_equal(sql_udf_load("shout", lib, "shout", &shout, err, sizeof err), 0);
  static const char *const planned_args[] = {"VARCHAR(10)"};
  spate_sql_function planned = *shout->def;
  planned.arg_types = planned_args;
  const spate_sql_function *real = shout->def;
  shout->def = &planned; /* as if planned against another build of the library */
  calc c = {0};
  sql_expr *projs[1] = {call(&c, shout, column(&c, 0, SQL_T_VARCHAR), NULL)};
  calc_build(&c, projs, 1);
  shout->def = real;
  assert_int_equal(sqlp_open_udfs(c.p, 0, 1, NULL, NULL), SPATE_EINVAL);
  assert_non_null(strstr(c.p->err, "is not the one the query was planned with"));
  calc_free(&c);
  sql_udf_free(shout);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(loads_descriptor),
      cmocka_unit_test(refuses_descriptors),
      cmocka_unit_test(program_calls),
      cmocka_unit_test(changed_descriptor),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

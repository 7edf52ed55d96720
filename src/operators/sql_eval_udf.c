/*
 * sql_eval_udf.c: C user functions in calc programs (include/spate/sql_function.h,
 * sql_program.h's SQLP_UDF): loading them when the operator opens and calling them per row.
 *
 * Opening happens once per subtask: dlopen of the library at the absolute path the planner
 * recorded (on a cluster, where the client shipped it as the job's artifact: the task's copy of
 * it; RTLD_NOW, so a missing dependency fails here rather than on some row), dlsym of the
 * descriptor, and a check that its ABI version and type strings are those the query was planned
 * with: a library rebuilt with other types since would otherwise read registers of one kind as
 * another. A row's call copies the argument registers into the program's one argument array
 * (nested calls are evaluated before, never during, a call), calls eval with the function's
 * result buffer, grows that buffer and calls again when eval asks for more room, and copies a
 * string result into the row's scratch, so that two calls of one function in a row keep their
 * own results. Nothing is allocated per row once the buffer has reached its size.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "operators/sql_program.h"

static int open_one(sqlp_program *p, sqlp_udf *u, int subtask_index, int parallelism, void *dl,
                    const char *artifact) {
  void *h = dl; /* the job's artifact: the task's handle, not ours to close */
  if (!(dl && artifact && strcmp(artifact, u->library) == 0)) {
    h = u->handle = dlopen(u->library, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char *why = dlerror();
      return sqlp_eval_fail(p, SPATE_EINVAL, "Function '%s': cannot load the library '%s': %s",
                            u->name, u->library, why ? why : "dlopen failed");
    }
  }
  u->def = dlsym(h, u->symbol);
  if (!u->def)
    return sqlp_eval_fail(p, SPATE_EINVAL, "Function '%s': the library '%s' has no symbol '%s'",
                          u->name, u->library, u->symbol);
  const spate_sql_function *d = u->def;
  bool same = d->abi == SPATE_SQL_FUNCTION_ABI && d->nargs == u->nargs && d->eval &&
              (d->nargs == 0 || d->arg_types) && d->result_type &&
              strcmp(d->result_type, u->types[u->nargs]) == 0;
  for (int j = 0; same && j < u->nargs; j++)
    same = d->arg_types[j] && strcmp(d->arg_types[j], u->types[j]) == 0;
  if (!same)
    return sqlp_eval_fail(p, SPATE_EINVAL,
                          "Function '%s': the descriptor '%s' in '%s' is not the one the query was "
                          "planned with (its ABI version, arguments or types changed)",
                          u->name, u->symbol, u->library);
  memset(&u->ctx, 0, sizeof u->ctx);
  u->ctx.name = u->name;
  u->ctx.subtask_index = subtask_index;
  u->ctx.parallelism = parallelism;
  if (d->open && d->open(&u->ctx) != 0)
    return sqlp_eval_fail(p, SPATE_EUDF, "Function '%s' could not be opened: %s", u->name,
                          u->ctx.error[0] ? u->ctx.error : "open failed");
  u->opened = true;
  u->cap = 256;
  u->buf = sp_malloc(u->cap);
  if (!u->buf) return sqlp_eval_fail(p, SPATE_ENOMEM, "Function '%s': out of memory", u->name);
  return 0;
}

int sqlp_open_udfs(sqlp_program *p, int subtask_index, int parallelism, void *dl,
                   const char *artifact) {
  for (uint32_t k = 0; k < p->nudfs; k++) {
    int rc = open_one(p, &p->udfs[k], subtask_index, parallelism, dl, artifact);
    if (rc) return rc;
  }
  return 0;
}

void sqlp_close_udfs(sqlp_program *p) {
  for (uint32_t k = 0; k < p->nudfs; k++) {
    sqlp_udf *u = &p->udfs[k];
    if (u->opened && u->def->close) u->def->close(&u->ctx);
    u->opened = false;
    if (u->handle) dlclose(u->handle);
    u->handle = NULL;
    u->def = NULL;
  }
}

static void to_arg(const sqlp_reg *r, const sqlp_val *v, spate_sql_value *a) {
  memset(a, 0, sizeof *a);
  if ((a->is_null = v->null)) return;
  switch (r->kind) {
  case SQLP_BOOL: a->b = v->i != 0; break;
  case SQLP_F32:
  case SQLP_F64: a->d = v->d; break;
  case SQLP_STR:
  case SQLP_BIN:
    a->str = (const char *)v->p;
    a->len = v->len;
    break;
  case SQLP_TS:
  case SQLP_TS_LTZ:
    a->i = v->i;
    a->nanos = v->nanos;
    break;
  default: a->i = v->i; break;
  }
}

static bool int_fits(int kind, int64_t i) {
  switch (kind) {
  case SQLP_I8: return i >= INT8_MIN && i <= INT8_MAX;
  case SQLP_I16: return i >= INT16_MIN && i <= INT16_MAX;
  case SQLP_I32: return i >= INT32_MIN && i <= INT32_MAX;
  default: return true;
  }
}

/* The result of u's eval into dst (of register type R); 0 or an error with the message. */
static int from_result(sqlp_program *p, const sqlp_udf *u, const sqlp_reg *R,
                       const spate_sql_result *res, sqlp_val *dst) {
  if (res->is_null) {
    if (u->not_null & (1u << 31))
      return sqlp_eval_fail(p, SPATE_EUDF, "Function '%s' failed: NULL for its result type %s",
                            u->name, u->types[u->nargs]);
    dst->null = true;
    return 0;
  }
  dst->null = false;
  switch (R->kind) {
  case SQLP_BOOL: dst->i = res->b; break;
  case SQLP_F32: dst->d = (float)res->d; break;
  case SQLP_F64: dst->d = res->d; break;
  case SQLP_STR:
  case SQLP_BIN: {
    const char *src = res->str ? res->str : res->buf;
    if (res->len > UINT32_MAX / 2)
      return sqlp_eval_fail(p, SPATE_EUDF, "Function '%s' failed: a result of %zu bytes", u->name,
                            res->len);
    uint8_t *s = sqlp_scratch(p, res->len ? res->len : 1);
    if (!s) return SPATE_ENOMEM;
    if (res->len) memcpy(s, src, res->len);
    dst->p = s;
    dst->len = (uint32_t)res->len;
    break;
  }
  case SQLP_TS:
  case SQLP_TS_LTZ:
    if (res->nanos < 0 || res->nanos > 999999 || res->i > SQLP_TS_BOUND_MS ||
        res->i < -SQLP_TS_BOUND_MS)
      return sqlp_eval_fail(p, SPATE_EUDF, "Function '%s' failed: a TIMESTAMP out of range",
                            u->name);
    dst->i = res->i;
    dst->nanos = res->nanos;
    break;
  case SQLP_DATE:
    if (res->i > SQLP_DATE_BOUND || res->i < -SQLP_DATE_BOUND)
      return sqlp_eval_fail(p, SPATE_EUDF, "Function '%s' failed: a DATE out of range", u->name);
    dst->i = res->i;
    break;
  case SQLP_TIME:
    if (res->i < 0 || res->i >= 86400000)
      return sqlp_eval_fail(p, SPATE_EUDF, "Function '%s' failed: a TIME out of range", u->name);
    dst->i = res->i;
    break;
  default:
    if (!int_fits(R->kind, res->i))
      return sqlp_eval_fail(p, SPATE_EUDF, "Function '%s' failed: %lld is out of the range of %s",
                            u->name, (long long)res->i, u->types[u->nargs]);
    dst->i = res->i;
    break;
  }
  return 0;
}

int sqlp_call_udf(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst) {
  sqlp_udf *u = &p->udfs[in->imm];
  if (!u->opened)
    return sqlp_eval_fail(p, SPATE_ESTATE, "Function '%s' is called before it was opened", u->name);
  for (uint32_t j = 0; j < in->b; j++) {
    const sqlp_val *v = &p->vals[in->a + j];
    if (v->null && (u->not_null & (1u << j))) { /* NULL for a NOT NULL argument: NULL */
      dst->null = true;
      return 0;
    }
    to_arg(&p->regs[in->a + j], v, &p->udf_args[j]);
  }
  spate_sql_result res;
  for (int attempt = 0;; attempt++) {
    memset(&res, 0, sizeof res);
    res.buf = u->buf;
    res.cap = u->cap;
    u->ctx.error[0] = 0;
    if (u->def->eval(&u->ctx, p->udf_args, &res) != 0)
      return sqlp_eval_fail(p, SPATE_EUDF, "Function '%s' failed: %s", u->name,
                            u->ctx.error[0] ? u->ctx.error : "eval returned an error");
    if (res.is_null || res.str || res.len <= u->cap) break;
    bool bytes = p->regs[in->dst].kind == SQLP_STR || p->regs[in->dst].kind == SQLP_BIN;
    if (!bytes) break;
    if (attempt > 0 || res.len > UINT32_MAX / 2)
      return sqlp_eval_fail(p, SPATE_EUDF,
                            "Function '%s' failed: it asked for %zu bytes of result buffer again",
                            u->name, res.len);
    char *nb = sp_realloc(u->buf, res.len);
    if (!nb) return sqlp_eval_fail(p, SPATE_ENOMEM, "Function '%s': out of memory", u->name);
    u->buf = nb;
    u->cap = res.len;
  }
  return from_result(p, u, &p->regs[in->dst], &res, dst);
}

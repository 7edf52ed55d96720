/*
 * sql_calc_operator.c: OP_SQL_CALC, Flink's Calc of a SQL query: a filter and projections
 * compiled once by the planner (sql/sql_compile.h) into a program (sql_program.h) that travels
 * as the node's parameter. open decodes and checks the program against the node's input and
 * output schemas; each record is evaluated in place and, when it passes the filter, the
 * projected row is emitted with the record's timestamp. Evaluation errors (a failing CAST, an
 * integer division by zero) fail the task with the program's message.
 *
 * With several programs the node is Flink's Expand (grouping sets): each record goes through
 * every program in turn, so one record becomes one row per program, in the programs' order.
 *
 * The processing-time functions (CURRENT_TIMESTAMP, NOW, ...) read the task's processing-time
 * service (op_now), once per record, and only in programs that call one.
 *
 * C user functions the program calls are loaded here, at open, from the library path the
 * program names, or from the job's artifact when that is their library (a job the SQL client
 * shipped to a cluster with it: sql_eval_udf.c), opened with this subtask's index, and closed
 * when the operator closes (sqlp_free).
 */
#include "base/alloc.h"
#include "base/err.h"
#include "graph/op_params.h"
#include "operators/registry.h"
#include "operators/sql_program.h"

typedef struct calc {
  uint32_t n;
  sqlp_program **progs;
} calc;

static void calc_free(calc *c) {
  if (!c) return;
  for (uint32_t i = 0; i < c->n; i++) sqlp_free(c->progs[i]);
  sp_free(c->progs);
  sp_free(c);
}

static int calc_open(op_t *op) {
  op_sql_calc_params prm;
  char err[SP_ERRMSG_MAX];
  int rc = op_sql_calc_params_load(op->node, &prm, err, sizeof err);
  if (rc) return op_fail(op, rc, "%s", err);
  calc *c = sp_calloc(1, sizeof *c);
  if (c) c->progs = sp_calloc(prm.program.n ? prm.program.n : 1, sizeof *c->progs);
  if (!c || !c->progs)
    rc = op_fail(op, SPATE_ENOMEM, "SQL calc: out of memory");
  else if (prm.program.n < 1)
    rc = op_fail(op, SPATE_ECORRUPT, "SQL calc: no program in the parameters");
  for (uint32_t i = 0; !rc && i < prm.program.n; i++) {
    sqlp_program *p = NULL;
    if ((rc = sqlp_decode(prm.program.v[i].data, prm.program.v[i].len, &p, err, sizeof err))) {
      rc = op_fail(op, rc, "%s", err);
      break;
    }
    c->progs[c->n++] = p;
    if ((rc = sqlp_open_udfs(p, op->ctx.subtask, op->ctx.parallelism, op->dl, op->artifact))) {
      rc = op_fail(op, rc, "%s", p->err);
      break;
    }
    if (!op->in_schema || !schema_equal(p->input, op->in_schema))
      rc = op_fail(op, SPATE_EINVAL,
                   "SQL calc: the program's input schema differs from the input's");
    else if (!op->node->out_schema || !schema_equal(p->output, op->node->out_schema))
      rc = op_fail(op, SPATE_EINVAL,
                   "SQL calc: the program's output schema differs from the node's");
  }
  op_sql_calc_params_free(&prm);
  if (rc) {
    calc_free(c);
    return rc;
  }
  op->impl = c;
  return 0;
}

static int calc_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  (void)input;
  calc *c = op->impl;
  for (uint32_t i = 0; i < c->n; i++) {
    sqlp_program *p = c->progs[i];
    int rc = sqlp_eval(p, row, p->reads_clock ? op_now(op) : 0, &op->rb);
    if (rc < 0) return op_fail(op, rc, "%s", p->err);
    if (rc && (rc = op_emit_built(op, ts, "SQL calc")) < 0) return rc;
  }
  return 0;
}

static void calc_close(op_t *op) {
  calc_free(op->impl);
  op->impl = NULL;
}

const op_vtable op_sql_calc_vt = {.open = calc_open, .process = calc_process, .close = calc_close};

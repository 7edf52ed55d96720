/*
 * sql_rel_format.c: EXPLAIN's text, in the layout of Flink's TableEnvironment.explainSql: the
 * abstract syntax tree as Calcite's logical operators (LogicalProject, LogicalFilter,
 * LogicalAggregate, LogicalTableScan, ...) with RexNode expressions, then the optimized physical
 * plan and the execution plan as Flink's stream physical nodes (Calc, TableSourceScan,
 * GroupAggregate, WindowAggregate, Exchange, ...). Children are drawn as Calcite's RelTreeWriter
 * draws them: "+- " before the last input, ":- " before the others.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "sql/sql_rel.h"

typedef struct writer {
  sp_strbuf *out;
  int rc;
  bool one; /* the node's own line only, without its newline and inputs (operator names) */
} writer;

static void put(writer *w, const char *s) {
  if (!w->rc) w->rc = sp_strbuf_add(w->out, s);
}

static void putf(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(writer *w, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  put(w, buf);
}

static void expr(writer *w, const sql_expr *e, const sql_rel *in, sql_expr_style style) {
  if (!w->rc) w->rc = sql_expr_format(e, in ? in->names : NULL, style, w->out);
}

static void table_path(writer *w, const sql_table *t) {
  putf(w, "[%s, %s, %s]", SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE, t->name);
}

static void names_list(writer *w, const sql_rel *r) {
  for (int i = 0; i < r->ncols; i++) putf(w, "%s%s", i ? ", " : "", r->names[i]);
}

static const char *agg_name(sql_agg_kind k) {
  switch (k) {
  case SQL_AGG_COUNT_STAR:
  case SQL_AGG_COUNT: return "COUNT";
  case SQL_AGG_SUM: return "SUM";
  case SQL_AGG_MIN: return "MIN";
  case SQL_AGG_MAX: return "MAX";
  default: return "AVG";
  }
}

/* An aggregate call; in the physical and execution plans, over an updating input, with Flink's
 * _RETRACT suffix (the function retracts: RelExplainUtil's consumeRetraction). */
static void agg_call(writer *w, const sql_agg_call *a, const sql_rel *in, bool rex) {
  putf(w, "%s%s(%s", agg_name(a->kind), !rex && in->updating ? "_RETRACT" : "",
       a->distinct ? "DISTINCT " : "");
  if (a->kind == SQL_AGG_COUNT_STAR && !rex) put(w, "*");
  if (a->arg >= 0) {
    if (rex)
      putf(w, "$%d", a->arg);
    else
      put(w, in->names[a->arg]);
  }
  put(w, ")");
  if (a->filter >= 0) {
    if (rex)
      putf(w, " FILTER $%d", a->filter);
    else
      putf(w, " FILTER %s", in->names[a->filter]);
  }
}

static void duration(writer *w, int64_t ms) {
  if (ms % 3600000 == 0)
    putf(w, "%" PRId64 " h", ms / 3600000);
  else if (ms % 60000 == 0)
    putf(w, "%" PRId64 " min", ms / 60000);
  else if (ms % 1000 == 0)
    putf(w, "%" PRId64 " s", ms / 1000);
  else
    putf(w, "%" PRId64 " ms", ms);
}

static const char *window_name(sql_window_kind k) {
  switch (k) {
  case SQL_WINDOW_TUMBLE: return "TUMBLE";
  case SQL_WINDOW_HOP: return "HOP";
  case SQL_WINDOW_CUMULATE: return "CUMULATE";
  default: return "SESSION";
  }
}

/* Flink's WindowSpec text: TUMBLE(time_col=[ts], size=[10 min]), HOP(..., size, slide), ... */
static void window_desc(writer *w, sql_window_kind k, const char *time_col, int64_t size,
                        int64_t slide, bool has_offset, int64_t offset) {
  putf(w, "%s(time_col=[%s], ", window_name(k), time_col);
  if (k == SQL_WINDOW_HOP) {
    put(w, "size=[");
    duration(w, size);
    put(w, "], slide=[");
    duration(w, slide);
  } else if (k == SQL_WINDOW_CUMULATE) {
    put(w, "max_size=[");
    duration(w, size);
    put(w, "], step=[");
    duration(w, slide);
  } else {
    put(w, k == SQL_WINDOW_SESSION ? "gap=[" : "size=[");
    duration(w, size);
  }
  if (has_offset) {
    put(w, "], offset=[");
    if (offset < 0) put(w, "-");
    duration(w, offset < 0 ? -offset : offset);
  }
  put(w, "])");
}

/* ---- the abstract syntax tree ------------------------------------------------------------------- */

static bool identity_projection(const sql_rel *r) {
  const sql_rel *in = r->inputs[0];
  if (r->ncols != in->ncols) return false;
  for (int i = 0; i < r->ncols; i++)
    if (r->u.calc.projs[i]->kind != SQL_E_COLUMN || r->u.calc.projs[i]->u.column != i ||
        strcmp(r->names[i], in->names[i]) != 0)
      return false;
  return true;
}

static void logical(writer *w, const sql_rel *r, sp_strbuf *prefix, bool last, bool top);

/* An interval argument as Calcite prints it: 600000:INTERVAL MINUTE. */
static void interval(writer *w, int64_t ms, const sql_interval_qual *q) {
  putf(w, "%" PRId64 ":INTERVAL %s", ms, sql_unit_name(q->start));
  if (q->end != SQL_UNIT_NONE && q->end != q->start) putf(w, " TO %s", sql_unit_name(q->end));
}

/* A column's type in Calcite's RecordType: its type name and time attribute. */
static void record_field(writer *w, const sql_type *t, uint8_t attr, const char *name) {
  char buf[256];
  sql_type nn = *t;
  nn.nullable = true;
  if (t->kind == SQL_T_TIMESTAMP_LTZ)
    snprintf(buf, sizeof buf, "TIMESTAMP_LTZ(%d)", t->precision);
  else
    sql_calcite_type_name(&nn, buf, sizeof buf);
  putf(w, "%s%s %s", buf,
       attr == SQL_ATTR_ROWTIME    ? " *ROWTIME*"
       : attr == SQL_ATTR_PROCTIME ? " *PROCTIME*"
                                   : "",
       name);
}

/* The LogicalTableFunctionScan line of window table function f, its time column numbered col. */
static void invocation(writer *w, const sql_rel *f, int col) {
  sql_window_kind k = f->u.tvf.window;
  putf(w, "LogicalTableFunctionScan(invocation=[%s(", window_name(k));
  if (f->u.tvf.npartition > 0) {
    put(w, "PARTITION BY(");
    for (int i = 0; i < f->u.tvf.npartition; i++)
      putf(w, "%s$%d", i ? ", " : "", f->u.tvf.partition[i]);
    put(w, "), ");
  }
  putf(w, "DESCRIPTOR($%d), ", col);
  if (k == SQL_WINDOW_HOP || k == SQL_WINDOW_CUMULATE) {
    interval(w, f->u.tvf.slide, &f->u.tvf.quals[1]);
    put(w, ", ");
  }
  interval(w, f->u.tvf.size, &f->u.tvf.quals[0]);
  if (f->u.tvf.has_offset) {
    put(w, ", ");
    interval(w, f->u.tvf.offset, &f->u.tvf.quals[2]);
  }
  put(w, ")], rowType=[RecordType(");
  const sql_rel *in = f->inputs[0];
  for (int i = 0; i < f->ncols; i++) {
    if (i) put(w, ", ");
    record_field(w, f->types[i], i < in->ncols ? in->attrs[i] : f->attrs[i], f->names[i]);
  }
  put(w, ")])\n");
}

static void children(writer *w, const sql_rel *r, sp_strbuf *prefix) {
  for (int i = 0; i < r->ninputs; i++) logical(w, r->inputs[i], prefix, i == r->ninputs - 1, false);
}

static void line_start(writer *w, const sp_strbuf *prefix, bool last, bool top) {
  if (top) return;
  put(w, prefix->data ? prefix->data : "");
  put(w, last ? "+- " : ":- ");
}

static void push(sp_strbuf *prefix, bool last, bool top, size_t *saved) {
  *saved = prefix->len;
  if (!top) sp_strbuf_add(prefix, last ? "   " : ":  ");
}

static void pop(sp_strbuf *prefix, size_t saved) {
  prefix->len = saved;
  if (prefix->data) prefix->data[saved] = 0;
}

static void logical(writer *w, const sql_rel *r, sp_strbuf *prefix, bool last, bool top) {
  size_t saved;
  /* an expand is physical: the aggregation above it prints its grouping sets */
  if (r->kind == SQL_REL_EXPAND) {
    logical(w, r->inputs[0], prefix, last, top);
    return;
  }
  line_start(w, prefix, last, top);
  switch (r->kind) {
  case SQL_REL_SCAN:
    put(w, "LogicalTableScan(table=[");
    table_path(w, r->u.scan.table);
    put(w, "])\n");
    return;
  case SQL_REL_VALUES:
    put(w, "LogicalValues(tuples=[[");
    for (int i = 0; i < r->u.values.nrows; i++) {
      put(w, i ? ", { " : "{ ");
      for (int c = 0; c < r->ncols; c++) {
        if (c) put(w, ", ");
        expr(w, r->u.values.rows[i][c], NULL, SQL_EXPR_REX);
      }
      put(w, " }");
    }
    put(w, "]])\n");
    return;
  case SQL_REL_CALC: {
    /* a calc is Calcite's LogicalProject over a LogicalFilter; an identity projection with a
     * condition is the filter alone */
    bool project = !identity_projection(r) || !r->u.calc.filter;
    size_t s1 = 0, s2 = 0;
    if (project) {
      put(w, "LogicalProject(");
      for (int i = 0; i < r->ncols; i++) {
        putf(w, "%s%s=[", i ? ", " : "", r->names[i]);
        expr(w, r->u.calc.projs[i], r->inputs[0], SQL_EXPR_REX);
        put(w, "]");
      }
      put(w, ")\n");
      push(prefix, last, top, &s1);
      last = true;
      top = false;
    }
    if (r->u.calc.filter) {
      if (project) line_start(w, prefix, true, false);
      put(w, "LogicalFilter(condition=[");
      expr(w, r->u.calc.filter, r->inputs[0], SQL_EXPR_REX);
      put(w, "])\n");
      push(prefix, last, top, &s2);
      children(w, r, prefix);
      pop(prefix, s2);
    } else {
      children(w, r, prefix);
    }
    if (project) pop(prefix, s1);
    return;
  }
  case SQL_REL_UNION: put(w, "LogicalUnion(all=[true])\n"); break;
  case SQL_REL_JOIN: {
    static const char *const types[] = {[SQL_JOIN_INNER] = "inner",
                                        [SQL_JOIN_LEFT] = "left",
                                        [SQL_JOIN_RIGHT] = "right",
                                        [SQL_JOIN_FULL] = "full"};
    put(w, "LogicalJoin(condition=[");
    if (r->u.join.cond)
      expr(w, r->u.join.cond, r, SQL_EXPR_REX);
    else
      put(w, "true");
    putf(w, "], joinType=[%s])\n", types[r->u.join.type]);
    break;
  }
  case SQL_REL_WATERMARK:
    putf(w, "LogicalWatermarkAssigner(rowtime=[%s], watermark=[", r->names[r->u.watermark.column]);
    if (r->u.watermark.delay == 0)
      putf(w, "$%d", r->u.watermark.column);
    else
      putf(w, "-($%d, %" PRId64 ":INTERVAL SECOND)", r->u.watermark.column, r->u.watermark.delay);
    put(w, "])\n");
    break;
  case SQL_REL_AGGREGATE:
  case SQL_REL_WINDOW_AGG: {
    bool win = r->kind == SQL_REL_WINDOW_AGG;
    int ng = win ? r->u.window.ngroup : r->u.agg.ngroup;
    const int *g = win ? r->u.window.group : r->u.agg.group;
    int na = win ? r->u.window.naggs : r->u.agg.naggs;
    const sql_agg_call *aggs = win ? r->u.window.aggs : r->u.agg.aggs;
    const sql_rel *x = r->inputs[0]->kind == SQL_REL_EXPAND ? r->inputs[0] : NULL;
    if (x) ng--; /* $e is the last key */
    put(w, "LogicalAggregate(group=[{");
    for (int i = 0; i < ng; i++) putf(w, "%s%d", i ? ", " : "", g[i]);
    put(w, "}]");
    if (x) {
      put(w, ", groups=[[");
      for (int s = 0; s < x->u.expand.nsets; s++) {
        put(w, s ? ", {" : "{");
        bool first = true;
        for (int i = 0; i < ng; i++)
          if (!sql_rel_expand_nulls(x, s, g[i])) {
            putf(w, "%s%d", first ? "" : ", ", g[i]);
            first = false;
          }
        put(w, "}");
      }
      put(w, "]]");
    }
    for (int i = 0; i < na; i++) {
      putf(w, ", %s=[", aggs[i].name);
      agg_call(w, &aggs[i], r->inputs[0], true);
      put(w, "]");
    }
    put(w, ")\n");
    if (win) {
      push(prefix, last, top, &saved);
      line_start(w, prefix, true, false);
      invocation(w, r->u.window.tvf, r->u.window.time_col);
      size_t s2;
      push(prefix, true, false, &s2);
      children(w, r, prefix);
      pop(prefix, s2);
      pop(prefix, saved);
      return;
    }
    break;
  }
  case SQL_REL_EXPAND: break; /* printed through, above */
  case SQL_REL_OVER:          /* the rules make these: not in the abstract syntax tree */
  case SQL_REL_RANK:
  case SQL_REL_DEDUPLICATE: break;
  case SQL_REL_WINDOW_TVF: invocation(w, r, r->u.tvf.time_col); break;
  case SQL_REL_SINK:
    if (r->u.sink.table) {
      put(w, "LogicalSink(table=[");
      putf(w, "%s.%s.%s", SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE, r->u.sink.table->name);
      put(w, "], fields=[");
      names_list(w, r);
      put(w, "])\n");
    } else {
      put(w, "LogicalSink(table=[*anonymous_collect$1*], fields=[");
      names_list(w, r);
      put(w, "])\n");
    }
    break;
  }
  push(prefix, last, top, &saved);
  children(w, r, prefix);
  pop(prefix, saved);
}

/* ---- the physical and execution plans --------------------------------------------------------- */

/* Flink's ChangelogPlanUtils.stringifyChangelogMode: the kinds in RowKind's order, a sink's as
 * [NONE] (it emits nothing). */
static void changelog(writer *w, const sql_rel *r, bool show) {
  if (!show) return;
  static const char *const names[] = {"I", "UB", "UA", "D"};
  put(w, ", changelogMode=[");
  bool any = false;
  for (int k = 0; r->kind != SQL_REL_SINK && k < 4; k++)
    if (r->changes >> k & 1) {
      putf(w, "%s%s", any ? "," : "", names[k]);
      any = true;
    }
  put(w, any ? "]" : "NONE]");
}

static void select_list(writer *w, const sql_rel *r, sql_expr_style style) {
  const sql_rel *in = r->inputs[0];
  for (int i = 0; i < r->ncols; i++) {
    if (i) put(w, ", ");
    const sql_expr *e = r->u.calc.projs[i];
    expr(w, e, in, style);
    if (!(e->kind == SQL_E_COLUMN && strcmp(in->names[e->u.column], r->names[i]) == 0))
      putf(w, " AS %s", r->names[i]);
  }
}

static void physical(writer *w, const sql_rel *r, sp_strbuf *prefix, bool last, bool top,
                     sql_expr_style style, bool cl);

/* An exchange (a child of the line above, the last when last) that hashes in on cols (single
 * when there are none), and in under it. */
static void exchange(writer *w, const sql_rel *in, const int *cols, int n, sp_strbuf *prefix,
                     bool last, sql_expr_style style, bool cl) {
  size_t saved;
  line_start(w, prefix, last, false);
  if (n == 0) {
    put(w, "Exchange(distribution=[single]");
  } else {
    put(w, "Exchange(distribution=[hash[");
    for (int i = 0; i < n; i++) putf(w, "%s%s", i ? ", " : "", in->names[cols[i]]);
    put(w, "]]");
  }
  changelog(w, in, cl);
  put(w, ")\n");
  push(prefix, last, false, &saved);
  physical(w, in, prefix, true, false, style, cl);
  pop(prefix, saved);
}

/* The exchange under r (its one input hashed on cols) and the input under it. */
static void exchange_below(writer *w, const sql_rel *r, const int *cols, int n, sp_strbuf *prefix,
                           bool last, bool top, sql_expr_style style, bool cl) {
  size_t saved;
  push(prefix, last, top, &saved);
  exchange(w, r->inputs[0], cols, n, prefix, true, style, cl);
  pop(prefix, saved);
}

/* A Rank's or Deduplicate's window keys: "partitionBy=[a], orderBy=[b DESC]". */
static void rank_keys(writer *w, const sql_rel *r) {
  const sql_rel *in = r->inputs[0];
  put(w, "partitionBy=[");
  for (int i = 0; i < r->u.over.npartition; i++)
    putf(w, "%s%s", i ? ", " : "", in->names[r->u.over.partition[i]]);
  put(w, "], orderBy=[");
  for (int i = 0; i < r->u.over.norder; i++) {
    putf(w, "%s%s %s", i ? ", " : "", in->names[r->u.over.order[i]],
         r->u.over.desc[i] ? "DESC" : "ASC");
    if (r->u.over.nulls_first[i] == (bool)r->u.over.desc[i])
      put(w, r->u.over.nulls_first[i] ? " NULLS FIRST" : " NULLS LAST");
  }
  put(w, "]");
}

static void physical(writer *w, const sql_rel *r, sp_strbuf *prefix, bool last, bool top,
                     sql_expr_style style, bool cl) {
  size_t saved;
  line_start(w, prefix, last, top);
  const sql_rel *in = r->ninputs > 0 ? r->inputs[0] : NULL;
  switch (r->kind) {
  case SQL_REL_SCAN:
    putf(w, "TableSourceScan(table=[[%s, %s, %s", SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE,
         r->u.scan.table->name);
    if (!w->rc) w->rc = sql_scan_digest(r, w->out);
    put(w, "]], fields=[");
    names_list(w, r);
    put(w, "]");
    break;
  case SQL_REL_VALUES:
    put(w, "Values(tuples=[[");
    for (int i = 0; i < r->u.values.nrows; i++) {
      put(w, i ? ", { " : "{ ");
      for (int c = 0; c < r->ncols; c++) {
        if (c) put(w, ", ");
        expr(w, r->u.values.rows[i][c], NULL, style);
      }
      put(w, " }");
    }
    put(w, "]], values=[");
    names_list(w, r);
    put(w, "]");
    break;
  case SQL_REL_CALC:
    put(w, "Calc(select=[");
    select_list(w, r, style);
    put(w, "]");
    if (r->u.calc.filter) {
      put(w, ", where=[");
      expr(w, r->u.calc.filter, in, style);
      put(w, "]");
    }
    break;
  case SQL_REL_UNION:
    put(w, "Union(all=[true], union=[");
    names_list(w, r);
    put(w, "]");
    break;
  case SQL_REL_WATERMARK:
    putf(w, "WatermarkAssigner(rowtime=[%s], watermark=[", r->names[r->u.watermark.column]);
    if (r->u.watermark.delay == 0)
      put(w, r->names[r->u.watermark.column]);
    else if (style == SQL_EXPR_EXEC)
      putf(w, "(%s - %" PRId64 ":INTERVAL SECOND)", r->names[r->u.watermark.column],
           r->u.watermark.delay);
    else
      putf(w, "-(%s, %" PRId64 ":INTERVAL SECOND)", r->names[r->u.watermark.column],
           r->u.watermark.delay);
    put(w, "]");
    break;
  case SQL_REL_AGGREGATE:
  case SQL_REL_WINDOW_AGG: {
    bool win = r->kind == SQL_REL_WINDOW_AGG;
    int ng = win ? r->u.window.ngroup : r->u.agg.ngroup;
    const int *g = win ? r->u.window.group : r->u.agg.group;
    int na = win ? r->u.window.naggs : r->u.agg.naggs;
    const sql_agg_call *aggs = win ? r->u.window.aggs : r->u.agg.aggs;
    put(w, win ? "WindowAggregate(" : "GroupAggregate(");
    if (ng > 0) {
      put(w, "groupBy=[");
      for (int i = 0; i < ng; i++) putf(w, "%s%s", i ? ", " : "", in->names[g[i]]);
      put(w, "], ");
    }
    if (win) {
      put(w, "window=[");
      window_desc(w, r->u.window.window, in->names[r->u.window.time_col], r->u.window.size,
                  r->u.window.slide, r->u.window.has_offset, r->u.window.offset);
      put(w, "], ");
    }
    put(w, "select=[");
    for (int i = 0; i < ng; i++) putf(w, "%s%s", i ? ", " : "", in->names[g[i]]);
    for (int i = 0; i < na; i++) {
      put(w, i || ng ? ", " : "");
      agg_call(w, &aggs[i], in, false);
      putf(w, " AS %s", aggs[i].name);
    }
    if (win)
      put(w, ", start('w$) AS window_start, end('w$) AS window_end, rowtime('w$) AS window_time");
    put(w, "]");
    changelog(w, r, cl);
    put(w, ")");
    if (w->one) return;
    put(w, "\n");
    /* the exchange that brings a group's rows together */
    exchange_below(w, r, g, ng, prefix, last, top, style, cl);
    return;
  }
  case SQL_REL_JOIN: {
    static const char *const types[] = {[SQL_JOIN_INNER] = "InnerJoin",
                                        [SQL_JOIN_LEFT] = "LeftOuterJoin",
                                        [SQL_JOIN_RIGHT] = "RightOuterJoin",
                                        [SQL_JOIN_FULL] = "FullOuterJoin"};
    putf(w, "Join(joinType=[%s], where=[", types[r->u.join.type]);
    if (r->u.join.cond)
      expr(w, r->u.join.cond, r, style);
    else
      put(w, "true");
    put(w, "], select=[");
    names_list(w, r);
    /* Flink derives the inputs' unique keys; Spate does not yet */
    put(w, "], leftInputSpec=[NoUniqueKey], rightInputSpec=[NoUniqueKey]");
    changelog(w, r, cl);
    put(w, ")");
    if (w->one) return;
    put(w, "\n");
    /* each input hashed on its key columns (one task for a join without keys) */
    push(prefix, last, top, &saved);
    for (int i = 0; i < 2; i++)
      exchange(w, r->inputs[i], i ? r->u.join.rkeys : r->u.join.lkeys, r->u.join.nkeys, prefix,
               i == 1, style, cl);
    pop(prefix, saved);
    return;
  }
  case SQL_REL_OVER: /* Flink's OverAggregate, its frame as Flink prints it ("RANG") */
    put(w, "OverAggregate(");
    if (r->u.over.npartition) {
      put(w, "partitionBy=[");
      for (int i = 0; i < r->u.over.npartition; i++)
        putf(w, "%s%s", i ? ", " : "", in->names[r->u.over.partition[i]]);
      put(w, "], ");
    }
    putf(w, "orderBy=[%s ASC], window=[ %s BETWEEN ", in->names[r->u.over.order[0]],
         r->u.over.rows ? "ROWS" : "RANG");
    if (r->u.over.preceding < 0)
      put(w, "UNBOUNDED PRECEDING");
    else
      putf(w, "%" PRId64 " PRECEDING", r->u.over.preceding);
    put(w, " AND CURRENT ROW], select=[");
    for (int i = 0; i < in->ncols; i++) putf(w, "%s%s", i ? ", " : "", in->names[i]);
    for (int i = 0; i < r->u.over.ncalls; i++) {
      put(w, ", ");
      agg_call(w, &r->u.over.aggs[i], in, false);
      putf(w, " AS %s", r->u.over.aggs[i].name);
    }
    put(w, "]");
    changelog(w, r, cl);
    put(w, ")");
    if (w->one) return;
    put(w, "\n");
    exchange_below(w, r, r->u.over.partition, r->u.over.npartition, prefix, last, top, style, cl);
    return;
  case SQL_REL_RANK:
  case SQL_REL_DEDUPLICATE:
    if (r->kind == SQL_REL_RANK) {
      putf(w,
           "Rank(strategy=[%s], rankType=[%s], rankRange=[rankStart=%" PRId64 ", rankEnd=%" PRId64
           "], ",
           in->updating ? "RetractStrategy" : "AppendFastStrategy", sql_fn_name(r->u.over.rank_fn),
           r->u.over.rank_start, r->u.over.rank_end);
      rank_keys(w, r);
      put(w, ", select=[");
      names_list(w, r);
      put(w, "]");
    } else {
      putf(w, "Deduplicate(keep=[%s], key=[", r->u.over.keep_last ? "LastRow" : "FirstRow");
      for (int i = 0; i < r->u.over.npartition; i++)
        putf(w, "%s%s", i ? ", " : "", in->names[r->u.over.partition[i]]);
      putf(w, "], order=[%s]", r->u.over.proctime ? "PROCTIME" : "ROWTIME");
    }
    changelog(w, r, cl);
    put(w, ")");
    if (w->one) return;
    put(w, "\n");
    exchange_below(w, r, r->u.over.partition, r->u.over.npartition, prefix, last, top, style, cl);
    return;
  case SQL_REL_WINDOW_TVF:
    put(w, "WindowTableFunction(window=[");
    window_desc(w, r->u.tvf.window, in->names[r->u.tvf.time_col], r->u.tvf.size, r->u.tvf.slide,
                r->u.tvf.has_offset, r->u.tvf.offset);
    put(w, "]");
    break;
  case SQL_REL_EXPAND:
    put(w, "Expand(projects=[");
    for (int s = 0; s < r->u.expand.nsets; s++) {
      put(w, s ? ", {" : "{");
      for (int c = 0; c < in->ncols; c++) {
        if (c) put(w, ", ");
        if (sql_rel_expand_nulls(r, s, c)) put(w, "null AS ");
        put(w, in->names[c]);
      }
      putf(w, ", %" PRIu64 " AS $e}", r->u.expand.ids[s]);
    }
    put(w, "]");
    break;
  case SQL_REL_SINK:
    if (r->u.sink.table)
      putf(w, "Sink(table=[%s.%s.%s], fields=[", SQL_DEFAULT_CATALOG, SQL_DEFAULT_DATABASE,
           r->u.sink.table->name);
    else
      put(w, "Sink(table=[*anonymous_collect$1*], fields=[");
    names_list(w, r);
    put(w, "]");
    break;
  }
  changelog(w, r, cl);
  put(w, ")");
  if (w->one) return;
  put(w, "\n");
  push(prefix, last, top, &saved);
  for (int i = 0; i < r->ninputs; i++)
    physical(w, r->inputs[i], prefix, i == r->ninputs - 1, false, style, cl);
  pop(prefix, saved);
}

int sql_rel_describe(const sql_rel *r, sp_strbuf *out) {
  writer w = {out, 0, true};
  sp_strbuf prefix = {0};
  physical(&w, r, &prefix, true, true, SQL_EXPR_EXEC, false);
  sp_strbuf_free(&prefix);
  return w.rc ? SPATE_ENOMEM : 0;
}

int sql_explain(const sql_rel *logical_tree, const sql_rel *optimized, bool cl, sp_strbuf *out) {
  writer w = {out, 0, false};
  sp_strbuf prefix = {0};
  put(&w, "== Abstract Syntax Tree ==\n");
  logical(&w, logical_tree, &prefix, true, true);
  put(&w, "\n== Optimized Physical Plan ==\n");
  physical(&w, optimized, &prefix, true, true, SQL_EXPR_PHYSICAL, cl);
  put(&w, "\n== Optimized Execution Plan ==\n");
  physical(&w, optimized, &prefix, true, true, SQL_EXPR_EXEC, false);
  sp_strbuf_free(&prefix);
  return w.rc ? SPATE_ENOMEM : 0;
}

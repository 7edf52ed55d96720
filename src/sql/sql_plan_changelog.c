/*
 * sql_plan_changelog.c: Flink's changelog-mode inference (FlinkChangelogModeInferenceProgram)
 * over the optimized tree: which kinds of rows each relation emits (sql_rel.changes).
 *
 * Two passes, as Flink's:
 *  1. the kinds each relation may emit, bottom-up (Flink's ModifyKindSet): scans, VALUES and
 *     window aggregations insert; a group aggregation inserts and updates, and deletes when its
 *     input updates; a calc, an Expand, a watermark assigner pass their input's kinds on, a
 *     union and an inner join the kinds of all their inputs, an outer join every kind;
 *  2. whether updates carry their UPDATE_BEFORE, top-down from what the root asks (Flink's
 *     UpdateKindTrait): a sink that takes updates without it (blackhole, whose factory drops
 *     UPDATE_BEFORE from the requested mode) and the root of an EXPLAINed query (which has no
 *     sink) ask for UPDATE_AFTER alone first, and for both when the tree cannot give that; the
 *     print sink and the client's result ask for both. On the way down:
 *      - a group aggregation gives what it is asked (its operator leaves -U out when not) and
 *        asks its input for both kinds when that updates: retracting needs the old row;
 *      - a window aggregation asks nothing of its input (it is insert-only);
 *      - a calc forwards the request, except that a calc with a condition cannot give
 *        UPDATE_AFTER alone (Flink's FLINK-9528: a filter such as cnt < 10 over updates would
 *        lose the retraction of a row that stops passing it);
 *      - an Expand and a watermark assigner forward the request;
 *      - a union forwards it to its updating inputs and fails when they answer differently;
 *      - a join (which emits whatever kinds of updates it is asked for: an inner join forwards
 *        its inputs' kinds, an outer join emits +I and -D only) asks its updating inputs for
 *        both kinds, and cannot give UPDATE_AFTER alone over one.
 *     A sink with a primary key takes UPDATE_AFTER alone only when its key is exactly an upsert
 *     key of its input (Flink's check in inferSinkRequiredTraits): the group keys of an
 *     aggregation, through calcs that project them as they are (or cast only their
 *     nullability).
 */
#include "sql/sql_connectors.h"
#include "sql/sql_rel.h"

typedef enum request { WANT_NONE, WANT_AFTER, WANT_BOTH } request;

static uint8_t modify_kinds(sql_rel *r) {
  uint8_t in = 0;
  for (int i = 0; i < r->ninputs; i++) in |= modify_kinds(r->inputs[i]);
  switch (r->kind) {
  case SQL_REL_SCAN:
  case SQL_REL_VALUES:
  case SQL_REL_WINDOW_TVF:
  case SQL_REL_WINDOW_AGG: r->changes = SQL_CL_INSERT; break;
  case SQL_REL_AGGREGATE:
    r->changes = SQL_CL_INSERT | SQL_CL_UPDATE_BEFORE | SQL_CL_UPDATE_AFTER;
    if (in & ~SQL_CL_INSERT) r->changes |= SQL_CL_DELETE;
    break;
  case SQL_REL_CALC:
  case SQL_REL_UNION:
  case SQL_REL_WATERMARK:
  case SQL_REL_EXPAND:
  case SQL_REL_SINK:
  case SQL_REL_OVER: r->changes = in; break;
  case SQL_REL_RANK: /* rows enter and leave the top, or change their number */
    r->changes = SQL_CL_INSERT | SQL_CL_UPDATE_BEFORE | SQL_CL_UPDATE_AFTER | SQL_CL_DELETE;
    break;
  case SQL_REL_DEDUPLICATE: /* a later (or earlier) row replaces the one kept; Flink 1.20
                               declares deletes too, though none come of an insert-only input */
    r->changes = r->updating
                     ? SQL_CL_INSERT | SQL_CL_UPDATE_BEFORE | SQL_CL_UPDATE_AFTER | SQL_CL_DELETE
                     : SQL_CL_INSERT;
    break;
  case SQL_REL_JOIN: /* an outer join retracts its padded rows */
    r->changes = r->u.join.type == SQL_JOIN_INNER
                     ? in
                     : SQL_CL_INSERT | SQL_CL_UPDATE_BEFORE | SQL_CL_UPDATE_AFTER | SQL_CL_DELETE;
    break;
  }
  return r->changes;
}

static bool updates(const sql_rel *r) { return (r->changes & SQL_CL_UPDATE_AFTER) != 0; }

static void set_before(sql_rel *r, bool before) {
  if (!updates(r)) return;
  r->changes =
      (uint8_t)((r->changes & ~SQL_CL_UPDATE_BEFORE) | (before ? SQL_CL_UPDATE_BEFORE : 0));
}

static bool before(const sql_rel *r) { return (r->changes & SQL_CL_UPDATE_BEFORE) != 0; }

/* Whether r can emit what want asks, its subtree's UPDATE_BEFORE bits set on the way. A failed
 * try may leave bits set: the next try from above visits the same subtree and sets them all. */
static bool satisfy(sql_rel *r, request want) {
  switch (r->kind) {
  case SQL_REL_SCAN:
  case SQL_REL_VALUES: return true;
  case SQL_REL_AGGREGATE: {
    sql_rel *in = r->inputs[0];
    if (!satisfy(in, updates(in) ? WANT_BOTH : WANT_NONE)) return false;
    set_before(r, want != WANT_AFTER);
    return true;
  }
  case SQL_REL_RANK: { /* retracting a row of the top needs it whole */
    sql_rel *in = r->inputs[0];
    if (!satisfy(in, updates(in) ? WANT_BOTH : WANT_NONE)) return false;
    set_before(r, want != WANT_AFTER);
    return true;
  }
  case SQL_REL_DEDUPLICATE:
    if (!satisfy(r->inputs[0], WANT_NONE)) return false;
    set_before(r, want != WANT_AFTER);
    return true;
  case SQL_REL_WINDOW_TVF:
  case SQL_REL_WINDOW_AGG: return satisfy(r->inputs[0], WANT_NONE);
  case SQL_REL_CALC:
    if (want == WANT_AFTER && r->u.calc.filter) return false;
    /* fall through */
  case SQL_REL_EXPAND:
  case SQL_REL_WATERMARK:
  case SQL_REL_SINK:
    if (!satisfy(r->inputs[0], want)) return false;
    set_before(r, before(r->inputs[0]));
    return true;
  case SQL_REL_OVER: return satisfy(r->inputs[0], WANT_NONE); /* insert-only, of insert-only */
  case SQL_REL_UNION: {
    int with = 0, without = 0;
    for (int i = 0; i < r->ninputs; i++) {
      sql_rel *in = r->inputs[i];
      if (!satisfy(in, updates(in) ? want : WANT_NONE)) return false;
      if (updates(in) && before(in)) with++;
      if (updates(in) && !before(in)) without++;
    }
    if (with && without) return false; /* Flink's union cannot mix the two */
    set_before(r, with > 0);
    return true;
  }
  case SQL_REL_JOIN:
    for (int i = 0; i < 2; i++) {
      sql_rel *in = r->inputs[i];
      /* retracting a row needs it whole; Flink asks for +U alone only of an input whose unique
       * key the join key contains, which Spate does not derive yet */
      if (updates(in) && want == WANT_AFTER) return false;
      if (!satisfy(in, updates(in) ? WANT_BOTH : WANT_NONE)) return false;
    }
    set_before(r, want != WANT_AFTER);
    return true;
  }
  return false;
}

/* The column e projects as it is (a bare reference, or a CAST that changes only whether it is
 * nullable, as Flink's FlinkRelMdUniqueKeys reads a projection), or NULL. */
static const sql_expr *key_column(const sql_expr *e) {
  if (e->kind == SQL_E_CAST && !e->u.cast.try_cast && e->u.cast.arg->kind == SQL_E_COLUMN) {
    sql_type t = *e->type;
    t.nullable = e->u.cast.arg->type->nullable;
    if (sql_type_same(&t, e->u.cast.arg->type)) e = e->u.cast.arg;
  }
  return e->kind == SQL_E_COLUMN ? e : NULL;
}

/* Whether the input columns cols[0..n) of r are exactly one of its upsert keys (Flink's
 * FlinkRelMdUpsertKeys for these shapes). */
static bool is_upsert_key(const sql_rel *r, const int *cols, int n) {
  if (n <= 0 || n > 64) return false;
  switch (r->kind) {
  case SQL_REL_AGGREGATE: {
    if (r->u.agg.ngroup != n) return false;
    uint64_t seen = 0;
    for (int i = 0; i < n; i++) {
      if (cols[i] < 0 || cols[i] >= n || (seen >> cols[i] & 1)) return false;
      seen |= 1ull << cols[i];
    }
    return true;
  }
  case SQL_REL_RANK:
  case SQL_REL_DEDUPLICATE: { /* the partition keys, and the number when it is a column; without
                                 the number only a Top-1 keeps one row per partition */
    if (r->kind == SQL_REL_RANK && !r->u.over.output_number &&
        !(r->u.over.rank_fn == SQL_FN_ROW_NUMBER && r->u.over.rank_start == 1 &&
          r->u.over.rank_end == 1))
      return false;
    int np = r->u.over.npartition, want = np + (r->u.over.output_number ? 1 : 0);
    if (n != want) return false;
    uint64_t seen = 0;
    for (int i = 0; i < n; i++) {
      int k = -1;
      for (int j = 0; j < np && k < 0; j++)
        if (r->u.over.partition[j] == cols[i]) k = j;
      if (k < 0 && r->u.over.output_number && cols[i] == r->ncols - 1) k = np;
      if (k < 0 || (seen >> k & 1)) return false;
      seen |= 1ull << k;
    }
    return true;
  }
  case SQL_REL_CALC: {
    int below[64];
    for (int i = 0; i < n; i++) {
      const sql_expr *e = key_column(r->u.calc.projs[cols[i]]);
      if (!e) return false;
      below[i] = e->u.column;
      for (int j = 0; j < i; j++)
        if (below[j] == below[i]) return false;
    }
    return is_upsert_key(r->inputs[0], below, n);
  }
  default: return false;
  }
}

/* Whether sink s may take UPDATE_AFTER alone: its connector drops UPDATE_BEFORE and its primary
 * key, if any, is an upsert key of its input. */
static bool sink_takes_after_only(const sql_rel *s) {
  const sql_table *t = s->u.sink.table;
  if (!t || sql_sink_takes_update_before(t)) return false;
  if (t->npk == 0) return true;
  if (t->npk > 64) return false;
  int cols[64]; /* the key's positions among the sink's (physical) columns */
  for (int k = 0; k < t->npk; k++) {
    int pos = 0;
    for (int i = 0; i < t->pk[k]; i++) pos += t->cols[i].kind == SQL_COLUMN_PHYSICAL;
    cols[k] = pos;
  }
  return is_upsert_key(s->inputs[0], cols, t->npk);
}

void sql_plan_changelog(sql_rel *root) {
  modify_kinds(root);
  if (!updates(root)) {
    satisfy(root, WANT_NONE);
    return;
  }
  bool after_first = root->kind != SQL_REL_SINK || sink_takes_after_only(root);
  if (after_first && satisfy(root, WANT_AFTER)) return;
  satisfy(root, WANT_BOTH);
}

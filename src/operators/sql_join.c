/*
 * sql_join.c: OP_SQL_JOIN, SQL's regular join of two keyed inputs, as Flink's
 * StreamingJoinOperator computes it for inputs without a unique key.
 *
 * State, per join key and side: a map from the side's row (its data fields) to how many times
 * it is there and, on an outer side, with how many rows of the other side it is joined (Flink's
 * JoinRecordStateView and OuterJoinRecordStateView). A record's matches are the other side's
 * rows under its key that pass the residual condition (a compiled program over the joined row),
 * each as many times as it is there; a key with a NULL field matches nothing (the key's `=`
 * filters nulls), though its rows are kept and padded as any other.
 *
 * Per record, under its key (the record's side s, the other side o):
 *  accumulate (+I, +U):
 *   - s outer, no match: +I[record + nulls], stored with 0 associations;
 *   - otherwise, when o is outer: -D[nulls + m] for each match m that had no association, and
 *     m's associations + 1; then one joined row per match, and the record stored (with the
 *     number of matches as its associations when s is outer);
 *  retract (-U, -D): the record leaves the state (a record the state does not hold leaves
 *   nothing), then
 *   - no match: -D[record + nulls] when s is outer;
 *   - otherwise one joined row per match, then, when o is outer, +I[nulls + m] for each match m
 *     with one association left, and m's associations - 1.
 * A join without a key (singleton) gets each input with a constant last data field the planner
 * added as its key, runs on one task (Flink's singleton distribution) and leaves the constant
 * out of its state and output. Joined rows keep the record's kind in an inner join; an outer join emits +I and -D only
 * (Flink's simplification, FLINK-17337). Output rows: the left fields, the right fields, and
 * $row_kind when the output is updating, with the record's timestamp.
 *
 * State is in the heap keyed-state backend, checkpointed per key group (keyed_snapshot.h), with
 * table.exec.state.ttl as Flink's StateTtlConfig (as sql_group_agg.c).
 */
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "graph/op_params.h"
#include "operators/keyed_snapshot.h"
#include "operators/registry.h"
#include "operators/sql_program.h"
#include "types/row_kind.h"

/* A matching row of the other side, copied out of the state (its bytes at off in the scratch
 * buffer): the state's views end with the next write to it. */
typedef struct join_match {
  size_t off;
  uint32_t len, nfields;
  int64_t count, assoc;
} join_match;

typedef struct sql_join {
  op_sql_join_params p;
  ks_backend *backend;
  ks_state *state[2];
  spate_schema *side_schema[2]; /* a side's data fields: the state's user keys */
  spate_schema *val_schema;     /* count, associations */
  spate_schema *key_schema;     /* the key fields, all nullable: either side's key */
  spate_row_builder key_rb, side_rb[2], val_rb, joined_rb;
  int *identity;  /* 0, 1, 2, ...: a key row's own fields (its hash), a side's data fields */
  int ndata[2];   /* data fields per side */
  int kind_in[2]; /* an updating input's $row_kind field; -1: insert-only */
  int kind_out;   /* the output's; -1: insert-only */
  bool outer[2];
  sqlp_program *cond; /* the residual condition; NULL: none */
  ks_key_group_range range;
  join_match *m;
  size_t nm, mcap;
  uint8_t *bytes;
  size_t blen, bcap;
} sql_join;

static int64_t ttl_clock(void *arg) { return op_now(arg); }

static int state_failed(op_t *op, sql_join *j, int rc) {
  return op_fail(op, rc, "%s", ks_error(j->backend));
}

static int check_params(op_t *op, sql_join *j) {
  const sg_node *n = op->node;
  const op_sql_join_params *p = &j->p;
  if (n->ninputs != 2) return op_fail(op, SPATE_EINVAL, "SQL join: needs two inputs");
  if (p->join_type < 1 || p->join_type > 4)
    return op_fail(op, SPATE_EINVAL, "SQL join: unknown join type %u", p->join_type);
  if (p->state_ttl_ms < 0)
    return op_fail(op, SPATE_EINVAL, "SQL join: negative state TTL %lld ms",
                   (long long)p->state_ttl_ms);
  if (p->condition.n > 1) return op_fail(op, SPATE_EINVAL, "SQL join: more than one condition");
  const key_spec *k0 = &n->inputs[0].key, *k1 = &n->inputs[1].key;
  if (k0->nfields <= 0 || k0->nfields > 64 || k0->nfields != k1->nfields || k0->selector ||
      k1->selector || !k0->key_schema || !k1->key_schema)
    return op_fail(op, SPATE_EINVAL, "SQL join: both inputs need keys of as many input fields");
  for (int i = 0; i < k0->nfields; i++)
    if (!schema_type_equal(&k0->key_schema->fields[i], &k1->key_schema->fields[i]))
      return op_fail(op, SPATE_EINVAL, "SQL join: key field %d differs in type between the inputs",
                     i);
  const spate_schema *out = n->out_schema;
  int want = 0;
  for (int s = 0; s < 2; s++) {
    const spate_schema *in = sg_edge_schema(op->nodes, &n->inputs[s]);
    bool upd = s ? p->right_updating : p->left_updating;
    if (!in || (upd && (in->nfields < 2 || in->fields[in->nfields - 1].type != SPATE_TINYINT ||
                        strcmp(in->fields[in->nfields - 1].name, ROW_KIND_FIELD_NAME) != 0)))
      return op_fail(op, SPATE_EINVAL, "SQL join: input %d is updating but has no %s field", s,
                     ROW_KIND_FIELD_NAME);
    j->ndata[s] = in->nfields - (upd ? 1 : 0) - (p->singleton ? 1 : 0);
    j->kind_in[s] = upd ? in->nfields - 1 : -1;
    want += j->ndata[s];
    const key_spec *k = &n->inputs[s].key;
    if (j->ndata[s] < 1 || (p->singleton && (k->nfields != 1 || k->fields[0] != j->ndata[s])))
      return op_fail(op, SPATE_EINVAL,
                     "SQL join: input %d has no data fields, or its key is not the constant field "
                     "after them",
                     s);
    for (int i = 0; i < k->nfields && !p->singleton; i++)
      if (k->fields[i] < 0 || k->fields[i] >= j->ndata[s])
        return op_fail(op, SPATE_EINVAL, "SQL join: key field %d of input %d is not a data field",
                       i, s);
  }
  if (!out || out->nfields != want + (p->output_updating ? 1 : 0))
    return op_fail(op, SPATE_EINVAL, "SQL join: the output must be the %d fields of both inputs%s",
                   want, p->output_updating ? " and " ROW_KIND_FIELD_NAME : "");
  for (int s = 0, f = 0; s < 2; s++) {
    const spate_schema *in = sg_edge_schema(op->nodes, &n->inputs[s]);
    for (int i = 0; i < j->ndata[s]; i++, f++)
      if (!schema_type_equal(&in->fields[i], &out->fields[f]))
        return op_fail(op, SPATE_EINVAL, "SQL join: output field %d is not of input %d's type", f,
                       s);
  }
  j->kind_out = p->output_updating ? want : -1;
  return 0;
}

static int js_open(op_t *op) {
  sql_join *j = sp_calloc(1, sizeof *j);
  if (!j) return op_fail(op, SPATE_ENOMEM, "out of memory");
  op->impl = j;
  char err[SP_ERRMSG_MAX];
  int rc = op_sql_join_params_load(op->node, &j->p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  if ((rc = check_params(op, j)) < 0) return rc;
  int type = j->p.join_type;
  j->outer[0] = type == OP_SQL_JOIN_LEFT || type == OP_SQL_JOIN_FULL;
  j->outer[1] = type == OP_SQL_JOIN_RIGHT || type == OP_SQL_JOIN_FULL;
  if (j->p.condition.n == 1) {
    if ((rc = sqlp_decode(j->p.condition.v[0].data, j->p.condition.v[0].len, &j->cond, err,
                          sizeof err)))
      return op_fail(op, rc, "SQL join: %s", err);
    if ((rc = sqlp_open_udfs(j->cond, op->ctx.subtask, op->ctx.parallelism, op->dl, op->artifact)))
      return op_fail(op, rc, "SQL join: %s", j->cond->err);
    if (!schema_equal(j->cond->input, op->node->out_schema) ||
        !schema_equal(j->cond->output, op->node->out_schema))
      return op_fail(op, SPATE_EINVAL, "SQL join: the condition is not over the joined row");
  }
  const key_spec *k = &op->node->inputs[0].key;
  int most = j->ndata[0] > j->ndata[1] ? j->ndata[0] : j->ndata[1];
  if (!(j->identity = sp_malloc(sizeof *j->identity * (size_t)(most + 1))))
    return op_fail(op, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i <= most; i++) j->identity[i] = i;
  static const char *const vnames[] = {"count", "associations"};
  static const spate_type vtypes[] = {SPATE_BIGINT, SPATE_BIGINT};
  static const bool vnull[] = {false, false};
  if (!(j->val_schema = schema_new(2, vnames, vtypes, vnull)) ||
      rb_init(&j->val_rb, j->val_schema) ||
      !(j->key_schema = schema_select(k->key_schema, j->identity, k->nfields)))
    return op_fail(op, SPATE_ENOMEM, "out of memory");
  /* a side whose key column is NOT NULL builds the same bytes (a row's null bits are always
   * there), so both sides share this schema */
  for (int i = 0; i < k->nfields; i++) j->key_schema->fields[i].nullable = true;
  if (rb_init(&j->key_rb, j->key_schema) || rb_init(&j->joined_rb, op->node->out_schema))
    return op_fail(op, SPATE_ENOMEM, "out of memory");
  for (int s = 0; s < 2; s++) {
    const spate_schema *in = sg_edge_schema(op->nodes, &op->node->inputs[s]);
    if (!(j->side_schema[s] = schema_select(in, j->identity, j->ndata[s])) ||
        rb_init(&j->side_rb[s], j->side_schema[s]))
      return op_fail(op, SPATE_ENOMEM, "out of memory");
  }
  j->range =
      ks_key_group_range_for(op->node->max_parallelism, op->ctx.parallelism, op->ctx.subtask);
  if ((rc = ks_backend_new(op->node->max_parallelism, j->range, ttl_clock, op, &j->backend)) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", spate_strerror(rc));
  ks_ttl_config ttl = {
      .update = j->p.state_ttl_ms > 0 ? KS_TTL_ON_CREATE_AND_WRITE : KS_TTL_DISABLED,
      .ttl_ms = j->p.state_ttl_ms,
      .visibility = KS_TTL_NEVER_RETURN_EXPIRED};
  for (int s = 0; s < 2; s++) {
    ks_descriptor d = {.name = s ? "join-right" : "join-left",
                       .kind = KS_MAP,
                       .value_schema = j->val_schema,
                       .user_key_schema = j->side_schema[s],
                       .ttl = ttl};
    if ((rc = ks_register(j->backend, &d, &j->state[s])) < 0)
      return op_fail(op, rc, "cannot set up keyed state: %s", ks_error(j->backend));
  }
  return 0;
}

static void js_close(op_t *op) {
  sql_join *j = op->impl;
  if (!j) return;
  if (j->backend) ks_backend_free(j->backend);
  if (j->cond) sqlp_free(j->cond);
  for (int s = 0; s < 2; s++) {
    if (j->side_rb[s].schema) rb_destroy(&j->side_rb[s]);
    schema_unref(j->side_schema[s]);
  }
  if (j->val_rb.schema) rb_destroy(&j->val_rb);
  if (j->key_rb.schema) rb_destroy(&j->key_rb);
  if (j->joined_rb.schema) rb_destroy(&j->joined_rb);
  schema_unref(j->val_schema);
  schema_unref(j->key_schema);
  op_sql_join_params_free(&j->p);
  sp_free(j->identity);
  sp_free(j->m);
  sp_free(j->bytes);
  sp_free(j);
  op->impl = NULL;
}

/* Makes the record's key current; *null_key: whether a key field is NULL. */
static int set_key(op_t *op, sql_join *j, int side, const spate_row *row, bool *null_key) {
  const key_spec *k = &op->node->inputs[side].key;
  spate_row key;
  *null_key = false;
  for (int i = 0; i < k->nfields; i++) *null_key |= spate_row_is_null(row, k->fields[i]);
  if (!row_project(row, k->fields, k->nfields, &j->key_rb, &key)) {
    spate_rb_begin(&j->key_rb);
    for (int i = 0; i < k->nfields; i++) spate_rb_set_field(&j->key_rb, i, row, k->fields[i]);
    if (spate_rb_finish(&j->key_rb, &key) < 0)
      return op_fail(op, SPATE_EINVAL, "invalid key: %s", spate_rb_error(&j->key_rb));
  }
  int kg = sp_key_group(row_fields_java_hash(&key, j->identity, k->nfields, j->key_schema),
                        op->node->max_parallelism);
  if (!ks_key_group_range_contains(j->range, kg))
    return op_fail(op, SPATE_ESTATE,
                   "a key of key group %d reached this subtask, which owns [%d, %d]", kg,
                   j->range.first, j->range.last);
  int rc = ks_set_current_key(j->backend, key.data, key.len, kg);
  return rc < 0 ? state_failed(op, j, rc) : 0;
}

/* Builds the joined row of l and r (either NULL: padded) with kind into b. */
static int build_joined(op_t *op, sql_join *j, spate_row_builder *b, const spate_row *l,
                        const spate_row *r, row_kind kind, spate_row *out) {
  spate_rb_begin(b);
  for (int i = 0; i < j->ndata[0]; i++)
    if (l)
      spate_rb_set_field(b, i, l, i);
    else
      spate_rb_set_null(b, i);
  for (int i = 0; i < j->ndata[1]; i++)
    if (r)
      spate_rb_set_field(b, j->ndata[0] + i, r, i);
    else
      spate_rb_set_null(b, j->ndata[0] + i);
  if (j->kind_out >= 0) spate_rb_set_tinyint(b, j->kind_out, (int8_t)kind);
  if (spate_rb_finish(b, out) < 0)
    return op_fail(op, SPATE_EINVAL, "SQL join: %s", spate_rb_error(b));
  return 0;
}

/* Emits the joined row of mine (a row of side s) and other (of the other side), either NULL:
 * padded, as kind. */
static int emit(op_t *op, sql_join *j, int64_t ts, int s, const spate_row *mine,
                const spate_row *other, row_kind kind) {
  spate_row row;
  int rc = s == 0 ? build_joined(op, j, &op->rb, mine, other, kind, &row)
                  : build_joined(op, j, &op->rb, other, mine, kind, &row);
  return rc < 0 ? rc : output_emit(&op->out, ts, &row);
}

/* Whether mine (a row of side s) and other pass the residual condition (always, without
 * one). */
static int passes(op_t *op, sql_join *j, int s, const spate_row *mine, const spate_row *other) {
  if (!j->cond) return 1;
  spate_row joined;
  int rc = s == 0 ? build_joined(op, j, &j->joined_rb, mine, other, ROW_KIND_INSERT, &joined)
                  : build_joined(op, j, &j->joined_rb, other, mine, ROW_KIND_INSERT, &joined);
  if (rc < 0) return rc;
  rc = sqlp_eval(j->cond, &joined, j->cond->reads_clock ? op_now(op) : 0, &op->rb);
  return rc < 0 ? op_fail(op, rc, "%s", j->cond->err) : rc;
}

static int add_match(op_t *op, sql_join *j, const spate_row *row, int64_t count, int64_t assoc) {
  if (j->nm == j->mcap) {
    size_t cap = j->mcap ? 2 * j->mcap : 16;
    join_match *m = sp_realloc(j->m, cap * sizeof *m);
    if (!m) return op_fail(op, SPATE_ENOMEM, "out of memory");
    j->m = m;
    j->mcap = cap;
  }
  if (j->blen + row->len > j->bcap) {
    size_t cap = j->bcap ? j->bcap : 4096;
    while (cap < j->blen + row->len) cap *= 2;
    uint8_t *b = sp_realloc(j->bytes, cap);
    if (!b) return op_fail(op, SPATE_ENOMEM, "out of memory");
    j->bytes = b;
    j->bcap = cap;
  }
  memcpy(j->bytes + j->blen, row->data, row->len);
  j->m[j->nm++] = (join_match){j->blen, row->len, row->nfields, count, assoc};
  j->blen += row->len;
  return 0;
}

static spate_row match_row(const sql_join *j, const join_match *m) {
  return (spate_row){j->bytes + m->off, m->len, m->nfields};
}

/* The other side's rows under the current key that pass the condition with the record (its
 * data row d on side s), into j->m. */
static int find_matches(op_t *op, sql_join *j, int s, const spate_row *d, bool null_key) {
  j->nm = 0;
  j->blen = 0;
  if (null_key) return 0;
  ks_map_iter it;
  int rc = ks_map_iter_begin(j->state[1 - s], &it);
  if (rc < 0) return state_failed(op, j, rc);
  spate_row orow, val;
  while (ks_map_next(&it, &orow, &val))
    if ((rc = add_match(op, j, &orow, spate_row_bigint(&val, 0), spate_row_bigint(&val, 1))) < 0)
      return rc;
  /* the condition runs after the walk: evaluating writes nothing to the state, but a view of
   * the iterator would not outlive a failed pair's message either way */
  size_t kept = 0;
  for (size_t i = 0; i < j->nm; i++) {
    spate_row o = match_row(j, &j->m[i]);
    rc = passes(op, j, s, d, &o);
    if (rc < 0) return rc;
    if (rc) j->m[kept++] = j->m[i];
  }
  j->nm = kept;
  return 0;
}

/* Writes (count, assoc) for row under side s's map, or removes it when count is 0. */
static int put_entry(op_t *op, sql_join *j, int s, const spate_row *row, int64_t count,
                     int64_t assoc) {
  int rc;
  if (count <= 0) {
    rc = ks_map_remove(j->state[s], row);
  } else {
    spate_row v;
    spate_rb_begin(&j->val_rb);
    spate_rb_set_bigint(&j->val_rb, 0, count);
    spate_rb_set_bigint(&j->val_rb, 1, assoc);
    if (spate_rb_finish(&j->val_rb, &v) < 0)
      return op_fail(op, SPATE_EINVAL, "SQL join: %s", spate_rb_error(&j->val_rb));
    rc = ks_map_put(j->state[s], row, &v);
  }
  return rc < 0 ? state_failed(op, j, rc) : 0;
}

/* The entry of row in side s's map: *count 0 when absent. */
static int get_entry(op_t *op, sql_join *j, int s, const spate_row *row, int64_t *count,
                     int64_t *assoc) {
  spate_row v;
  int rc = ks_map_get(j->state[s], row, &v);
  if (rc < 0) return state_failed(op, j, rc);
  *count = rc ? spate_row_bigint(&v, 0) : 0;
  *assoc = rc ? spate_row_bigint(&v, 1) : 0;
  return 0;
}

/* Sets the associations of the other side's match m (a row of side s). */
static int set_assoc(op_t *op, sql_join *j, int s, const join_match *m, int64_t assoc) {
  spate_row o = match_row(j, m);
  return put_entry(op, j, s, &o, m->count, assoc);
}

static int js_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  sql_join *j = op->impl;
  int s = input ? 1 : 0, o = 1 - s;
  int kind = ROW_KIND_INSERT;
  if (j->kind_in[s] >= 0) {
    kind = spate_row_tinyint(row, j->kind_in[s]);
    if (kind < ROW_KIND_INSERT || kind > ROW_KIND_DELETE)
      return op_fail(op, SPATE_EINVAL, "a row of unknown kind %d", kind);
  }
  bool null_key;
  int rc = set_key(op, j, s, row, &null_key); /* the constant key is never NULL */
  if (rc < 0) return rc;
  spate_row d = *row; /* the data fields: the row itself, or without its kind and constant */
  if ((j->kind_in[s] >= 0 || j->p.singleton) &&
      !row_project(row, j->identity, j->ndata[s], &j->side_rb[s], &d)) {
    spate_rb_begin(&j->side_rb[s]);
    for (int i = 0; i < j->ndata[s]; i++) spate_rb_set_field(&j->side_rb[s], i, row, i);
    if (spate_rb_finish(&j->side_rb[s], &d) < 0)
      return op_fail(op, SPATE_EINVAL, "SQL join: %s", spate_rb_error(&j->side_rb[s]));
  }
  if ((rc = find_matches(op, j, s, &d, null_key)) < 0) return rc;
  const spate_row *self = &d;
  bool inner = !j->outer[0] && !j->outer[1];
  int64_t count, assoc;
  if ((rc = get_entry(op, j, s, &d, &count, &assoc)) < 0) return rc;
  if (row_kind_is_accumulate(kind)) {
    if (j->outer[o]) /* the padded rows of the matches go (each copy was padded) */
      for (size_t i = 0; i < j->nm; i++) {
        spate_row m = match_row(j, &j->m[i]);
        for (int64_t c = 0; j->m[i].assoc == 0 && c < j->m[i].count; c++)
          if ((rc = emit(op, j, ts, s, NULL, &m, ROW_KIND_DELETE)) < 0) return rc;
        if ((rc = set_assoc(op, j, o, &j->m[i], j->m[i].assoc + 1)) < 0) return rc;
      }
    row_kind out = inner ? (row_kind)kind : ROW_KIND_INSERT;
    for (size_t i = 0; i < j->nm; i++) {
      spate_row m = match_row(j, &j->m[i]);
      for (int64_t c = 0; c < j->m[i].count; c++)
        if ((rc = emit(op, j, ts, s, self, &m, out)) < 0) return rc;
    }
    int64_t matched = 0;
    for (size_t i = 0; i < j->nm; i++) matched += j->m[i].count;
    if (j->outer[s] && j->nm == 0 && (rc = emit(op, j, ts, s, self, NULL, ROW_KIND_INSERT)) < 0)
      return rc;
    return put_entry(op, j, s, &d, count + 1, j->outer[s] ? matched : 0);
  }
  /* retract */
  if (count > 0 && (rc = put_entry(op, j, s, &d, count - 1, assoc)) < 0) return rc;
  if (j->nm == 0) {
    if (!j->outer[s]) return 0;
    return emit(op, j, ts, s, self, NULL, ROW_KIND_DELETE);
  }
  row_kind out = j->outer[s] ? ROW_KIND_DELETE : (row_kind)kind;
  for (size_t i = 0; i < j->nm; i++) {
    spate_row m = match_row(j, &j->m[i]);
    for (int64_t c = 0; c < j->m[i].count; c++)
      if ((rc = emit(op, j, ts, s, self, &m, out)) < 0) return rc;
  }
  if (j->outer[o]) /* matches left with no partner are padded again */
    for (size_t i = 0; i < j->nm; i++) {
      spate_row m = match_row(j, &j->m[i]);
      for (int64_t c = 0; j->m[i].assoc == 1 && c < j->m[i].count; c++)
        if ((rc = emit(op, j, ts, s, NULL, &m, ROW_KIND_INSERT)) < 0) return rc;
      if ((rc = set_assoc(op, j, o, &j->m[i], j->m[i].assoc - 1)) < 0) return rc;
    }
  return 0;
}

static int js_snapshot(op_t *op, int64_t id, snap_writer *sw) {
  sql_join *j = op->impl;
  return keyed_snapshot_take(op, id, j->backend, NULL, 0, sw);
}

static int js_restore(op_t *op, const snap_restore *r) {
  sql_join *j = op->impl;
  return keyed_snapshot_restore(op, j->backend, NULL, 0, r);
}

const op_vtable op_sql_join_vt = {.open = js_open,
                                  .process = js_process,
                                  .close = js_close,
                                  .snapshot = js_snapshot,
                                  .restore = js_restore};

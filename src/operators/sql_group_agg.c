/*
 * sql_group_agg.c: OP_SQL_GROUP_AGG, SQL's unwindowed GROUP BY with an updating result, as
 * Flink's GroupAggFunction (GroupAggHelper.processElement) computes it. Per record, under its
 * key:
 *  - a retraction (-U, -D) for a key without an accumulator is dropped (its +I came before the
 *    state expired, or never came);
 *  - the row is accumulated (+I, +U) or retracted (-U, -D) into the key's accumulator
 *    (sql_aggregates.h);
 *  - when the key still has rows: the first result of a key is emitted as +I; a changed result
 *    as -U (the previous result; left out when update_before is false) and +U (the new one); an
 *    unchanged result emits nothing, unless state TTL is on (Flink emits it then, so that the
 *    state downstream does not expire before ours);
 *  - when its last row was retracted: -D of the previous result, and the key's state cleared.
 * Output rows: the group fields, the aggregate results, $row_kind (types/row_kind.h), with the
 * input record's timestamp.
 *
 * State is the key's accumulator and maps in the heap keyed-state backend, checkpointed per key
 * group (keyed_snapshot.h), with table.exec.state.ttl as Flink's StateTtlConfig: expiry on the
 * processing-time clock of the task, refreshed on create and write, expired values never
 * returned. The operator keeps nothing else between records.
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "graph/op_params.h"
#include "operators/keyed_snapshot.h"
#include "operators/registry.h"
#include "operators/sql_aggregates.h"
#include "types/row_kind.h"

typedef struct group_agg {
  ks_backend *backend;
  sqlagg agg;
  sqlagg_key key;
  op_sql_group_agg_params p;
  int kind_in;  /* the input's $row_kind field; -1: append-only input */
  int kind_out; /* the output's */
  bool ttl;
  bool counts_every_row; /* sqlagg_counts_every_row: a result never equals the previous one */
  uint8_t *prev;         /* the previous result's bytes */
  uint32_t prev_cap;
} group_agg;

static int64_t ttl_clock(void *arg) { return op_now(arg); }

/* Whether field i of s is a $row_kind field. */
static bool is_kind_field(const spate_schema *s, int i) {
  return i >= 0 && i < s->nfields && s->fields[i].type == SPATE_TINYINT &&
         strcmp(s->fields[i].name, ROW_KIND_FIELD_NAME) == 0;
}

/* Checks the params against the input and output schemas. */
static int check_params(op_t *op, group_agg *g, char *err, size_t err_len) {
  const spate_schema *in = op->in_schema, *out = op->node->out_schema;
  const op_sql_group_agg_params *p = &g->p;
  if (p->input_updating && !is_kind_field(in, in->nfields - 1)) {
    snprintf(err, err_len, "the input is updating but its last field is not %s TINYINT",
             ROW_KIND_FIELD_NAME);
    return SPATE_EINVAL;
  }
  if (!out || out->nfields != (int)(p->group_fields.n + p->agg_kinds.n) + 1 ||
      !is_kind_field(out, out->nfields - 1) || out->fields[out->nfields - 1].nullable) {
    snprintf(err, err_len,
             "the output must be the %u group fields, the %u aggregate results and %s TINYINT "
             "NOT NULL",
             p->group_fields.n, p->agg_kinds.n, ROW_KIND_FIELD_NAME);
    return SPATE_EINVAL;
  }
  if (p->state_ttl_ms < 0) {
    snprintf(err, err_len, "negative state TTL %lld ms", (long long)p->state_ttl_ms);
    return SPATE_EINVAL;
  }
  int data_fields = in->nfields - (p->input_updating ? 1 : 0);
  for (uint32_t i = 0; i < p->group_fields.n; i++) {
    int f = p->group_fields.v[i];
    if (f < 0 || f >= data_fields) {
      snprintf(err, err_len, "group field %u: index %d is not a field of the input", i, f);
      return SPATE_EINVAL;
    }
    if (!schema_type_equal(&in->fields[f], &out->fields[i])) {
      snprintf(err, err_len, "group field %u: the output field '%s' is not of the input's type", i,
               out->fields[i].name);
      return SPATE_EINVAL;
    }
  }
  for (uint32_t i = 0; i < p->agg_args.n && i < p->agg_filters.n; i++) /* lengths: sqlagg_init */
    if (p->agg_args.v[i] >= data_fields || p->agg_filters.v[i] >= data_fields) {
      snprintf(err, err_len, "aggregate call %u: the %s field is the row kind", i,
               p->agg_args.v[i] >= data_fields ? "argument" : "FILTER");
      return SPATE_EINVAL;
    }
  return 0;
}

static int ga_open(op_t *op) {
  group_agg *g = sp_calloc(1, sizeof *g);
  if (!g) return op_fail(op, SPATE_ENOMEM, "out of memory");
  op->impl = g;
  char err[SP_ERRMSG_MAX] = "out of memory"; /* what sqlagg_init leaves on SPATE_ENOMEM */
  int rc = op_sql_group_agg_params_load(op->node, &g->p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  if ((rc = check_params(op, g, err, sizeof err)) < 0 ||
      (rc = sqlagg_init(&g->agg, &g->p.agg_kinds, &g->p.agg_args, &g->p.agg_distinct,
                        &g->p.agg_filters, op->in_schema, op->node->out_schema,
                        (int)g->p.group_fields.n, g->p.input_updating, err, sizeof err)) < 0)
    return op_fail(op, rc, "%s", err);
  g->kind_in = g->p.input_updating ? op->in_schema->nfields - 1 : -1;
  g->kind_out = op->node->out_schema->nfields - 1;
  ks_key_group_range range =
      ks_key_group_range_for(op->node->max_parallelism, op->ctx.parallelism, op->ctx.subtask);
  if ((rc = sqlagg_key_init(&g->key, op, range)) < 0) return rc;
  g->ttl = g->p.state_ttl_ms > 0;
  g->counts_every_row = sqlagg_counts_every_row(&g->agg);
  if ((rc = ks_backend_new(op->node->max_parallelism, range, ttl_clock, op, &g->backend)) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", spate_strerror(rc));
  /* Flink's table.exec.state.ttl: OnCreateAndWrite, NeverReturnExpired */
  ks_ttl_config ttl = {.update = g->ttl ? KS_TTL_ON_CREATE_AND_WRITE : KS_TTL_DISABLED,
                       .ttl_ms = g->p.state_ttl_ms,
                       .visibility = KS_TTL_NEVER_RETURN_EXPIRED};
  if ((rc = sqlagg_register(&g->agg, g->backend, &ttl)) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", ks_error(g->backend));
  return 0;
}

static void ga_close(op_t *op) {
  group_agg *g = op->impl;
  if (!g) return;
  if (g->backend) ks_backend_free(g->backend);
  sqlagg_free(&g->agg);
  sqlagg_key_free(&g->key);
  op_sql_group_agg_params_free(&g->p);
  sp_free(g->prev);
  sp_free(g);
  op->impl = NULL;
}

/* Builds the current result row (group fields of row, results, kind) into op->rb. */
static int build_result(op_t *op, group_agg *g, const spate_row *row, row_kind kind,
                        spate_row *out) {
  spate_row_builder *rb = &op->rb;
  spate_rb_begin(rb);
  for (uint32_t i = 0; i < g->p.group_fields.n; i++)
    spate_rb_set_field(rb, (int)i, row, g->p.group_fields.v[i]);
  sqlagg_result(&g->agg, rb, (int)g->p.group_fields.n);
  spate_rb_set_tinyint(rb, g->kind_out, (int8_t)kind);
  if (spate_rb_finish(rb, out) < 0)
    return op_fail(op, SPATE_EINVAL, "aggregate result: %s", spate_rb_error(rb));
  return 0;
}

/* Rewrites the row kind of a built row in place (its slot: the field is NOT NULL). */
static void set_kind(uint8_t *row, uint32_t nfields, int field, row_kind kind) {
  int64_t v = kind;
  memcpy(row + ((nfields + 63) / 64) * 8 + (size_t)field * 8, &v, 8);
}

static int state_failed(op_t *op, group_agg *g, int rc) {
  return op_fail(op, rc, "%s", ks_error(g->backend));
}

static int ga_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  (void)input;
  group_agg *g = op->impl;
  int kind = ROW_KIND_INSERT;
  if (g->kind_in >= 0) {
    kind = spate_row_tinyint(row, g->kind_in);
    if (kind < ROW_KIND_INSERT || kind > ROW_KIND_DELETE)
      return op_fail(op, SPATE_EINVAL, "a row of unknown kind %d", kind);
  }
  bool accumulate = row_kind_is_accumulate(kind);
  int rc = sqlagg_key_set(&g->key, op, g->backend, row);
  if (rc < 0) return rc;
  if ((rc = sqlagg_load(&g->agg)) < 0) return state_failed(op, g, rc);
  bool first = rc == 0;
  if (first && !accumulate) return 0; /* nothing to retract from */
  spate_row prev = {0}, next;
  /* the previous result, kept as bytes of our own, unless nothing reads it: an accumulated row
   * without -U, whose new result cannot equal it */
  bool keep_prev = !first && (g->p.update_before || !accumulate || !g->counts_every_row);
  if (keep_prev) {
    if ((rc = build_result(op, g, row, ROW_KIND_UPDATE_AFTER, &prev)) < 0) return rc;
    if (prev.len > g->prev_cap) {
      uint8_t *p = sp_realloc(g->prev, prev.len);
      if (!p) return op_fail(op, SPATE_ENOMEM, "out of memory");
      g->prev = p;
      g->prev_cap = prev.len;
    }
    memcpy(g->prev, prev.data, prev.len);
    prev.data = g->prev;
  }
  if ((rc = sqlagg_apply(&g->agg, row, accumulate)) < 0) return state_failed(op, g, rc);
  if (sqlagg_count(&g->agg) == 0) { /* the last row retracted: delete */
    if ((rc = sqlagg_clear(&g->agg)) < 0) return state_failed(op, g, rc);
    if (first) return 0;
    set_kind(g->prev, prev.nfields, g->kind_out, ROW_KIND_DELETE);
    return output_emit(&op->out, ts, &prev);
  }
  if ((rc = sqlagg_store(&g->agg)) < 0) return state_failed(op, g, rc);
  if ((rc = build_result(op, g, row, first ? ROW_KIND_INSERT : ROW_KIND_UPDATE_AFTER, &next)) < 0)
    return rc;
  if (keep_prev) {
    if (!g->ttl && next.len == prev.len && memcmp(next.data, prev.data, prev.len) == 0) return 0;
    if (g->p.update_before) {
      set_kind(g->prev, prev.nfields, g->kind_out, ROW_KIND_UPDATE_BEFORE);
      if ((rc = output_emit(&op->out, ts, &prev)) < 0) return rc;
    }
  }
  return output_emit(&op->out, ts, &next);
}

static int ga_snapshot(op_t *op, int64_t id, snap_writer *sw) {
  group_agg *g = op->impl;
  return keyed_snapshot_take(op, id, g->backend, NULL, 0, sw);
}

static int ga_restore(op_t *op, const snap_restore *r) {
  group_agg *g = op->impl;
  return keyed_snapshot_restore(op, g->backend, NULL, 0, r);
}

const op_vtable op_sql_group_agg_vt = {.open = ga_open,
                                       .process = ga_process,
                                       .close = ga_close,
                                       .snapshot = ga_snapshot,
                                       .restore = ga_restore};

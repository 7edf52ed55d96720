/*
 * sql_deduplicate.c: OP_SQL_DEDUPLICATE, SQL's deduplication (ROW_NUMBER() OVER (PARTITION BY
 * ... ORDER BY time) = 1) of an insert-only input, as Flink's deduplicate functions compute it.
 * State, per partition key: the row kept (a flag for the first row on processing time).
 *  - first row, processing time (ProcTimeDeduplicateKeepFirstRowFunction): the first row of a
 *    key is +I, every later one is dropped; the output is insert-only;
 *  - last row, processing time (ProcTimeDeduplicateKeepLastRowFunction): the first row of a key
 *    is +I; each later row replaces the kept one with -U(kept) (when update_before) and +U(row),
 *    nothing when it equals the kept row and state TTL is off;
 *  - event time (RowTimeDeduplicateFunction): a row replaces the kept one when its rowtime is
 *    not before the kept row's (last row: a tie goes to the later row) or is strictly before it
 *    (first row: a tie keeps the earlier row), emitting +I for a key's first row, else -U(kept)
 *    (when update_before) and +U(row).
 * Output rows: the input's data fields, and $row_kind unless insert-only, with the record's
 * timestamp. State is in the heap keyed-state backend, checkpointed per key group
 * (keyed_snapshot.h), with table.exec.state.ttl as Flink's StateTtlConfig.
 */
#include <string.h>

#include "base/alloc.h"
#include "graph/op_params.h"
#include "operators/keyed_snapshot.h"
#include "operators/registry.h"
#include "operators/sql_aggregates.h"
#include "types/row_kind.h"

typedef struct sql_dedup {
  op_sql_deduplicate_params p;
  ks_backend *backend;
  ks_state *kept;
  sqlagg_key key;
  spate_schema *data_schema; /* the input's data fields (a flag's for the first row on proctime) */
  spate_row_builder data_rb;
  int *identity;
  int ndata, kind_out;
  bool flag_only; /* the first row on processing time: only whether a row was seen */
  uint8_t *prev;
  uint32_t prev_cap;
} sql_dedup;

static int64_t ttl_clock(void *arg) { return op_now(arg); }

static int state_failed(op_t *op, sql_dedup *x, int rc) {
  return op_fail(op, rc, "%s", ks_error(x->backend));
}

static int check_params(op_t *op, sql_dedup *x) {
  const op_sql_deduplicate_params *p = &x->p;
  const spate_schema *in = op->in_schema, *out = op->node->out_schema;
  x->ndata = in->nfields - (p->singleton ? 1 : 0);
  if (x->ndata < 1) return op_fail(op, SPATE_EINVAL, "SQL deduplicate: the input has no fields");
  if (in->nfields > 0 && strcmp(in->fields[in->nfields - 1].name, ROW_KIND_FIELD_NAME) == 0)
    return op_fail(op, SPATE_EINVAL, "SQL deduplicate: the input must be insert-only");
  if (p->time_field >= x->ndata ||
      (p->time_field >= 0 && in->fields[p->time_field].type != SPATE_TIMESTAMP &&
       in->fields[p->time_field].type != SPATE_TIMESTAMP_LTZ))
    return op_fail(op, SPATE_EINVAL, "SQL deduplicate: the time field %d is not a timestamp",
                   p->time_field);
  if (p->state_ttl_ms < 0)
    return op_fail(op, SPATE_EINVAL, "SQL deduplicate: negative state TTL %lld ms",
                   (long long)p->state_ttl_ms);
  x->flag_only = !p->keep_last && p->time_field < 0;
  int want = x->ndata + (x->flag_only ? 0 : 1);
  if (!out || out->nfields != want ||
      (!x->flag_only && strcmp(out->fields[want - 1].name, ROW_KIND_FIELD_NAME) != 0))
    return op_fail(op, SPATE_EINVAL, "SQL deduplicate: the output must be the %d data fields%s",
                   x->ndata, x->flag_only ? "" : " and " ROW_KIND_FIELD_NAME);
  for (int i = 0; i < x->ndata; i++)
    if (!schema_type_equal(&in->fields[i], &out->fields[i]))
      return op_fail(op, SPATE_EINVAL,
                     "SQL deduplicate: output field %d is not of the input's type", i);
  x->kind_out = x->flag_only ? -1 : want - 1;
  return 0;
}

static int dd_open(op_t *op) {
  sql_dedup *x = sp_calloc(1, sizeof *x);
  if (!x) return op_fail(op, SPATE_ENOMEM, "out of memory");
  op->impl = x;
  char err[SP_ERRMSG_MAX];
  int rc = op_sql_deduplicate_params_load(op->node, &x->p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  if ((rc = check_params(op, x)) < 0) return rc;
  if (!(x->identity = sp_malloc(sizeof *x->identity * (size_t)x->ndata)))
    return op_fail(op, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i < x->ndata; i++) x->identity[i] = i;
  if (x->flag_only) {
    static const char *const names[] = {"seen"};
    static const spate_type types[] = {SPATE_BOOLEAN};
    static const bool nulls[] = {false};
    x->data_schema = schema_new(1, names, types, nulls);
  } else {
    x->data_schema = schema_select(op->in_schema, x->identity, x->ndata);
  }
  if (!x->data_schema || rb_init(&x->data_rb, x->data_schema) < 0)
    return op_fail(op, SPATE_ENOMEM, "out of memory");
  ks_key_group_range range =
      ks_key_group_range_for(op->node->max_parallelism, op->ctx.parallelism, op->ctx.subtask);
  if ((rc = sqlagg_key_init(&x->key, op, range)) < 0) return rc;
  if ((rc = ks_backend_new(op->node->max_parallelism, range, ttl_clock, op, &x->backend)) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", spate_strerror(rc));
  ks_descriptor d = {
      .name = "deduplicate",
      .kind = KS_VALUE,
      .value_schema = x->data_schema,
      .ttl = {.update = x->p.state_ttl_ms > 0 ? KS_TTL_ON_CREATE_AND_WRITE : KS_TTL_DISABLED,
              .ttl_ms = x->p.state_ttl_ms,
              .visibility = KS_TTL_NEVER_RETURN_EXPIRED}};
  if ((rc = ks_register(x->backend, &d, &x->kept)) < 0) return state_failed(op, x, rc);
  return 0;
}

static void dd_close(op_t *op) {
  sql_dedup *x = op->impl;
  if (!x) return;
  if (x->backend) ks_backend_free(x->backend);
  sqlagg_key_free(&x->key);
  if (x->data_rb.schema) rb_destroy(&x->data_rb);
  schema_unref(x->data_schema);
  op_sql_deduplicate_params_free(&x->p);
  sp_free(x->identity);
  sp_free(x->prev);
  sp_free(x);
  op->impl = NULL;
}

static int emit(op_t *op, sql_dedup *x, int64_t ts, const spate_row *row, row_kind kind) {
  if (kind == ROW_KIND_UPDATE_BEFORE && !x->p.update_before) return 0;
  spate_row_builder *b = &op->rb;
  spate_rb_begin(b);
  for (int i = 0; i < x->ndata; i++) spate_rb_set_field(b, i, row, i);
  if (x->kind_out >= 0) spate_rb_set_tinyint(b, x->kind_out, (int8_t)kind);
  spate_row out;
  if (spate_rb_finish(b, &out) < 0)
    return op_fail(op, SPATE_EINVAL, "SQL deduplicate: %s", spate_rb_error(b));
  return output_emit(&op->out, ts, &out);
}

/* Whether row replaces prev, the row kept. */
static bool replaces(const sql_dedup *x, const spate_row *prev, const spate_row *row) {
  int f = x->p.time_field;
  if (f < 0) return true; /* processing time: the later row */
  const schema_field *t = &x->data_schema->fields[f];
  if (spate_row_is_null(row, f) || spate_row_is_null(prev, f)) return false;
  int c = sqlagg_compare(t, row, f, prev, f);
  return x->p.keep_last ? c >= 0 : c < 0;
}

static int dd_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  (void)input;
  sql_dedup *x = op->impl;
  int rc = sqlagg_key_set(&x->key, op, x->backend, row);
  if (rc < 0) return rc;
  spate_row prev;
  if ((rc = ks_value_get(x->kept, &prev)) < 0) return state_failed(op, x, rc);
  bool first = rc == 0;
  if (x->flag_only) {
    if (!first) return 0;
    spate_rb_begin(&x->data_rb);
    spate_rb_set_bool(&x->data_rb, 0, true);
    spate_row flag;
    if (spate_rb_finish(&x->data_rb, &flag) < 0 || (rc = ks_value_update(x->kept, &flag)) < 0)
      return state_failed(op, x, rc < 0 ? rc : SPATE_EINVAL);
    return emit(op, x, ts, row, ROW_KIND_INSERT);
  }
  spate_row d;
  if (!row_project(row, x->identity, x->ndata, &x->data_rb, &d)) {
    spate_rb_begin(&x->data_rb);
    for (int i = 0; i < x->ndata; i++) spate_rb_set_field(&x->data_rb, i, row, i);
    if (spate_rb_finish(&x->data_rb, &d) < 0)
      return op_fail(op, SPATE_EINVAL, "SQL deduplicate: %s", spate_rb_error(&x->data_rb));
  }
  if (!first) {
    if (!replaces(x, &prev, &d)) return 0;
    if (x->p.time_field < 0 && x->p.state_ttl_ms == 0 && prev.len == d.len &&
        memcmp(prev.data, d.data, d.len) == 0)
      return 0;                   /* the same row again */
    if (prev.len > x->prev_cap) { /* the state's view ends with the write below */
      uint8_t *p = sp_realloc(x->prev, prev.len);
      if (!p) return op_fail(op, SPATE_ENOMEM, "out of memory");
      x->prev = p;
      x->prev_cap = prev.len;
    }
    memcpy(x->prev, prev.data, prev.len);
    prev.data = x->prev;
  }
  if ((rc = ks_value_update(x->kept, &d)) < 0) return state_failed(op, x, rc);
  if (first) return emit(op, x, ts, &d, ROW_KIND_INSERT);
  if ((rc = emit(op, x, ts, &prev, ROW_KIND_UPDATE_BEFORE)) < 0) return rc;
  return emit(op, x, ts, &d, ROW_KIND_UPDATE_AFTER);
}

static int dd_snapshot(op_t *op, int64_t id, snap_writer *sw) {
  sql_dedup *x = op->impl;
  return keyed_snapshot_take(op, id, x->backend, NULL, 0, sw);
}

static int dd_restore(op_t *op, const snap_restore *r) {
  sql_dedup *x = op->impl;
  return keyed_snapshot_restore(op, x->backend, NULL, 0, r);
}

const op_vtable op_sql_deduplicate_vt = {.open = dd_open,
                                         .process = dd_process,
                                         .close = dd_close,
                                         .snapshot = dd_snapshot,
                                         .restore = dd_restore};

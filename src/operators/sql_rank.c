/*
 * sql_rank.c: OP_SQL_RANK, SQL's Top-N per partition (ROW_NUMBER() OVER (PARTITION BY ... ORDER
 * BY ...) under a filter on it), as Flink's Top-N functions compute it.
 *
 * State, per partition key: its rows in order (a list: ORDER BY, ties in arrival order), with
 * the append strategy only the top (rows beyond rank_end leave it), with the retract strategy
 * every row of the partition. A record reads the list, changes it and writes it back.
 *
 * Ranks are 1-based; a row is emitted only when its rank is in [rank_start, rank_end], with -U
 * only when update_before. "Numbered" below means the row number is an output field, or the
 * range starts after 1 (Flink then numbers rows even when the number is not output).
 *  append strategy (insert-only input; AppendOnlyTopNFunction, FastTop1Function):
 *   - rows 1 to 1: the first row of a key is +I; a row strictly before the kept one replaces it
 *     with -U(kept), +U(row); others emit nothing;
 *   - otherwise a row enters when the list has fewer than rank_end rows or it sorts strictly
 *     before the last (a tie with the last is dropped), after its ties. Numbered: each row after
 *     it moves down one rank, -U(that row, r) and +U(the row above it, r) per rank r, and when
 *     the top was not full the last row is +I at its new rank; sort keys past the walk leave the
 *     state. Not numbered: when the list is longer than rank_end its last row leaves it, -D
 *     (nothing at all when that is the row itself), then +I(row).
 *  retract strategy (updating input; RetractableTopNFunction), a +I/+U accumulates, a -U/-D
 *  retracts the first equal row of the state (a row the state does not hold retracts nothing):
 *   - numbered: an accumulated row shifts the rows after it down as above (no pruning); a
 *     retracted row at rank r is -U(row, r), +U(next, r), then each later row moves up one
 *     rank the same way, and the last rank left empty is -D;
 *   - not numbered: an accumulated row in the top is -D of the row it pushes to rank_end + 1
 *     (if any), then +I(row); a retracted row in the top is -D(row), then +I of the row that
 *     moves up to rank_end (if any).
 * Output rows: the input's data fields, the number when output_number, $row_kind, with the
 * record's timestamp.
 *
 * State is in the heap keyed-state backend, checkpointed per key group (keyed_snapshot.h), with
 * table.exec.state.ttl as Flink's StateTtlConfig (as sql_group_agg.c).
 */
#include <string.h>

#include "base/alloc.h"
#include "graph/op_params.h"
#include "operators/keyed_snapshot.h"
#include "operators/registry.h"
#include "operators/row_copies.h"
#include "operators/sql_aggregates.h"
#include "types/row_kind.h"

typedef struct sql_rank {
  op_sql_rank_params p;
  ks_backend *backend;
  ks_state *rows;
  sqlagg_key key;
  spate_schema *data_schema; /* the input's data fields: the state's rows */
  spate_row_builder data_rb;
  int *identity;
  int ndata, kind_in, kind_out;
  bool numbered;
  row_copies c; /* the partition's rows, in order (copies: the state's views end with a write) */
} sql_rank;

static int64_t ttl_clock(void *arg) { return op_now(arg); }

static int state_failed(op_t *op, sql_rank *k, int rc) {
  return op_fail(op, rc, "%s", ks_error(k->backend));
}

static bool is_kind_field(const spate_schema *s, int i) {
  return i >= 0 && i < s->nfields && s->fields[i].type == SPATE_TINYINT &&
         strcmp(s->fields[i].name, ROW_KIND_FIELD_NAME) == 0;
}

static int check_params(op_t *op, sql_rank *k) {
  const op_sql_rank_params *p = &k->p;
  const spate_schema *in = op->in_schema, *out = op->node->out_schema;
  bool updating = p->strategy == OP_SQL_RANK_RETRACT;
  if (p->strategy != OP_SQL_RANK_APPEND && !updating)
    return op_fail(op, SPATE_EINVAL, "SQL rank: unknown strategy %u", p->strategy);
  if (updating && !is_kind_field(in, in->nfields - 1))
    return op_fail(op, SPATE_EINVAL, "SQL rank: the input is updating but has no %s field",
                   ROW_KIND_FIELD_NAME);
  k->ndata = in->nfields - (updating ? 1 : 0) - (p->singleton ? 1 : 0);
  k->kind_in = updating ? in->nfields - 1 : -1;
  if (k->ndata < 1) return op_fail(op, SPATE_EINVAL, "SQL rank: the input has no data fields");
  if (p->rank_end < 1 || p->rank_start > p->rank_end)
    return op_fail(op, SPATE_EINVAL, "SQL rank: the range [%lld, %lld] keeps no row",
                   (long long)p->rank_start, (long long)p->rank_end);
  if (p->state_ttl_ms < 0)
    return op_fail(op, SPATE_EINVAL, "SQL rank: negative state TTL %lld ms",
                   (long long)p->state_ttl_ms);
  uint32_t no = p->order_fields.n;
  if (no == 0 || p->order_desc.n != no || p->order_nulls_first.n != no)
    return op_fail(op, SPATE_EINVAL, "SQL rank: the ORDER BY needs fields, directions and nulls");
  for (uint32_t i = 0; i < no; i++)
    if (p->order_fields.v[i] < 0 || p->order_fields.v[i] >= k->ndata)
      return op_fail(op, SPATE_EINVAL, "SQL rank: order field %u is not a data field", i);
  int want = k->ndata + (p->output_number ? 1 : 0) + 1;
  if (!out || out->nfields != want || !is_kind_field(out, want - 1))
    return op_fail(op, SPATE_EINVAL, "SQL rank: the output must be the %d data fields%s and %s",
                   k->ndata, p->output_number ? ", the number" : "", ROW_KIND_FIELD_NAME);
  for (int i = 0; i < k->ndata; i++)
    if (!schema_type_equal(&in->fields[i], &out->fields[i]))
      return op_fail(op, SPATE_EINVAL, "SQL rank: output field %d is not of the input's type", i);
  if (p->output_number &&
      (out->fields[k->ndata].type != SPATE_BIGINT || out->fields[k->ndata].nullable))
    return op_fail(op, SPATE_EINVAL, "SQL rank: the number must be BIGINT NOT NULL");
  k->kind_out = want - 1;
  return 0;
}

static int rk_open(op_t *op) {
  sql_rank *k = sp_calloc(1, sizeof *k);
  if (!k) return op_fail(op, SPATE_ENOMEM, "out of memory");
  op->impl = k;
  char err[SP_ERRMSG_MAX];
  int rc = op_sql_rank_params_load(op->node, &k->p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "%s", err);
  if ((rc = check_params(op, k)) < 0) return rc;
  k->numbered = k->p.output_number || k->p.rank_start > 1;
  if (!(k->identity = sp_malloc(sizeof *k->identity * (size_t)k->ndata)))
    return op_fail(op, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i < k->ndata; i++) k->identity[i] = i;
  if (!(k->data_schema = schema_select(op->in_schema, k->identity, k->ndata)) ||
      rb_init(&k->data_rb, k->data_schema) < 0)
    return op_fail(op, SPATE_ENOMEM, "out of memory");
  ks_key_group_range range =
      ks_key_group_range_for(op->node->max_parallelism, op->ctx.parallelism, op->ctx.subtask);
  if ((rc = sqlagg_key_init(&k->key, op, range)) < 0) return rc;
  if ((rc = ks_backend_new(op->node->max_parallelism, range, ttl_clock, op, &k->backend)) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", spate_strerror(rc));
  ks_descriptor d = {
      .name = "top-n",
      .kind = KS_LIST,
      .value_schema = k->data_schema,
      .ttl = {.update = k->p.state_ttl_ms > 0 ? KS_TTL_ON_CREATE_AND_WRITE : KS_TTL_DISABLED,
              .ttl_ms = k->p.state_ttl_ms,
              .visibility = KS_TTL_NEVER_RETURN_EXPIRED}};
  if ((rc = ks_register(k->backend, &d, &k->rows)) < 0) return state_failed(op, k, rc);
  return 0;
}

static void rk_close(op_t *op) {
  sql_rank *k = op->impl;
  if (!k) return;
  if (k->backend) ks_backend_free(k->backend);
  sqlagg_key_free(&k->key);
  if (k->data_rb.schema) rb_destroy(&k->data_rb);
  schema_unref(k->data_schema);
  op_sql_rank_params_free(&k->p);
  sp_free(k->identity);
  rcopies_free(&k->c);
  sp_free(k);
  op->impl = NULL;
}

/* ---- the partition's rows ------------------------------------------------------------------- */

/* Loads the current key's rows, then a copy of *d (the record's data row), which *d then
 * views. */
static int load(op_t *op, sql_rank *k, spate_row *d) {
  rcopies_clear(&k->c);
  ks_list_iter it;
  int rc = ks_list_get(k->rows, &it);
  if (rc < 0) return state_failed(op, k, rc);
  spate_row r;
  while (ks_list_next(&it, &r))
    if (rcopies_add(&k->c, &r)) return op_fail(op, SPATE_ENOMEM, "out of memory");
  if (rcopies_add(&k->c, d)) return op_fail(op, SPATE_ENOMEM, "out of memory");
  rcopies_views(&k->c);
  *d = k->c.v[--k->c.n];
  return 0;
}

static int store(op_t *op, sql_rank *k) {
  int rc = ks_list_update(k->rows, k->c.v, (size_t)k->c.n);
  return rc < 0 ? state_failed(op, k, rc) : 0;
}

/* <0, 0, >0 as a sorts before, with, after b in the ORDER BY. */
static int order(const sql_rank *k, const spate_row *a, const spate_row *b) {
  for (uint32_t i = 0; i < k->p.order_fields.n; i++) {
    int f = k->p.order_fields.v[i];
    bool na = spate_row_is_null(a, f), nb = spate_row_is_null(b, f);
    int c;
    if (na || nb) {
      if (na == nb) continue;
      c = na == (k->p.order_nulls_first.v[i] != 0) ? -1 : 1; /* where NULLs go is absolute */
      return c;
    }
    c = sqlagg_compare(&k->data_schema->fields[f], a, f, b, f);
    if (c) return k->p.order_desc.v[i] ? -c : c;
  }
  return 0;
}

static bool same_row(const spate_row *a, const spate_row *b) {
  return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* The index a row sorting as d goes to: after its ties. */
static int insert_at(const sql_rank *k, const spate_row *d) {
  int lo = 0, hi = k->c.n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (order(k, d, &k->c.v[mid]) < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

static int insert(op_t *op, sql_rank *k, int at, spate_row row) {
  return rcopies_insert(&k->c, at, row) ? op_fail(op, SPATE_ENOMEM, "out of memory") : 0;
}

/* ---- output --------------------------------------------------------------------------------- */

/* Emits row as kind with number rank (0: unnumbered, always emitted); a numbered row only when
 * its rank is in the range, a -U only when update_before. */
static int emit(op_t *op, sql_rank *k, int64_t ts, const spate_row *row, int64_t rank,
                row_kind kind) {
  if (rank && (rank < k->p.rank_start || rank > k->p.rank_end)) return 0;
  if (kind == ROW_KIND_UPDATE_BEFORE && !k->p.update_before) return 0;
  spate_row_builder *b = &op->rb;
  spate_rb_begin(b);
  for (int i = 0; i < k->ndata; i++) spate_rb_set_field(b, i, row, i);
  if (k->p.output_number) spate_rb_set_bigint(b, k->ndata, rank);
  spate_rb_set_tinyint(b, k->kind_out, (int8_t)kind);
  spate_row out;
  if (spate_rb_finish(b, &out) < 0)
    return op_fail(op, SPATE_EINVAL, "SQL rank: %s", spate_rb_error(b));
  return output_emit(&op->out, ts, &out);
}

/* The numbered walk after a row entered at index at: each row after it moves down one rank
 * (-U of it, +U of the row above it); the last row is +I at its rank when the top was not full.
 * Returns the index of the first row the walk did not reach (k->c.n: all), or a negative code. */
static int shift_down(op_t *op, sql_rank *k, int64_t ts, int at) {
  int64_t r = at + 1;
  int i = at + 1, rc;
  for (; r <= k->p.rank_end && i < k->c.n; r++, i++) {
    if ((rc = emit(op, k, ts, &k->c.v[i], r, ROW_KIND_UPDATE_BEFORE)) < 0 ||
        (rc = emit(op, k, ts, &k->c.v[i - 1], r, ROW_KIND_UPDATE_AFTER)) < 0)
      return rc;
  }
  if (r <= k->p.rank_end && (rc = emit(op, k, ts, &k->c.v[i - 1], r, ROW_KIND_INSERT)) < 0)
    return rc;
  return i;
}

/* ---- the strategies ------------------------------------------------------------------------- */

static int append_top1(op_t *op, sql_rank *k, int64_t ts, spate_row d) {
  int rc;
  if (k->c.n > 0 && order(k, &d, &k->c.v[0]) >= 0) return 0;
  if (k->c.n > 0) {
    spate_row old = k->c.v[0];
    if ((rc = emit(op, k, ts, &old, 1, ROW_KIND_UPDATE_BEFORE)) < 0 ||
        (rc = emit(op, k, ts, &d, 1, ROW_KIND_UPDATE_AFTER)) < 0)
      return rc;
  } else if ((rc = emit(op, k, ts, &d, 1, ROW_KIND_INSERT)) < 0) {
    return rc;
  }
  k->c.v[0] = d;
  k->c.n = 1;
  return store(op, k);
}

static int append(op_t *op, sql_rank *k, int64_t ts, spate_row d) {
  int64_t end = k->p.rank_end;
  if (k->p.rank_start == 1 && end == 1) return append_top1(op, k, ts, d);
  if (k->c.n >= end && order(k, &d, &k->c.v[k->c.n - 1]) >= 0) return 0; /* not in the top */
  int at = insert_at(k, &d), rc;
  if ((rc = insert(op, k, at, d)) < 0) return rc;
  if (k->numbered) {
    int reached = shift_down(op, k, ts, at);
    if (reached < 0) return reached;
    /* the sort keys past the walk leave the state: the last one reached stays whole */
    int keep = reached;
    while (keep < k->c.n && keep > 0 && order(k, &k->c.v[keep], &k->c.v[keep - 1]) == 0) keep++;
    k->c.n = keep;
    return store(op, k);
  }
  if (k->c.n > end) {
    spate_row last = k->c.v[k->c.n - 1];
    k->c.n--;
    if ((rc = store(op, k)) < 0) return rc;
    if (at == k->c.n) return 0; /* the row itself fell out */
    if ((rc = emit(op, k, ts, &last, 0, ROW_KIND_DELETE)) < 0) return rc;
    return emit(op, k, ts, &d, 0, ROW_KIND_INSERT);
  }
  if ((rc = store(op, k)) < 0) return rc;
  return emit(op, k, ts, &d, 0, ROW_KIND_INSERT);
}

static int retract_accumulate(op_t *op, sql_rank *k, int64_t ts, spate_row d) {
  int at = insert_at(k, &d), rc;
  if ((rc = insert(op, k, at, d)) < 0) return rc;
  int64_t end = k->p.rank_end;
  if (k->numbered) {
    if ((rc = shift_down(op, k, ts, at)) < 0) return rc;
  } else if (at + 1 <= end) {
    if (k->c.n > end && (rc = emit(op, k, ts, &k->c.v[end], 0, ROW_KIND_DELETE)) < 0) return rc;
    if ((rc = emit(op, k, ts, &d, 0, ROW_KIND_INSERT)) < 0) return rc;
  }
  return store(op, k);
}

static int retract(op_t *op, sql_rank *k, int64_t ts, spate_row d) {
  int at = insert_at(k, &d) - 1; /* the last of d's ties; the first equal one is retracted */
  while (at >= 0 && order(k, &k->c.v[at], &d) == 0) at--;
  int found = -1;
  for (int i = at + 1; i < k->c.n && found < 0 && order(k, &k->c.v[i], &d) == 0; i++)
    if (same_row(&k->c.v[i], &d)) found = i;
  if (found < 0) return 0; /* not in the state (expired, or never there) */
  spate_row gone = k->c.v[found];
  rcopies_remove(&k->c, found);
  int64_t end = k->p.rank_end, r = found + 1;
  int rc;
  if (k->numbered) {
    spate_row prev = gone;
    for (int i = found; r <= end && i < k->c.n; r++, i++) {
      if ((rc = emit(op, k, ts, &prev, r, ROW_KIND_UPDATE_BEFORE)) < 0 ||
          (rc = emit(op, k, ts, &k->c.v[i], r, ROW_KIND_UPDATE_AFTER)) < 0)
        return rc;
      prev = k->c.v[i];
    }
    if (r <= end && (rc = emit(op, k, ts, &prev, r, ROW_KIND_DELETE)) < 0) return rc;
  } else if (r <= end) {
    if ((rc = emit(op, k, ts, &gone, 0, ROW_KIND_DELETE)) < 0) return rc;
    if (k->c.n >= end && (rc = emit(op, k, ts, &k->c.v[end - 1], 0, ROW_KIND_INSERT)) < 0)
      return rc;
  }
  return store(op, k);
}

static int rk_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  (void)input;
  sql_rank *k = op->impl;
  int kind = ROW_KIND_INSERT;
  if (k->kind_in >= 0) {
    kind = spate_row_tinyint(row, k->kind_in);
    if (kind < ROW_KIND_INSERT || kind > ROW_KIND_DELETE)
      return op_fail(op, SPATE_EINVAL, "a row of unknown kind %d", kind);
  }
  int rc = sqlagg_key_set(&k->key, op, k->backend, row);
  if (rc < 0) return rc;
  spate_row d;
  if (!row_project(row, k->identity, k->ndata, &k->data_rb, &d)) {
    spate_rb_begin(&k->data_rb);
    for (int i = 0; i < k->ndata; i++) spate_rb_set_field(&k->data_rb, i, row, i);
    if (spate_rb_finish(&k->data_rb, &d) < 0)
      return op_fail(op, SPATE_EINVAL, "SQL rank: %s", spate_rb_error(&k->data_rb));
  }
  if ((rc = load(op, k, &d)) < 0) return rc;
  if (k->p.strategy == OP_SQL_RANK_APPEND) return append(op, k, ts, d);
  return row_kind_is_accumulate(kind) ? retract_accumulate(op, k, ts, d) : retract(op, k, ts, d);
}

static int rk_snapshot(op_t *op, int64_t id, snap_writer *sw) {
  sql_rank *k = op->impl;
  return keyed_snapshot_take(op, id, k->backend, NULL, 0, sw);
}

static int rk_restore(op_t *op, const snap_restore *r) {
  sql_rank *k = op->impl;
  return keyed_snapshot_restore(op, k->backend, NULL, 0, r);
}

const op_vtable op_sql_rank_vt = {.open = rk_open,
                                  .process = rk_process,
                                  .close = rk_close,
                                  .snapshot = rk_snapshot,
                                  .restore = rk_restore};

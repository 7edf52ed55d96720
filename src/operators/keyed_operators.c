/*
 * keyed_operators.c: keyed reduce and the rolling aggregations (sum, min, max, min_by, max_by)
 * with Flink's semantics: the first row of a key is stored and emitted as it is; every later row
 * updates the stored row and the updated row is emitted. sum/min/max change only the aggregated
 * field (the other fields stay those of the first row); min_by/max_by replace the whole row when
 * the new value is strictly smaller/larger (so the first row wins ties).
 *
 * State lives in the heap keyed-state backend (state/keyed_state.h) like every other keyed
 * state: one VALUE state "_op_state" (the name of Flink's StreamGroupedReduceOperator's state)
 * holding the stored row of each key, the key group of a record computed from its key row as
 * the hash partitioner computes it (Java hash of the key fields, Flink's murmur and modulo), or
 * taken from the record's element when its producer computed it for the same key
 * (op_t.input_key_group).
 * Numeric updates are written into the stored row in place (ks_value_get_writable): no
 * allocation or copy per record.
 *
 * The reduce function runs in a keyed context (process_operator.h's proc_ctx_new): it sees
 * the record's key (spate_ctx_current_key) and may use keyed state of its own (spate_ctx_state),
 * which lives in the same backend and is checkpointed with it.
 *
 * Checkpoints are the backend's: copy-on-write (keyed_snapshot_take freezes the backend, the
 * key-group sections are written later on the snapshot thread), one section per key group in
 * the backend's encoding (ks_write_key_group), so after a change of parallelism a restored key
 * lands on the subtask its records go to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "graph/op_params.h"
#include "operators/keyed_snapshot.h"
#include "operators/process_operator.h"
#include "operators/registry.h"
#include "state/keyed_state.h"
#include "types/row.h"

#define STATE_NAME "_op_state"

typedef struct keyed_op {
  ks_backend *backend;
  ks_state *state; /* STATE_NAME: the stored row of each key */
  spate_row_builder key_rb;
  spate_row_builder ahead_rb; /* keys of records ahead (keyed_prefetch) */
  int *key_fields;            /* 0..n-1: the key row's fields, for its Java hash */
  ks_key_group_range range;
  agg_kind agg;
  int field;
  spate_type ftype;
  bool fvar;          /* the field's value lives in the tail (type_is_var) */
  uint8_t fprecision; /* its precision (TIMESTAMP, DECIMAL) */
  int nfields;
  proc_op *kctx; /* the reduce function's keyed context */
} keyed_op;

static int keyed_open(op_t *op) {
  keyed_op *k = sp_calloc(1, sizeof *k);
  if (!k) return SPATE_ENOMEM;
  op->impl = k;
  const spate_schema *ks = op->node->key.key_schema;
  if (!ks) return op_fail(op, SPATE_ECORRUPT, "bad key schema");
  int rc = rb_init(&k->key_rb, ks);
  if (rc == 0) rc = rb_init(&k->ahead_rb, ks);
  if (rc < 0) return rc;
  if (!(k->key_fields = sp_malloc(((size_t)ks->nfields + 1) * sizeof *k->key_fields)))
    return SPATE_ENOMEM;
  for (int i = 0; i < ks->nfields; i++) k->key_fields[i] = i;
  k->nfields = op->in_schema->nfields;
  k->range =
      ks_key_group_range_for(op->node->max_parallelism, op->ctx.parallelism, op->ctx.subtask);
  /* No clock: this state has no TTL (nor has Flink's). */
  if ((rc = ks_backend_new(op->node->max_parallelism, k->range, NULL, NULL, &k->backend)) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", spate_strerror(rc));
  ks_descriptor d = {.name = STATE_NAME, .kind = KS_VALUE, .value_schema = op->in_schema};
  if ((rc = ks_register(k->backend, &d, &k->state)) < 0)
    return op_fail(op, rc, "cannot set up keyed state: %s", ks_error(k->backend));
  if (!(k->kctx = proc_ctx_new(op, k->backend))) return op_fail(op, SPATE_ENOMEM, "out of memory");
  op->ctx.keyed = k->kctx;
  if (op->node->kind == OP_AGG) {
    op_agg_params p;
    char err[SP_ERRMSG_MAX];
    if ((rc = op_agg_params_load(op->node, &p, err, sizeof err)) < 0)
      return op_fail(op, rc, "%s", err);
    k->agg = (agg_kind)p.agg;
    k->field = p.field;
    if (k->field < 0 || k->field >= k->nfields || k->agg < AGG_SUM || k->agg > AGG_MAX_BY)
      return op_fail(op, SPATE_ECORRUPT, "aggregation parameters are corrupt");
    k->ftype = op->in_schema->fields[k->field].type;
    k->fvar = type_is_var(&op->in_schema->fields[k->field]);
    k->fprecision = op->in_schema->fields[k->field].precision;
  }
  return 0;
}

static void keyed_close(op_t *op) {
  keyed_op *k = op->impl;
  if (!k) return;
  op->ctx.keyed = NULL;
  proc_ctx_free(k->kctx);
  if (k->backend) ks_backend_free(k->backend);
  if (k->key_rb.schema) rb_destroy(&k->key_rb);
  if (k->ahead_rb.schema) rb_destroy(&k->ahead_rb);
  sp_free(k->key_fields);
  sp_free(k);
}

/* Builds the key row of `row` into k->key_rb. */
static int extract_key(op_t *op, keyed_op *k, const spate_row *row, spate_row *key) {
  const key_spec *fk = &op->node->key;
  if (!op->key_fn && row_project(row, fk->fields, fk->nfields, &k->key_rb, key)) return 0;
  spate_rb_begin(&k->key_rb);
  if (op->key_fn) {
    int rc = op->key_fn(&op->ctx, row, &k->key_rb);
    if (rc < 0) return op_udf_failed(op, rc, "key selector");
  } else {
    const key_spec *ks = &op->node->key;
    for (int i = 0; i < ks->nfields; i++) spate_rb_set_field(&k->key_rb, i, row, ks->fields[i]);
  }
  if (spate_rb_finish(&k->key_rb, key) < 0)
    return op_fail(op, SPATE_EUDF, "invalid key: %s", spate_rb_error(&k->key_rb));
  return 0;
}

/* The key group of a key row, as result_partition.c computes it for the record. */
static int key_group_of(const op_t *op, const keyed_op *k, const uint8_t *key, uint32_t len) {
  const spate_schema *ks = op->node->key.key_schema;
  spate_row row = {key, len, (uint32_t)ks->nfields};
  return sp_key_group(row_fields_java_hash(&row, k->key_fields, ks->nfields, ks),
                      op->node->max_parallelism);
}

/* op_vtable.prefetch (op_prefetch_key). */
static bool keyed_prefetch(op_t *op, int input, int64_t ts, const spate_row *row, int key_group) {
  (void)input, (void)ts;
  keyed_op *k = op->impl;
  return k && op_prefetch_key(&op->node->key, k->backend, &k->ahead_rb, row, NULL, 0, key_group);
}

static int state_failed(op_t *op, keyed_op *k, int rc) {
  return op_fail(op, rc, "%s", ks_error(k->backend));
}

/* Makes the record's key current and finds its stored row: 1 with *acc (writable in place
 * when `writable`), or 0 for the first row of a key, which is stored and emitted as it is
 * (Flink's rolling aggregations), or negative. */
static int stored_row(op_t *op, keyed_op *k, int64_t ts, const spate_row *row, bool writable,
                      spate_row *acc) {
  spate_row key;
  int rc = extract_key(op, k, row, &key);
  if (rc < 0) return rc;
  /* the producer's partitioner hashed this key already when it is the edge's key (task.c) */
  int kg = op->input_key_group >= 0 ? op->input_key_group : key_group_of(op, k, key.data, key.len);
  if (!ks_key_group_range_contains(k->range, kg))
    return op_fail(op, SPATE_ESTATE,
                   "a key of key group %d reached this subtask, which owns [%d, %d] (is the key "
                   "selector deterministic?)",
                   kg, k->range.first, k->range.last);
  if ((rc = ks_set_current_key(k->backend, key.data, key.len, kg)) < 0)
    return state_failed(op, k, rc);
  proc_ctx_set_key(k->kctx, key.data, key.len, key.nfields, kg);
  rc = writable ? ks_value_get_writable(k->state, acc) : ks_value_get(k->state, acc);
  if (rc != 0) return rc < 0 ? state_failed(op, k, rc) : 1;
  if ((rc = ks_value_update(k->state, row)) < 0) return state_failed(op, k, rc);
  rc = output_emit(&op->out, ts, row);
  return rc < 0 ? rc : 0;
}

static int reduce_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  keyed_op *k = op->impl;
  spate_row acc;
  int rc = stored_row(op, k, ts, row, false, &acc);
  if (rc <= 0) return rc;
  spate_rb_begin(&op->rb);
  rc = ((spate_reduce_fn)op->udf)(&op->ctx, &acc, row, &op->rb);
  if (rc < 0) return op_udf_failed(op, rc, "reduce function");
  spate_row out;
  if (spate_rb_finish(&op->rb, &out) < 0)
    return op_fail(op, SPATE_EUDF, "reduce function built an invalid row: %s",
                   spate_rb_error(&op->rb));
  if ((rc = ks_value_update(k->state, &out)) < 0) return state_failed(op, k, rc);
  return output_emit(&op->out, ts, &out); /* the bytes now stored */
}

/* <0, 0, >0 as a compares to b, for the aggregated field (both non-null). */
static int compare_field(keyed_op *k, const spate_row *a, const spate_row *b) {
  switch (k->ftype) {
  case SPATE_DOUBLE: {
    double x = spate_row_double(a, k->field), y = spate_row_double(b, k->field);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  case SPATE_FLOAT: {
    float x = spate_row_float(a, k->field), y = spate_row_float(b, k->field);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  case SPATE_DECIMAL: { /* same scale on both sides: the unscaled values order the decimals */
    spate_int128 x = spate_row_decimal(a, k->field, k->fprecision),
                 y = spate_row_decimal(b, k->field, k->fprecision);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  case SPATE_TIMESTAMP:
  case SPATE_TIMESTAMP_LTZ: {
    spate_timestamp x = spate_row_timestamp_p(a, k->field, k->fprecision),
                    y = spate_row_timestamp_p(b, k->field, k->fprecision);
    if (x.ms != y.ms) return x.ms < y.ms ? -1 : 1;
    return x.nanos < y.nanos ? -1 : x.nanos > y.nanos ? 1 : 0;
  }
  case SPATE_STRING:
  case SPATE_CHAR:
  case SPATE_BINARY:
  case SPATE_BYTES: {
    spate_bytes x = spate_row_string(a, k->field), y = spate_row_string(b, k->field);
    uint32_t n = x.len < y.len ? x.len : y.len;
    int c = memcmp(x.ptr, y.ptr, n);
    return c ? c : (x.len < y.len ? -1 : x.len > y.len ? 1 : 0);
  }
  default: {
    int64_t x = spate_row_bigint(a, k->field), y = spate_row_bigint(b, k->field);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  }
}

static void write_slot(uint8_t *row, int nfields, int i, uint64_t v) {
  memcpy(row + ((nfields + 63) / 64) * 8 + (size_t)i * 8, &v, 8);
}

static void clear_null(uint8_t *row, int i) {
  uint64_t w;
  memcpy(&w, row + (size_t)(i / 64) * 8, 8);
  w &= ~(1ull << (i % 64));
  memcpy(row + (size_t)(i / 64) * 8, &w, 8);
}

static int agg_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  keyed_op *k = op->impl;
  spate_row acc, out;
  int rc = stored_row(op, k, ts, row, true, &acc);
  if (rc <= 0) return rc;
  const spate_row *stored = &acc;           /* what the state holds afterwards */
  uint8_t *acc_bytes = (uint8_t *)acc.data; /* writable (ks_value_get_writable) */
  int f = k->field;
  if (!spate_row_is_null(row, f)) {
    bool acc_null = spate_row_is_null(&acc, f);
    if (k->agg == AGG_SUM) {
      uint64_t v;
      if (k->ftype == SPATE_DOUBLE) {
        double d = (acc_null ? 0.0 : spate_row_double(&acc, f)) + spate_row_double(row, f);
        memcpy(&v, &d, 8);
      } else if (k->ftype == SPATE_FLOAT) { /* Flink's FloatSum: float arithmetic */
        float x = (acc_null ? 0.0f : spate_row_float(&acc, f)) + spate_row_float(row, f);
        uint32_t bits;
        memcpy(&bits, &x, 4);
        v = bits;
      } else if (k->ftype == SPATE_INT) { /* Java int arithmetic: wraps */
        uint32_t s =
            (uint32_t)(acc_null ? 0 : spate_row_int(&acc, f)) + (uint32_t)spate_row_int(row, f);
        v = (uint64_t)(int64_t)(int32_t)s;
      } else if (k->ftype == SPATE_TINYINT || k->ftype == SPATE_SMALLINT) {
        /* Flink's ByteSum and ShortSum: (byte) (a + b), (short) (a + b) wrap at the width */
        int64_t x = (acc_null ? 0 : spate_row_bigint(&acc, f)) + spate_row_bigint(row, f);
        v = (uint64_t)(k->ftype == SPATE_TINYINT ? (int64_t)(int8_t)x : (int64_t)(int16_t)x);
      } else {
        v = (uint64_t)(acc_null ? 0 : spate_row_bigint(&acc, f)) +
            (uint64_t)spate_row_bigint(row, f);
      }
      write_slot(acc_bytes, k->nfields, f, v);
      clear_null(acc_bytes, f);
    } else {
      int c = acc_null ? 0 : compare_field(k, row, &acc); /* row vs acc */
      bool better = acc_null || ((k->agg == AGG_MIN || k->agg == AGG_MIN_BY) ? c < 0 : c > 0);
      if (better && (k->agg == AGG_MIN_BY || k->agg == AGG_MAX_BY)) {
        if ((rc = ks_value_update(k->state, row)) < 0) return state_failed(op, k, rc);
        stored = row;
      } else if (better && !k->fvar) {
        write_slot(acc_bytes, k->nfields, f, (uint64_t)spate_row_bigint(row, f));
        clear_null(acc_bytes, f);
      } else if (better) { /* variable-length field: rebuild the stored row */
        spate_rb_begin(&op->rb);
        for (int i = 0; i < k->nfields; i++) spate_rb_set_field(&op->rb, i, i == f ? row : &acc, i);
        if (spate_rb_finish(&op->rb, &out) < 0)
          return op_fail(op, SPATE_EUDF, "aggregation: %s", spate_rb_error(&op->rb));
        if ((rc = ks_value_update(k->state, &out)) < 0) return state_failed(op, k, rc);
        stored = &out;
      }
    }
  }
  return output_emit(&op->out, ts, stored);
}

/* ---- checkpoints ------------------------------------------------------------------------------ */
static int keyed_snapshot(op_t *op, int64_t id, snap_writer *sw) {
  keyed_op *k = op->impl;
  return keyed_snapshot_take(op, id, k->backend, NULL, 0, sw);
}

/* Checks a restored record: the key is a row of the key schema in the group whose section
 * holds it, without a namespace. */
typedef struct key_check {
  const op_t *op;
  const keyed_op *k;
  int kg;
  char why[200];
} key_check;

static int check_key(void *arg, const ks_record *rec) {
  key_check *c = arg;
  const spate_schema *ks = c->op->node->key.key_schema;
  char err[160];
  if (row_validate(rec->key, rec->key_len, ks, false, err, sizeof err) < 0) {
    snprintf(c->why, sizeof c->why, "a malformed key: %s", err);
    return SPATE_ECORRUPT;
  }
  int kg = key_group_of(c->op, c->k, rec->key, rec->key_len);
  if (kg != c->kg) {
    snprintf(c->why, sizeof c->why, "holds a key of key group %d", kg);
    return SPATE_ECORRUPT;
  }
  if (rec->ns_len) {
    snprintf(c->why, sizeof c->why, "holds a key with a namespace");
    return SPATE_ECORRUPT;
  }
  return 0;
}

/* Reads the sections of this subtask's key groups into the (empty, just opened) backend, which
 * checks the stored rows against the input schema; every key is checked against the key schema
 * and the group whose section holds it. */
static int keyed_restore(op_t *op, const snap_restore *r) {
  keyed_op *k = op->impl;
  ks_key_group_range range = k->range;
  if (r->max_parallelism != op->node->max_parallelism || r->range.first != range.first ||
      r->range.last != range.last)
    return op_fail(op, SPATE_ESTATE,
                   "restore: the state is for key groups [%d, %d] of %d, this subtask owns "
                   "[%d, %d] of %d",
                   r->range.first, r->range.last, r->max_parallelism, range.first, range.last,
                   op->node->max_parallelism);
  for (int i = 0; i < r->nkg; i++) {
    const snap_kg_view *v = &r->kgs[i];
    if (!ks_key_group_range_contains(range, v->kg))
      return op_fail(op, SPATE_ECORRUPT, "restored key group %d is outside the range %d..%d", v->kg,
                     range.first, range.last);
    sp_reader rd;
    sp_reader_init(&rd, v->data, v->len);
    int rc = ks_read_key_group(k->backend, v->kg, &rd);
    if (rc < 0) return op_fail(op, rc, "restore: key group %d: %s", v->kg, ks_error(k->backend));
    if (rd.pos != rd.len)
      return op_fail(op, SPATE_ECORRUPT, "restore: key group %d: %zu unexpected bytes", v->kg,
                     rd.len - rd.pos);
    key_check c = {.op = op, .k = k, .kg = v->kg};
    if (ks_snapshot_key_group(k->backend, v->kg, check_key, &c) != 0)
      return op_fail(op, SPATE_ECORRUPT, "restore: the section of key group %d %s", v->kg, c.why);
  }
  return 0;
}

const op_vtable op_reduce_vt = {.open = keyed_open,
                                .prefetch = keyed_prefetch,
                                .process = reduce_process,
                                .close = keyed_close,
                                .snapshot = keyed_snapshot,
                                .restore = keyed_restore};
const op_vtable op_agg_vt = {.open = keyed_open,
                             .prefetch = keyed_prefetch,
                             .process = agg_process,
                             .close = keyed_close,
                             .snapshot = keyed_snapshot,
                             .restore = keyed_restore};

/*
 * keyed_operators.c: keyed reduce and the rolling aggregations (sum, min, max, min_by, max_by)
 * with Flink's semantics: the first row of a key is stored and emitted as it is; every later row
 * updates the stored row and the updated row is emitted. sum/min/max change only the aggregated
 * field (the other fields stay those of the first row); min_by/max_by replace the whole row when
 * the new value is strictly smaller/larger (so the first row wins ties).
 *
 * State is a keyed_table from the key row's bytes to the accumulated row. Numeric updates are
 * written into the stored row's slot in place: no allocation or copy per record.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "operators/registry.h"
#include "state/keyed_table.h"

typedef struct keyed_op {
  keyed_table table;
  spate_row_builder key_rb;
  agg_kind agg;
  int field;
  spate_type ftype;
  int nfields;
} keyed_op;

static int keyed_open(op_t *op) {
  keyed_op *k = sp_calloc(1, sizeof *k);
  if (!k) return SPATE_ENOMEM;
  op->impl = k;
  int rc = kt_init(&k->table);
  if (rc == 0) rc = rb_init(&k->key_rb, op->node->key.key_schema);
  if (rc < 0) return rc;
  k->nfields = op->in_schema->nfields;
  if (op->node->kind == OP_AGG) {
    sp_reader r;
    sp_reader_init(&r, op->node->params, op->node->params_len);
    k->agg = (agg_kind)sp_get_u8(&r);
    k->field = sp_get_i32(&r);
    if (!sp_reader_ok(&r) || k->field < 0 || k->field >= k->nfields || k->agg < AGG_SUM ||
        k->agg > AGG_MAX_BY)
      return op_fail(op, SPATE_ECORRUPT, "aggregation parameters are corrupt");
    k->ftype = op->in_schema->fields[k->field].type;
  }
  return 0;
}

static void keyed_close(op_t *op) {
  keyed_op *k = op->impl;
  if (!k) return;
  kt_destroy(&k->table);
  if (k->key_rb.schema) rb_destroy(&k->key_rb);
  sp_free(k);
}

/* Builds the key row of `row` into k->key_rb. */
static int extract_key(op_t *op, keyed_op *k, const spate_row *row, spate_row *key) {
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

/* Finds the stored row of the record's key. The first row of a key is stored and emitted as
 * it is (Flink's rolling aggregations): then *e is NULL and the return value is the emit's. */
static int stored_row(op_t *op, keyed_op *k, int64_t ts, const spate_row *row, kt_entry **e) {
  spate_row key;
  int rc = extract_key(op, k, row, &key);
  if (rc < 0) return rc;
  uint64_t h = sp_hash64(key.data, key.len);
  *e = kt_get(&k->table, key.data, key.len, h);
  if (*e) return 0;
  if (!kt_put(&k->table, key.data, key.len, h, row->data, row->len)) return SPATE_ENOMEM;
  return output_emit(&op->out, ts, row);
}

static int reduce_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  keyed_op *k = op->impl;
  kt_entry *e;
  int rc = stored_row(op, k, ts, row, &e);
  if (rc < 0 || !e) return rc;
  spate_row acc = {kt_value(e), e->vlen, row->nfields};
  spate_rb_begin(&op->rb);
  rc = ((spate_reduce_fn)op->udf)(&op->ctx, &acc, row, &op->rb);
  if (rc < 0) return op_udf_failed(op, rc, "reduce function");
  spate_row out;
  if (spate_rb_finish(&op->rb, &out) < 0)
    return op_fail(op, SPATE_EUDF, "reduce function built an invalid row: %s",
                   spate_rb_error(&op->rb));
  if (!(e = kt_set_value(&k->table, e, out.data, out.len))) return SPATE_ENOMEM;
  spate_row stored = {kt_value(e), e->vlen, row->nfields};
  return output_emit(&op->out, ts, &stored);
}

/* <0, 0, >0 as a compares to b, for the aggregated field (both non-null). */
static int compare_field(keyed_op *k, const spate_row *a, const spate_row *b) {
  switch (k->ftype) {
  case SPATE_DOUBLE: {
    double x = spate_row_double(a, k->field), y = spate_row_double(b, k->field);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  case SPATE_STRING:
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
  kt_entry *e;
  int rc = stored_row(op, k, ts, row, &e);
  if (rc < 0 || !e) return rc;
  spate_row acc = {kt_value(e), e->vlen, row->nfields};
  int f = k->field;
  if (!spate_row_is_null(row, f)) {
    bool acc_null = spate_row_is_null(&acc, f);
    if (k->agg == AGG_SUM) {
      uint64_t v;
      if (k->ftype == SPATE_DOUBLE) {
        double d = (acc_null ? 0.0 : spate_row_double(&acc, f)) + spate_row_double(row, f);
        memcpy(&v, &d, 8);
      } else if (k->ftype == SPATE_INT) { /* Java int arithmetic: wraps */
        uint32_t s = (uint32_t)(acc_null ? 0 : spate_row_int(&acc, f)) + (uint32_t)spate_row_int(row, f);
        v = (uint64_t)(int64_t)(int32_t)s;
      } else {
        v = (uint64_t)(acc_null ? 0 : spate_row_bigint(&acc, f)) + (uint64_t)spate_row_bigint(row, f);
      }
      write_slot(kt_value(e), k->nfields, f, v);
      clear_null(kt_value(e), f);
    } else {
      int c = acc_null ? 0 : compare_field(k, row, &acc); /* row vs acc */
      bool better = acc_null || ((k->agg == AGG_MIN || k->agg == AGG_MIN_BY) ? c < 0 : c > 0);
      if (better && (k->agg == AGG_MIN_BY || k->agg == AGG_MAX_BY)) {
        if (!(e = kt_set_value(&k->table, e, row->data, row->len))) return SPATE_ENOMEM;
      } else if (better && k->ftype != SPATE_STRING && k->ftype != SPATE_BYTES) {
        write_slot(kt_value(e), k->nfields, f, (uint64_t)spate_row_bigint(row, f));
        clear_null(kt_value(e), f);
      } else if (better) { /* variable-length field: rebuild the stored row */
        spate_rb_begin(&op->rb);
        for (int i = 0; i < k->nfields; i++) spate_rb_set_field(&op->rb, i, i == f ? row : &acc, i);
        spate_row out;
        if (spate_rb_finish(&op->rb, &out) < 0)
          return op_fail(op, SPATE_EUDF, "aggregation: %s", spate_rb_error(&op->rb));
        if (!(e = kt_set_value(&k->table, e, out.data, out.len))) return SPATE_ENOMEM;
      }
    }
  }
  spate_row stored = {kt_value(e), e->vlen, row->nfields};
  return output_emit(&op->out, ts, &stored);
}

const op_vtable op_reduce_vt = {.open = keyed_open, .process = reduce_process, .close = keyed_close};
const op_vtable op_agg_vt = {.open = keyed_open, .process = agg_process, .close = keyed_close};

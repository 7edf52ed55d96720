/*
 * keyed_operators.c: keyed reduce and the rolling aggregations (sum, min, max, min_by, max_by)
 * with Flink's semantics: the first row of a key is stored and emitted as it is; every later row
 * updates the stored row and the updated row is emitted. sum/min/max change only the aggregated
 * field (the other fields stay those of the first row); min_by/max_by replace the whole row when
 * the new value is strictly smaller/larger (so the first row wins ties).
 *
 * State is a keyed_table from the key row's bytes to the accumulated row. Numeric updates are
 * written into the stored row's slot in place: no allocation or copy per record.
 *
 * Checkpoints write the table per key group, each key's group computed from its key row at
 * snapshot time exactly as the hash partitioner computes it for the key's records (Java hash
 * of the key fields, Flink's murmur and modulo), so after a change of parallelism a restored
 * key lands on the subtask its records go to. A group's section:
 *   u32 count, count x (blob key row, blob stored row)
 */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "operators/registry.h"
#include "state/keyed_table.h"
#include "types/row.h"

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

/* ---- checkpoints ------------------------------------------------------------------------------ */
static ks_key_group_range my_range(const op_t *op) {
  return ks_key_group_range_for(op->node->max_parallelism, op->ctx.parallelism, op->ctx.subtask);
}

/* The key group of a key row, as result_partition.c computes it for the record. */
static int key_group_of(const op_t *op, const uint8_t *key, uint32_t len) {
  const spate_schema *ks = op->node->key.key_schema;
  int fields[64];
  int n = ks->nfields < 64 ? ks->nfields : 64;
  for (int i = 0; i < n; i++) fields[i] = i;
  spate_row row = {key, len, (uint32_t)ks->nfields};
  return sp_key_group(row_fields_java_hash(&row, fields, n, ks), op->node->max_parallelism);
}

typedef struct kg_ref {
  int kg;
  kt_entry *e;
} kg_ref;

static int by_key_group(const void *a, const void *b) {
  int x = ((const kg_ref *)a)->kg, y = ((const kg_ref *)b)->kg;
  return (x > y) - (x < y);
}

static int keyed_snapshot(op_t *op, int64_t id, snap_writer *sw) {
  keyed_op *k = op->impl;
  if (op->node->key.key_schema->nfields > 64)
    return op_fail(op, SPATE_EINVAL, "checkpoint %lld: keys of more than 64 fields",
                   (long long)id);
  size_t n = (size_t)k->table.count;
  if (n == 0) return 0;
  kg_ref *refs = sp_malloc(n * sizeof *refs);
  if (!refs) return op_fail(op, SPATE_ENOMEM, "checkpoint %lld: out of memory", (long long)id);
  uint64_t pos = 0;
  size_t m = 0;
  for (kt_entry *e; m < n && (e = kt_next(&k->table, &pos));)
    refs[m++] = (kg_ref){key_group_of(op, kt_key(e), e->klen), e};
  qsort(refs, m, sizeof *refs, by_key_group);
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < m;) {
    size_t j = i;
    while (j < m && refs[j].kg == refs[i].kg) j++;
    sp_writer *out = snap_key_group(sw, refs[i].kg);
    if (!out) {
      ks_key_group_range r = my_range(op);
      rc = op_fail(op, SPATE_ESTATE,
                   "checkpoint %lld: a key of key group %d reached this subtask, which owns "
                   "[%d, %d] (is the key selector deterministic?)",
                   (long long)id, refs[i].kg, r.first, r.last);
      break;
    }
    sp_put_u32(out, (uint32_t)(j - i));
    for (; i < j; i++) {
      sp_put_blob(out, kt_key(refs[i].e), refs[i].e->klen);
      sp_put_blob(out, kt_value(refs[i].e), refs[i].e->vlen);
    }
    if (out->failed)
      rc = op_fail(op, SPATE_ENOMEM, "checkpoint %lld: out of memory", (long long)id);
  }
  sp_free(refs);
  return rc;
}

/* Reads the sections of this subtask's key groups into the (empty, just opened) table. Every
 * key and row is checked against the schemas, and each key against the group whose section
 * holds it. */
static int keyed_restore(op_t *op, const snap_restore *r) {
  keyed_op *k = op->impl;
  const spate_schema *ks = op->node->key.key_schema;
  ks_key_group_range range = my_range(op);
  char err[160];
  if (ks->nfields > 64) return op_fail(op, SPATE_EINVAL, "restore: keys of more than 64 fields");
  if (r->max_parallelism != op->node->max_parallelism || r->range.first != range.first ||
      r->range.last != range.last)
    return op_fail(op, SPATE_ESTATE,
                   "restore: the state is for key groups [%d, %d] of %d, this subtask owns "
                   "[%d, %d] of %d",
                   r->range.first, r->range.last, r->max_parallelism, range.first, range.last,
                   op->node->max_parallelism);
  for (int i = 0; i < r->nkg; i++) {
    const snap_kg_view *v = &r->kgs[i];
    sp_reader rd;
    sp_reader_init(&rd, v->data, v->len);
    uint32_t count = sp_get_u32(&rd);
    if (sp_reader_ok(&rd) && count > (rd.len - rd.pos) / 8)
      sp_reader_fail(&rd, "key count exceeds the section");
    for (uint32_t j = 0; sp_reader_ok(&rd) && j < count; j++) {
      uint32_t klen, vlen;
      size_t at = rd.pos;
      const uint8_t *key = sp_get_blob(&rd, &klen);
      const uint8_t *val = sp_get_blob(&rd, &vlen);
      if (!sp_reader_ok(&rd)) break;
      if (row_validate(key, klen, ks, false, err, sizeof err) < 0 ||
          row_validate(val, vlen, op->in_schema, false, err, sizeof err) < 0)
        return op_fail(op, SPATE_ECORRUPT, "restore: key group %d, entry at offset %zu: %s",
                       v->kg, at, err);
      int kg = key_group_of(op, key, klen);
      if (kg != v->kg)
        return op_fail(op, SPATE_ECORRUPT,
                       "restore: the section of key group %d holds a key of key group %d "
                       "(offset %zu)",
                       v->kg, kg, at);
      uint64_t h = sp_hash64(key, klen);
      if (kt_get(&k->table, key, klen, h))
        return op_fail(op, SPATE_ECORRUPT, "restore: key group %d holds a key twice (offset %zu)",
                       v->kg, at);
      if (!kt_put(&k->table, key, klen, h, val, vlen))
        return op_fail(op, SPATE_ENOMEM, "restore: out of memory");
    }
    if (sp_reader_ok(&rd) && rd.pos != rd.len) sp_reader_fail(&rd, "unexpected bytes");
    if (!sp_reader_ok(&rd))
      return op_fail(op, SPATE_ECORRUPT, "restore: key group %d: %s", v->kg, rd.error);
  }
  return 0;
}

const op_vtable op_reduce_vt = {.open = keyed_open, .process = reduce_process, .close = keyed_close,
                                .snapshot = keyed_snapshot, .restore = keyed_restore};
const op_vtable op_agg_vt = {.open = keyed_open, .process = agg_process, .close = keyed_close,
                             .snapshot = keyed_snapshot, .restore = keyed_restore};

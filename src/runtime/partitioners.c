/*
 * partitioners.c: the keyed partitioners (HASH by key group, CUSTOM by the user's function) and
 * the setup of every partitioner. See partitioners.h.
 */
#include "runtime/partitioners.h"

#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/hash.h"
#include "runtime/udf_context.h"
#include "types/row.h"

/* 0..n-1 for hashing all fields of a selector's key row (key schemas are small). */
static const int *identity_fields(int n) {
  static const int ids[64] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                              16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
                              32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
                              48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
  return n <= 64 ? ids : NULL;
}

int partitioner_init(partitioner *p, const partitioner_config *c, struct spate_ctx *ctx, char *err,
                     size_t err_len) {
  memset(p, 0, sizeof *p);
  p->part = c->part;
  p->nsub = c->nsub;
  p->consumer_parallelism = c->consumer_parallelism;
  p->max_parallelism = c->max_parallelism;
  /* producers start their round robin at different subpartitions and shuffle differently */
  p->rr = c->subtask % (c->nsub > 0 ? c->nsub : 1);
  p->rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)(c->subtask + 1) * 0xBF58476D1CE4E5B9ull;
  p->key_group = -1;
  p->schema = c->schema;
  p->ctx = ctx;
  p->err = err;
  p->err_len = err_len;
  if (c->part != PART_HASH && c->part != PART_CUSTOM) return 0;
  p->nkey = c->nkey;
  p->key_fields = c->key_fields;
  if (c->key_fn || c->part == PART_CUSTOM) {
    p->key_rb = spate_rb_new(c->key_schema);
    if (!p->key_rb) return SPATE_ENOMEM;
  }
  if (c->key_fn) {
    p->key_fn = c->key_fn;
    p->key_schema = c->key_schema;
    p->key_all_fields = identity_fields(c->key_schema->nfields);
  }
  p->custom_fn = c->custom_fn;
  if (c->part == PART_HASH && c->max_parallelism > 0 && c->max_parallelism <= 32768 &&
      c->consumer_parallelism <= 65536) {
    p->kg_target = sp_malloc((size_t)c->max_parallelism * sizeof *p->kg_target);
    if (!p->kg_target) {
      partitioner_destroy(p);
      return SPATE_ENOMEM;
    }
    for (int kg = 0; kg < c->max_parallelism; kg++)
      p->kg_target[kg] =
          (uint16_t)sp_operator_index(c->max_parallelism, c->consumer_parallelism, kg);
  }
  return 0;
}

void partitioner_destroy(partitioner *p) {
  if (p->key_rb) spate_rb_free(p->key_rb);
  p->key_rb = NULL;
  sp_free(p->kg_target);
  p->kg_target = NULL;
}

int partitioner_key_target(partitioner *p, const spate_row *row, int *target) {
  const spate_row *key = row;
  spate_row keyrow;
  const int *fields = p->key_fields;
  int nkey = p->nkey;
  if (p->key_fn) {
    spate_rb_begin(p->key_rb);
    int rc = p->key_fn(p->ctx, row, p->key_rb);
    if (rc < 0) return op_udf_error(p->ctx, rc, p->err, p->err_len, "key selector");
    if (spate_rb_finish(p->key_rb, &keyrow) < 0)
      return op_ctx_fail(p->ctx, p->err, p->err_len, SPATE_EUDF,
                         "key selector built an invalid key: %s", spate_rb_error(p->key_rb));
    key = &keyrow;
    fields = NULL;
  }
  if (p->part == PART_CUSTOM) { /* the API keys custom partitioning by one field */
    spate_row kr;
    spate_rb_begin(p->key_rb);
    spate_rb_set_field(p->key_rb, 0, row, p->key_fields[0]);
    if (spate_rb_finish(p->key_rb, &kr) < 0)
      return op_ctx_fail(p->ctx, p->err, p->err_len, SPATE_EUDF, "custom partitioner key: %s",
                         spate_rb_error(p->key_rb));
    int t = p->custom_fn(p->ctx, &kr, p->nsub);
    if (t < 0 || t >= p->nsub) {
      if (t < 0 && p->ctx && op_ctx_has_error(p->ctx))
        return op_udf_error(p->ctx, t, p->err, p->err_len, "custom partitioner");
      return op_ctx_fail(p->ctx, p->err, p->err_len, SPATE_EUDF,
                         "custom partitioner returned partition %d, expected 0..%d", t,
                         p->nsub - 1);
    }
    *target = t;
    return 0;
  }
  int32_t h;
  if (fields) {
    h = row_fields_java_hash(key, fields, nkey, p->schema);
  } else {
    h = row_fields_java_hash(key, p->key_all_fields, (int)key->nfields, p->key_schema);
  }
  int kg = sp_key_group(h, p->max_parallelism);
  p->key_group = kg;
  *target = p->kg_target ? p->kg_target[kg]
                         : sp_operator_index(p->max_parallelism, p->consumer_parallelism, kg);
  return 0;
}

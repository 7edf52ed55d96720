/*
 * sql_aggregates.c: the accumulators of SQL's built-in aggregate functions (sql_aggregates.h),
 * with Flink's semantics for each: Count1AggFunction, CountAggFunction, SumAggFunction and
 * SumWithRetractAggFunction, AvgAggFunction, MinWithRetractAggFunction and its MAX twin, and the
 * distinct views Flink's DistinctAggCodeGen keeps.
 *
 * A call's working values (sqlagg_val, one per accumulator field) are read from the stored
 * accumulator row, changed by each input row and written back as a row; nothing is allocated
 * per record once the builders and copies have grown.
 */
#include "operators/sql_aggregates.h"

#include "state/timer_queue.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "types/decimal.h"

#define ACC_STATE "aggs"

/* The class of a numeric type: how its values are added. */
enum { NUM_NONE = 0, NUM_INT, NUM_FLOAT, NUM_DECIMAL };

static int num_class(spate_type t) {
  switch (t) {
  case SPATE_TINYINT:
  case SPATE_SMALLINT:
  case SPATE_INT:
  case SPATE_BIGINT: return NUM_INT;
  case SPATE_FLOAT:
  case SPATE_DOUBLE: return NUM_FLOAT;
  case SPATE_DECIMAL: return NUM_DECIMAL;
  default: return NUM_NONE;
  }
}

/* Whether MIN and MAX can order values of this type. */
static bool comparable(spate_type t) {
  switch (t) {
  case SPATE_ARRAY:
  case SPATE_MAP:
  case SPATE_MULTISET:
  case SPATE_ROW: return false;
  default: return true;
  }
}

static const char *kind_name(int k) {
  static const char *const names[] = {"?", "COUNT(*)", "COUNT", "SUM", "MIN", "MAX", "AVG"};
  return k >= 1 && k <= 6 ? names[k] : "?";
}

/* Java's integer arithmetic: the sum wraps at the type's width. */
static int64_t wrap(spate_type t, uint64_t v) {
  switch (t) {
  case SPATE_TINYINT: return (int8_t)v;
  case SPATE_SMALLINT: return (int16_t)v;
  case SPATE_INT: return (int32_t)v;
  default: return (int64_t)v;
  }
}

/* <0, 0, >0 as field ia of a compares to field ib of b (both non-null, of f's type). */
int sqlagg_compare(const schema_field *f, const spate_row *a, int ia, const spate_row *b, int ib) {
  switch (f->type) {
  case SPATE_DOUBLE: {
    double x = spate_row_double(a, ia), y = spate_row_double(b, ib);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  case SPATE_FLOAT: {
    float x = spate_row_float(a, ia), y = spate_row_float(b, ib);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  case SPATE_DECIMAL: {
    spate_int128 x = spate_row_decimal(a, ia, f->precision),
                 y = spate_row_decimal(b, ib, f->precision);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  case SPATE_TIMESTAMP:
  case SPATE_TIMESTAMP_LTZ: {
    spate_timestamp x = spate_row_timestamp_p(a, ia, f->precision),
                    y = spate_row_timestamp_p(b, ib, f->precision);
    if (x.ms != y.ms) return x.ms < y.ms ? -1 : 1;
    return x.nanos < y.nanos ? -1 : x.nanos > y.nanos ? 1 : 0;
  }
  case SPATE_STRING:
  case SPATE_CHAR:
  case SPATE_BINARY:
  case SPATE_BYTES: { /* UTF-8 bytes order as code points; Flink's BinaryString compares so */
    spate_bytes x = spate_row_string(a, ia), y = spate_row_string(b, ib);
    uint32_t n = x.len < y.len ? x.len : y.len;
    int c = n ? memcmp(x.ptr, y.ptr, n) : 0;
    return c ? c : (x.len < y.len ? -1 : x.len > y.len ? 1 : 0);
  }
  default: {
    int64_t x = spate_row_bigint(a, ia), y = spate_row_bigint(b, ib);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  }
}

/* ---- setting up ----------------------------------------------------------------------------- */

static int fail(char *err, size_t err_len, int i, const sqlagg_call *c, const char *what) {
  snprintf(err, err_len, "aggregate call %d (%s): %s", i, kind_name(c->kind), what);
  return SPATE_EINVAL;
}

/* Checks call i against the input and output schemas (Flink's result types). */
static int check_call(const sqlagg_call *c, int i, const spate_schema *in, char *err,
                      size_t err_len) {
  if (c->kind < SQL_AGG_COUNT_STAR || c->kind > SQL_AGG_AVG)
    return fail(err, err_len, i, c, "unknown aggregate function");
  if (c->filter >= 0 && (c->filter >= in->nfields || in->fields[c->filter].type != SPATE_BOOLEAN))
    return fail(err, err_len, i, c, "the FILTER field is not a BOOLEAN field of the input");
  if (c->filter < -1) return fail(err, err_len, i, c, "bad FILTER field index");
  if (c->kind == SQL_AGG_COUNT_STAR) {
    if (c->arg != -1) return fail(err, err_len, i, c, "COUNT(*) takes no argument (-1)");
  } else if (c->arg < 0 || c->arg >= in->nfields) {
    return fail(err, err_len, i, c, "the argument is not a field of the input");
  }
  const schema_field *o = c->out;
  switch (c->kind) {
  case SQL_AGG_COUNT_STAR:
  case SQL_AGG_COUNT:
    if (o->type != SPATE_BIGINT) return fail(err, err_len, i, c, "the result must be BIGINT");
    break;
  case SQL_AGG_SUM:
    if (num_class(c->in->type) == NUM_NONE)
      return fail(err, err_len, i, c, "the argument is not numeric");
    if (num_class(o->type) != num_class(c->in->type) ||
        (num_class(o->type) == NUM_INT && o->type != c->in->type) ||
        (o->type == SPATE_DECIMAL && o->scale < c->in->scale))
      return fail(err, err_len, i, c, "the result type is not the argument's (Flink's SUM)");
    break;
  case SQL_AGG_AVG:
    if (num_class(c->in->type) == NUM_NONE)
      return fail(err, err_len, i, c, "the argument is not numeric");
    if (num_class(o->type) != num_class(c->in->type) ||
        (o->type == SPATE_DECIMAL && o->scale < c->in->scale))
      return fail(err, err_len, i, c, "the result type does not fit the argument (Flink's AVG)");
    break;
  default: /* MIN, MAX */
    if (!comparable(c->in->type)) return fail(err, err_len, i, c, "the argument cannot be ordered");
    if (!schema_type_equal(o, c->in))
      return fail(err, err_len, i, c, "the result type is not the argument's");
    break;
  }
  return 0;
}

/* Copies a type descriptor (not name, nullability or sub-schema) into a schema's field. */
static void set_type(schema_field *dst, const schema_field *src) {
  dst->type = src->type;
  dst->precision = src->precision;
  dst->scale = src->scale;
  dst->unit = src->unit;
  dst->length = src->length;
}

/* The accumulator fields of call c: how many, and (types != NULL) their types from index at. */
static int acc_fields(const sqlagg_call *c, spate_type *types, schema_field *descs) {
  switch (c->kind) {
  case SQL_AGG_COUNT_STAR:
  case SQL_AGG_COUNT:
    if (types) types[0] = SPATE_BIGINT;
    return 1;
  case SQL_AGG_SUM:
  case SQL_AGG_AVG:
    if (types) {
      types[0] = c->out->type;
      types[1] = SPATE_BIGINT;
    }
    if (descs) {
      int cls = num_class(c->in->type);
      if (c->kind == SQL_AGG_SUM) {
        set_type(&descs[0], c->out);
      } else if (cls == NUM_INT) {
        type_default(&descs[0], SPATE_BIGINT);
      } else if (cls == NUM_FLOAT) {
        type_default(&descs[0], SPATE_DOUBLE);
      } else {
        type_default(&descs[0], SPATE_DECIMAL);
        descs[0].precision = DEC_MAX_PRECISION;
        descs[0].scale = c->in->scale;
      }
    }
    return 2;
  default:
    if (types) types[0] = c->in->type;
    if (descs) set_type(&descs[0], c->in);
    return 1;
  }
}

int sqlagg_init(sqlagg *a, const op_i32_list *kinds, const op_i32_list *args,
                const op_i32_list *distinct, const op_i32_list *filters, const spate_schema *in,
                const spate_schema *out, int out_first, bool retract, char *err, size_t err_len) {
  memset(a, 0, sizeof *a);
  uint32_t n = kinds->n;
  if (args->n != n || distinct->n != n || filters->n != n) {
    snprintf(err, err_len,
             "the aggregate call lists differ in length (kinds %u, args %u, distinct %u, "
             "filters %u)",
             kinds->n, args->n, distinct->n, filters->n);
    return SPATE_EINVAL;
  }
  if (out_first < 0 || (int64_t)out_first + n > out->nfields) {
    snprintf(err, err_len, "the output schema has no room for %u aggregate results", n);
    return SPATE_EINVAL;
  }
  a->retract = retract;
  a->ncalls = (int)n;
  if (n && !(a->calls = sp_calloc(n, sizeof *a->calls))) return SPATE_ENOMEM;
  int nacc = 1;
  for (uint32_t i = 0; i < n; i++) {
    sqlagg_call *c = &a->calls[i];
    c->kind = (sql_agg_kind)kinds->v[i];
    c->arg = args->v[i];
    c->filter = filters->v[i];
    c->out = &out->fields[out_first + (int)i];
    c->in = c->arg >= 0 && c->arg < in->nfields ? &in->fields[c->arg] : NULL;
    if (distinct->v[i] != 0 && distinct->v[i] != 1)
      return fail(err, err_len, (int)i, c, "the distinct flag is neither 0 nor 1");
    int rc = check_call(c, (int)i, in, err, err_len);
    if (rc < 0) return rc;
    /* MIN(DISTINCT x) is MIN(x); COUNT(DISTINCT *) does not parse */
    c->distinct = distinct->v[i] && c->kind != SQL_AGG_MIN && c->kind != SQL_AGG_MAX &&
                  c->kind != SQL_AGG_COUNT_STAR;
    c->acc = nacc;
    nacc += acc_fields(c, NULL, NULL);
  }
  char names[64][24];
  const char *nm[64];
  spate_type types[64];
  bool nullable[64];
  if (nacc > 64) {
    snprintf(err, err_len, "too many aggregate calls (%u)", n);
    return SPATE_EINVAL;
  }
  for (int j = 0; j < nacc; j++) {
    snprintf(names[j], sizeof names[j], j == 0 ? "$count" : "$acc%d", j);
    nm[j] = names[j];
    nullable[j] = j != 0;
  }
  types[0] = SPATE_BIGINT;
  for (int i = 0; i < a->ncalls; i++) acc_fields(&a->calls[i], &types[a->calls[i].acc], NULL);
  if (!(a->acc_schema = schema_new(nacc, nm, types, nullable))) return SPATE_ENOMEM;
  for (int i = 0; i < a->ncalls; i++)
    acc_fields(&a->calls[i], NULL, &a->acc_schema->fields[a->calls[i].acc]);
  const char *cn = "$n";
  spate_type ct = SPATE_BIGINT;
  bool cnull = false;
  if (!(a->count_schema = schema_new(1, &cn, &ct, &cnull))) return SPATE_ENOMEM;
  if (rb_init(&a->acc_rb, a->acc_schema) < 0 || rb_init(&a->count_rb, a->count_schema) < 0)
    return SPATE_ENOMEM;
  if (!(a->vals = sp_calloc((size_t)nacc, sizeof *a->vals))) return SPATE_ENOMEM;
  for (int i = 0; i < a->ncalls; i++) {
    sqlagg_call *c = &a->calls[i];
    bool minmax = c->kind == SQL_AGG_MIN || c->kind == SQL_AGG_MAX;
    if (!c->distinct && !(minmax && retract)) continue;
    const char *kn = "value";
    spate_type kt = c->in->type;
    bool knull = false;
    spate_schema *ks = schema_new(1, &kn, &kt, &knull);
    if (!ks) return SPATE_ENOMEM;
    set_type(&ks->fields[0], c->in);
    int rc = rb_init(&c->uk, ks);
    schema_unref(ks);
    if (rc < 0) return SPATE_ENOMEM;
  }
  return 0;
}

void sqlagg_free(sqlagg *a) {
  for (int i = 0; a->calls && i < a->ncalls; i++) {
    if (a->calls[i].uk.schema) rb_destroy(&a->calls[i].uk);
    sp_free(a->calls[i].copy);
  }
  sp_free(a->calls);
  if (a->acc_rb.schema) rb_destroy(&a->acc_rb);
  if (a->count_rb.schema) rb_destroy(&a->count_rb);
  schema_unref(a->acc_schema);
  schema_unref(a->count_schema);
  sp_free(a->vals);
  sp_free(a->loaded);
  sp_free(a->other);
  memset(a, 0, sizeof *a);
}

int sqlagg_register(sqlagg *a, ks_backend *b, const ks_ttl_config *ttl) {
  ks_descriptor d = {.name = ACC_STATE, .kind = KS_VALUE, .value_schema = a->acc_schema};
  if (ttl) d.ttl = *ttl;
  int rc = ks_register(b, &d, &a->acc_state);
  for (int i = 0; rc == 0 && i < a->ncalls; i++) {
    sqlagg_call *c = &a->calls[i];
    if (!c->uk.schema) continue;
    char name[32];
    snprintf(name, sizeof name, "%s%d", c->distinct ? "distinct" : "minmax", i);
    ks_descriptor m = {.name = name,
                       .kind = KS_MAP,
                       .value_schema = a->count_schema,
                       .user_key_schema = c->uk.schema};
    if (ttl) m.ttl = *ttl;
    rc = ks_register(b, &m, &c->map);
  }
  a->in_place = !ttl || ttl->update == KS_TTL_DISABLED;
  for (int i = 0; i < a->ncalls; i++)
    if (a->calls[i].uk.schema) a->in_place = false;
  for (int j = 0; j < a->acc_schema->nfields; j++)
    if (type_is_var(&a->acc_schema->fields[j])) a->in_place = false;
  return rc;
}

/* ---- working values ------------------------------------------------------------------------- */

/* Copies row bytes into a growable buffer and points *out at the copy. */
static int copy_row(const spate_row *r, uint8_t **buf, uint32_t *cap, spate_row *out) {
  if (r->len > *cap) {
    uint32_t n = r->len < 64 ? 64 : r->len;
    uint8_t *p = sp_realloc(*buf, n);
    if (!p) return SPATE_ENOMEM;
    *buf = p;
    *cap = n;
  }
  if (r->len) memcpy(*buf, r->data, r->len);
  *out = (spate_row){*buf, r->len, r->nfields};
  return 0;
}

/* Field j of row r (of the accumulator schema) as a working value. */
static void read_val(const sqlagg *a, const spate_row *r, int j, sqlagg_val *v) {
  const schema_field *f = &a->acc_schema->fields[j];
  memset(v, 0, sizeof *v);
  v->row = r;
  v->field = j;
  v->null = spate_row_is_null(r, j);
  if (v->null) return;
  switch (num_class(f->type)) {
  case NUM_INT: v->i = spate_row_bigint(r, j); break;
  case NUM_FLOAT:
    v->d = f->type == SPATE_FLOAT ? spate_row_float(r, j) : spate_row_double(r, j);
    break;
  case NUM_DECIMAL: v->dec = spate_row_decimal(r, j, f->precision); break;
  default: break;
  }
}

int sqlagg_load(sqlagg *a) {
  spate_row r;
  a->slot = NULL;
  int rc = a->in_place ? ks_value_get_writable(a->acc_state, &r) : ks_value_get(a->acc_state, &r);
  if (rc < 0) return rc;
  if (rc == 1) {
    if (a->in_place) {
      a->slot = (uint8_t *)r.data;
      a->slot_len = r.len;
    }
    if (copy_row(&r, &a->loaded, &a->loaded_cap, &a->loaded_row) < 0) return SPATE_ENOMEM;
    for (int j = 0; j < a->acc_schema->nfields; j++) read_val(a, &a->loaded_row, j, &a->vals[j]);
    return 1;
  }
  for (int j = 0; j < a->acc_schema->nfields; j++) {
    memset(&a->vals[j], 0, sizeof a->vals[j]);
    a->vals[j].null = true;
  }
  a->vals[0].null = false; /* the counts start at 0, the values NULL */
  for (int i = 0; i < a->ncalls; i++) {
    const sqlagg_call *c = &a->calls[i];
    int cnt = c->kind == SQL_AGG_SUM || c->kind == SQL_AGG_AVG            ? c->acc + 1
              : c->kind == SQL_AGG_COUNT || c->kind == SQL_AGG_COUNT_STAR ? c->acc
                                                                          : -1;
    if (cnt >= 0) a->vals[cnt].null = false;
  }
  return 0;
}

/* Adds (sign 1) or subtracts (-1) the argument of row into the sum value v of type t. */
static void add_num(const sqlagg_call *c, const schema_field *t, sqlagg_val *v,
                    const spate_row *row, int sign) {
  const schema_field *in = c->in;
  switch (num_class(in->type)) {
  case NUM_INT: {
    uint64_t x = (uint64_t)spate_row_bigint(row, c->arg);
    uint64_t s = sign > 0 ? (uint64_t)v->i + x : (uint64_t)v->i - x;
    v->i = wrap(t->type, s);
    break;
  }
  case NUM_FLOAT: {
    double x =
        in->type == SPATE_FLOAT ? spate_row_float(row, c->arg) : spate_row_double(row, c->arg);
    if (t->type == SPATE_FLOAT) /* Flink's FloatSum: float arithmetic */
      v->d = (float)(sign > 0 ? (float)v->d + (float)x : (float)v->d - (float)x);
    else
      v->d = sign > 0 ? v->d + x : v->d - x;
    break;
  }
  default: {
    spate_int128 x =
        spate_row_decimal(row, c->arg, in->precision) * dec_pow10(t->scale - in->scale);
    v->dec = sign > 0 ? v->dec + x : v->dec - x;
    break;
  }
  }
}

/* The map count of the call's current user key (0: absent). */
static int map_count(sqlagg *a, sqlagg_call *c, const spate_row *uk, int64_t *n) {
  spate_row v;
  int rc = ks_map_get(c->map, uk, &v);
  if (rc < 0) return rc;
  *n = rc == 1 ? spate_row_bigint(&v, 0) : 0;
  (void)a;
  return 0;
}

/* Sets the map count of uk to n (0 removes it). */
static int map_set(sqlagg *a, sqlagg_call *c, const spate_row *uk, int64_t n) {
  if (n == 0) {
    int rc = ks_map_remove(c->map, uk);
    return rc < 0 ? rc : 0;
  }
  spate_row v;
  spate_rb_begin(&a->count_rb);
  spate_rb_set_bigint(&a->count_rb, 0, n);
  if (spate_rb_finish(&a->count_rb, &v) < 0) return SPATE_EINVAL;
  return ks_map_put(c->map, uk, &v);
}

/* The user key of the call's map: the argument's value of row. */
static int user_key(sqlagg_call *c, const spate_row *row, int field, spate_row *uk) {
  spate_rb_begin(&c->uk);
  spate_rb_set_field(&c->uk, 0, row, field);
  return spate_rb_finish(&c->uk, uk) < 0 ? SPATE_EINVAL : 0;
}

/* After the current extreme was retracted: the extreme of the values the map still counts
 * (MinWithRetractAggFunction's updateMin), copied into the call's own buffer; NULL if none. */
static int rescan_extreme(sqlagg *a, sqlagg_call *c, sqlagg_val *v) {
  ks_map_iter it;
  int rc = ks_map_iter_begin(c->map, &it);
  if (rc < 0) return rc;
  spate_row k, n;
  bool found = false;
  while (ks_map_next(&it, &k, &n)) {
    if (spate_row_bigint(&n, 0) <= 0) continue;
    if (found) {
      int cmp = sqlagg_compare(c->in, &k, 0, &c->copy_row, 0);
      if (c->kind == SQL_AGG_MIN ? cmp >= 0 : cmp <= 0) continue;
    }
    if (copy_row(&k, &c->copy, &c->copy_cap, &c->copy_row) < 0) return SPATE_ENOMEM;
    found = true;
  }
  (void)a;
  v->null = !found;
  v->row = &c->copy_row;
  v->field = 0;
  return 0;
}

/* MIN / MAX: accumulates or retracts the argument of row. */
static int apply_extreme(sqlagg *a, sqlagg_call *c, const spate_row *row, bool accumulate) {
  sqlagg_val *v = &a->vals[c->acc];
  if (!a->retract) { /* append-only: the value only moves one way */
    if (!accumulate) return 0;
    if (!v->null) {
      int cmp = sqlagg_compare(c->in, row, c->arg, v->row, v->field);
      if (c->kind == SQL_AGG_MIN ? cmp >= 0 : cmp <= 0) return 0;
    }
    v->null = false;
    v->row = row;
    v->field = c->arg;
    return 0;
  }
  spate_row uk;
  int64_t n;
  int rc = user_key(c, row, c->arg, &uk);
  if (rc == 0) rc = map_count(a, c, &uk, &n);
  if (rc == 0) rc = map_set(a, c, &uk, accumulate ? n + 1 : n - 1);
  if (rc < 0) return rc;
  if (accumulate) {
    if (n + 1 != 1) return 0; /* already counted (or still owed a retraction) */
    if (!v->null) {
      int cmp = sqlagg_compare(c->in, row, c->arg, v->row, v->field);
      if (c->kind == SQL_AGG_MIN ? cmp >= 0 : cmp <= 0) return 0;
    }
    v->null = false;
    v->row = row;
    v->field = c->arg;
    return 0;
  }
  if (n - 1 != 0 || v->null || sqlagg_compare(c->in, row, c->arg, v->row, v->field) != 0) return 0;
  return rescan_extreme(a, c, v);
}

/* Whether the call's distinct view lets the value through: it appears (accumulate) or
 * disappears (retract). 1 yes, 0 no, negative on error. */
static int distinct_pass(sqlagg *a, sqlagg_call *c, const spate_row *row, bool accumulate) {
  spate_row uk;
  int64_t n;
  int rc = user_key(c, row, c->arg, &uk);
  if (rc == 0) rc = map_count(a, c, &uk, &n);
  if (rc == 0) rc = map_set(a, c, &uk, accumulate ? n + 1 : n - 1);
  if (rc < 0) return rc;
  return accumulate ? n == 0 : n - 1 == 0;
}

int sqlagg_apply(sqlagg *a, const spate_row *row, bool accumulate) {
  int sign = accumulate ? 1 : -1;
  a->vals[0].i += sign;
  for (int i = 0; i < a->ncalls; i++) {
    sqlagg_call *c = &a->calls[i];
    if (c->filter >= 0 && (spate_row_is_null(row, c->filter) || !spate_row_bool(row, c->filter)))
      continue;
    if (c->kind == SQL_AGG_COUNT_STAR) {
      a->vals[c->acc].i += sign;
      continue;
    }
    if (spate_row_is_null(row, c->arg)) continue;
    if (c->distinct) {
      int rc = distinct_pass(a, c, row, accumulate);
      if (rc <= 0) {
        if (rc < 0) return rc;
        continue;
      }
    }
    sqlagg_val *v = &a->vals[c->acc];
    switch (c->kind) {
    case SQL_AGG_COUNT: v->i += sign; break;
    case SQL_AGG_SUM:
    case SQL_AGG_AVG: {
      if (v->null) {
        memset(v, 0, sizeof *v);
      }
      add_num(c, &a->acc_schema->fields[c->acc], v, row, sign);
      a->vals[c->acc + 1].i += sign;
      break;
    }
    default: {
      int rc = apply_extreme(a, c, row, accumulate);
      if (rc < 0) return rc;
      break;
    }
    }
  }
  return 0;
}

/* Sets field i of rb, of type f, to the number v (a DECIMAL that does not fit f is NULL, as
 * Flink's overflowing decimal arithmetic). */
static void set_num(spate_row_builder *rb, int i, const schema_field *f, const sqlagg_val *v) {
  switch (f->type) {
  case SPATE_TINYINT: spate_rb_set_tinyint(rb, i, (int8_t)v->i); break;
  case SPATE_SMALLINT: spate_rb_set_smallint(rb, i, (int16_t)v->i); break;
  case SPATE_INT: spate_rb_set_int(rb, i, (int32_t)v->i); break;
  case SPATE_BIGINT: spate_rb_set_bigint(rb, i, v->i); break;
  case SPATE_FLOAT: spate_rb_set_float(rb, i, (float)v->d); break;
  case SPATE_DOUBLE: spate_rb_set_double(rb, i, v->d); break;
  case SPATE_DECIMAL:
    if (dec_fits(v->dec, f->precision))
      spate_rb_set_decimal(rb, i, v->dec);
    else
      spate_rb_set_null(rb, i);
    break;
  default: spate_rb_set_null(rb, i); break;
  }
}

int sqlagg_store(sqlagg *a) {
  spate_row_builder *rb = &a->acc_rb;
  spate_rb_begin(rb);
  spate_rb_set_bigint(rb, 0, a->vals[0].i);
  for (int i = 0; i < a->ncalls; i++) {
    const sqlagg_call *c = &a->calls[i];
    const sqlagg_val *v = &a->vals[c->acc];
    switch (c->kind) {
    case SQL_AGG_COUNT_STAR:
    case SQL_AGG_COUNT: spate_rb_set_bigint(rb, c->acc, v->i); break;
    case SQL_AGG_SUM:
    case SQL_AGG_AVG:
      if (!v->null) set_num(rb, c->acc, &a->acc_schema->fields[c->acc], v);
      spate_rb_set_bigint(rb, c->acc + 1, a->vals[c->acc + 1].i);
      break;
    default: /* MIN, MAX: a field of the row the value was found in */
      if (!v->null) spate_rb_set_field(rb, c->acc, v->row, v->field);
      break;
    }
  }
  spate_row r;
  if (spate_rb_finish(rb, &r) < 0) return SPATE_EINVAL;
  uint8_t *slot = a->slot;
  a->slot = NULL;
  if (slot && r.len == a->slot_len) { /* over the bytes sqlagg_load read, found writable */
    memcpy(slot, r.data, r.len);
    return 0;
  }
  return ks_value_update(a->acc_state, &r);
}

int sqlagg_clear(sqlagg *a) {
  a->slot = NULL;
  int rc = ks_clear(a->acc_state);
  for (int i = 0; rc >= 0 && i < a->ncalls; i++)
    if (a->calls[i].map) rc = ks_clear(a->calls[i].map);
  return rc < 0 ? rc : 0;
}

/* sum / count at the result's scale, rounded half up (away from zero on a tie), as Flink's
 * decimal division; false when it does not fit 38 digits. */
static bool dec_avg(spate_int128 sum, int64_t count, int extra_digits, spate_int128 *out) {
  bool neg = (sum < 0) != (count < 0);
  unsigned __int128 s = sum < 0 ? -(unsigned __int128)sum : (unsigned __int128)sum;
  unsigned __int128 c = count < 0 ? -(unsigned __int128)count : (unsigned __int128)count;
  unsigned __int128 q = s / c, r = s % c;
  unsigned __int128 limit = (unsigned __int128)dec_pow10(DEC_MAX_PRECISION);
  for (int k = 0; k < extra_digits; k++) {
    if (q > limit / 10) return false;
    q = q * 10 + (r * 10) / c;
    r = (r * 10) % c;
  }
  if (2 * r >= c) q++;
  if (q >= limit) return false;
  *out = neg ? -(spate_int128)q : (spate_int128)q;
  return true;
}

void sqlagg_result(const sqlagg *a, spate_row_builder *rb, int first) {
  for (int i = 0; i < a->ncalls; i++) {
    const sqlagg_call *c = &a->calls[i];
    const sqlagg_val *v = &a->vals[c->acc];
    int pos = first + i;
    switch (c->kind) {
    case SQL_AGG_COUNT_STAR:
    case SQL_AGG_COUNT: spate_rb_set_bigint(rb, pos, v->i); break;
    case SQL_AGG_SUM:
      if (a->vals[c->acc + 1].i == 0 || v->null)
        spate_rb_set_null(rb, pos);
      else
        set_num(rb, pos, c->out, v);
      break;
    case SQL_AGG_AVG: {
      int64_t n = a->vals[c->acc + 1].i;
      if (n == 0 || v->null) {
        spate_rb_set_null(rb, pos);
        break;
      }
      sqlagg_val q = {0};
      switch (num_class(c->in->type)) {
      case NUM_INT: /* Java's long division, then the cast to the result type */
        q.i = (n == -1 && v->i == INT64_MIN) ? INT64_MIN : v->i / n;
        break;
      case NUM_FLOAT: q.d = v->d / (double)n; break;
      default:
        if (!dec_avg(v->dec, n, c->out->scale - c->in->scale, &q.dec)) {
          spate_rb_set_null(rb, pos);
          continue;
        }
        break;
      }
      set_num(rb, pos, c->out, &q);
      break;
    }
    default:
      if (v->null)
        spate_rb_set_null(rb, pos);
      else
        spate_rb_set_field(rb, pos, v->row, v->field);
      break;
    }
  }
}

/* ---- merging (session windows) ----------------------------------------------------------- */

/* One distinct-map entry carried from a merged namespace: the user key's bytes and count. */
typedef struct carried {
  uint32_t off, len;
  int64_t n;
} carried;

/* Moves the entries of call c's map under from_ns into the current (target) namespace: counts
 * add up, and a value new to the target passes into its accumulator. */
static int merge_distinct(sqlagg *a, sqlagg_call *c, ks_backend *b, const uint8_t *from_ns,
                          uint32_t from_len, const uint8_t *to_ns, uint32_t to_len) {
  int rc = ks_set_namespace(b, from_ns, from_len);
  if (rc < 0) return rc;
  ks_map_iter it;
  if ((rc = ks_map_iter_begin(c->map, &it)) < 0) return rc;
  size_t cap = (size_t)rc;
  carried *e = cap ? sp_calloc(cap, sizeof *e) : NULL;
  uint8_t *bytes = NULL;
  size_t nb = 0, ne = 0;
  spate_row k, n;
  if (cap && !e) return SPATE_ENOMEM;
  while (ne < cap && ks_map_next(&it, &k, &n)) {
    uint8_t *p = sp_realloc(bytes, nb + k.len);
    if (!p) {
      rc = SPATE_ENOMEM;
      goto out;
    }
    bytes = p;
    memcpy(bytes + nb, k.data, k.len);
    e[ne++] = (carried){(uint32_t)nb, k.len, spate_row_bigint(&n, 0)};
    nb += k.len;
  }
  if ((rc = ks_set_namespace(b, to_ns, to_len)) < 0) goto out;
  for (size_t i = 0; i < ne; i++) {
    spate_row uk = {bytes + e[i].off, e[i].len, 1};
    int64_t have;
    if ((rc = map_count(a, c, &uk, &have)) < 0 || (rc = map_set(a, c, &uk, have + e[i].n)) < 0)
      goto out;
    if (have != 0 || have + e[i].n <= 0) continue;
    sqlagg_val *v = &a->vals[c->acc];
    if (c->kind == SQL_AGG_COUNT) {
      v->i++;
    } else { /* SUM, AVG: the user key row holds the value as field 0 */
      sqlagg_call one = *c;
      one.arg = 0;
      if (v->null) memset(v, 0, sizeof *v);
      add_num(&one, &a->acc_schema->fields[c->acc], v, &uk, 1);
      a->vals[c->acc + 1].i++;
    }
  }
  rc = 0;
out:
  sp_free(e);
  sp_free(bytes);
  return rc;
}

int sqlagg_merge_from(sqlagg *a, const uint8_t *from_ns, uint32_t from_len, const uint8_t *to_ns,
                      uint32_t to_len, ks_backend *b) {
  a->slot = NULL; /* other namespaces are read before the store */
  int rc = ks_set_namespace(b, from_ns, from_len);
  if (rc < 0) return rc;
  spate_row r;
  if ((rc = ks_value_get(a->acc_state, &r)) < 0) return rc;
  bool have = rc == 1;
  if (have && copy_row(&r, &a->other, &a->other_cap, &a->other_row) < 0) return SPATE_ENOMEM;
  if ((rc = ks_set_namespace(b, to_ns, to_len)) < 0) return rc;
  if (!have) return 0;
  const spate_row *o = &a->other_row;
  a->vals[0].i += spate_row_bigint(o, 0);
  for (int i = 0; i < a->ncalls; i++) {
    sqlagg_call *c = &a->calls[i];
    sqlagg_val *v = &a->vals[c->acc];
    if (c->distinct) {
      if ((rc = merge_distinct(a, c, b, from_ns, from_len, to_ns, to_len)) < 0) return rc;
      continue;
    }
    sqlagg_val x;
    read_val(a, o, c->acc, &x);
    switch (c->kind) {
    case SQL_AGG_COUNT_STAR:
    case SQL_AGG_COUNT: v->i += x.i; break;
    case SQL_AGG_SUM:
    case SQL_AGG_AVG: {
      if (x.null) break;
      const schema_field *t = &a->acc_schema->fields[c->acc];
      if (v->null) {
        *v = x;
      } else if (num_class(t->type) == NUM_INT) {
        v->i = wrap(t->type, (uint64_t)v->i + (uint64_t)x.i);
      } else if (num_class(t->type) == NUM_FLOAT) {
        v->d = t->type == SPATE_FLOAT ? (float)((float)v->d + (float)x.d) : v->d + x.d;
      } else {
        v->dec += x.dec;
      }
      v->row = NULL;
      a->vals[c->acc + 1].i += spate_row_bigint(o, c->acc + 1);
      break;
    }
    default:
      if (x.null) break;
      if (!v->null) {
        int cmp = sqlagg_compare(c->in, o, c->acc, v->row, v->field);
        if (c->kind == SQL_AGG_MIN ? cmp >= 0 : cmp <= 0) break;
      }
      *v = x; /* a field of a->other_row, which the next merge overwrites: stored below */
      break;
    }
  }
  if ((rc = sqlagg_store(a)) < 0) return rc;
  rc = sqlagg_load(a);
  return rc < 0 ? rc : 0;
}

/* ---- keys ----------------------------------------------------------------------------------- */

int sqlagg_key_init(sqlagg_key *k, op_t *op, ks_key_group_range range) {
  memset(k, 0, sizeof *k);
  const spate_schema *ks = op->node->key.key_schema;
  if (!ks || op->node->key.nfields <= 0 || op->node->key.selector)
    return op_fail(op, SPATE_ECORRUPT, "an SQL aggregation needs a key of input fields");
  if (rb_init(&k->rb, ks) < 0 || !(k->fields = sp_malloc((size_t)ks->nfields * sizeof *k->fields)))
    return op_fail(op, SPATE_ENOMEM, "out of memory");
  for (int i = 0; i < ks->nfields; i++) k->fields[i] = i;
  k->range = range;
  return 0;
}

void sqlagg_key_free(sqlagg_key *k) {
  if (k->rb.schema) rb_destroy(&k->rb);
  sp_free(k->fields);
  memset(k, 0, sizeof *k);
}

int sqlagg_key_group(const op_t *op, const sqlagg_key *k, const uint8_t *key, uint32_t len) {
  const spate_schema *ks = op->node->key.key_schema;
  spate_row row = {key, len, (uint32_t)ks->nfields};
  return sp_key_group(row_fields_java_hash(&row, k->fields, ks->nfields, ks),
                      op->node->max_parallelism);
}

int sqlagg_key_set(sqlagg_key *k, op_t *op, ks_backend *b, const spate_row *row) {
  const key_spec *fk = &op->node->key;
  if (!row_project(row, fk->fields, fk->nfields, &k->rb, &k->key)) {
    spate_rb_begin(&k->rb);
    for (int i = 0; i < fk->nfields; i++) spate_rb_set_field(&k->rb, i, row, fk->fields[i]);
    if (spate_rb_finish(&k->rb, &k->key) < 0)
      return op_fail(op, SPATE_EINVAL, "invalid key: %s", spate_rb_error(&k->rb));
  }
  int kg = op->input_key_group >= 0 ? op->input_key_group
                                    : sqlagg_key_group(op, k, k->key.data, k->key.len);
  if (!ks_key_group_range_contains(k->range, kg))
    return op_fail(op, SPATE_ESTATE,
                   "a key of key group %d reached this subtask, which owns [%d, %d]", kg,
                   k->range.first, k->range.last);
  k->key_group = kg;
  int rc = ks_set_current_key(b, k->key.data, k->key.len, kg);
  return rc < 0 ? op_fail(op, rc, "%s", ks_error(b)) : 0;
}

/* ---- restored timers ------------------------------------------------------------------------ */

typedef struct timer_check {
  op_t *op;
  const sqlagg_key *k;
  int kg;
  bool (*ns_ok)(const tq_timer_view *t);
  const char *what;
  char why[200];
} timer_check;

static int check_timer(void *arg, const tq_timer_view *t) {
  timer_check *c = arg;
  char err[160];
  if (row_validate(t->key, t->key_len, c->op->node->key.key_schema, false, err, sizeof err) < 0) {
    snprintf(c->why, sizeof c->why, "a malformed key: %s", err);
    return SPATE_ECORRUPT;
  }
  int kg = sqlagg_key_group(c->op, c->k, t->key, t->key_len);
  if (kg != c->kg) {
    snprintf(c->why, sizeof c->why, "a key of key group %d", kg);
    return SPATE_ECORRUPT;
  }
  if (!c->ns_ok(t)) {
    snprintf(c->why, sizeof c->why, "%s", c->what);
    return SPATE_ECORRUPT;
  }
  return 0;
}

int sqlagg_check_timers(op_t *op, const sqlagg_key *k, const struct timer_queue *tq,
                        const snap_restore *r, bool (*ns_ok)(const tq_timer_view *t),
                        const char *what) {
  for (int i = 0; i < r->nkg; i++) {
    timer_check c = {.op = op, .k = k, .kg = r->kgs[i].kg, .ns_ok = ns_ok, .what = what};
    if (tq_visit_key_group(tq, c.kg, check_timer, &c) != 0)
      return op_fail(op, SPATE_ECORRUPT, "restore: key group %d holds %s", c.kg, c.why);
  }
  return 0;
}

/*
 * sql_eval.c: the interpreter of SQL calc programs (sql_program.h): the instruction loop, column
 * loads in place, arithmetic with Flink's (Java's) semantics, comparisons, three-valued logic,
 * the math functions, and the writes into the output row. Strings, casts and time live in
 * sql_eval_strings.c, sql_eval_cast.c and sql_eval_temporal.c.
 *
 * Semantics kept from Flink's generated code: integer arithmetic wraps at the operand width
 * (Java's int and long; TINYINT and SMALLINT wrap at their own width as Flink casts the int
 * result back), integer division and remainder by zero fail with Java's "/ by zero", DOUBLE
 * and FLOAT follow IEEE (division by zero gives an infinity), DECIMAL results are rounded
 * HALF_UP to the result scale the validator derived and are NULL when they exceed its
 * precision (DecimalData's overflow).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "operators/sql_program.h"
#include "types/decimal.h"

int sqlp_eval_fail(sqlp_program *p, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err, sizeof p->err, fmt, ap);
  va_end(ap);
  return rc;
}

/* ---- DECIMAL ---------------------------------------------------------------------------- */

/* x at scale from, rescaled to scale to (HALF_UP when digits are dropped); false on overflow. */
static bool dec_rescale(spate_int128 x, int from, int to, spate_int128 *out) {
  if (to >= from) {
    if (to - from > 38) return x == 0 ? (*out = 0, true) : false;
    return !__builtin_mul_overflow(x, dec_pow10(to - from), out);
  }
  if (from - to > 38) {
    *out = 0;
    return true;
  }
  spate_int128 d = dec_pow10(from - to), q = x / d, r = x % d;
  if (r < 0) r = -r;
  if (r * 2 >= d) q += x < 0 ? -1 : 1;
  *out = q;
  return true;
}

/* a / b rounded HALF_UP; b != 0. */
static spate_int128 div_half_up(spate_int128 a, spate_int128 b) {
  spate_int128 q = a / b, r = a % b;
  if (r < 0) r = -r;
  spate_int128 bb = b < 0 ? -b : b;
  if (r >= bb - r) q += (a < 0) != (b < 0) ? -1 : 1;
  return q;
}

static int dec_arith(sqlp_program *p, int op, const sqlp_reg *rd, sqlp_val *dst, const sqlp_reg *ra,
                     const sqlp_val *a, const sqlp_reg *rb, const sqlp_val *b) {
  spate_int128 r;
  int sr = rd->scale;
  bool ok = true;
  switch (op) {
  case SQLP_ADD:
  case SQLP_SUB:
  case SQLP_MOD: {
    int s = ra->scale > rb->scale ? ra->scale : rb->scale;
    spate_int128 x, y;
    ok = dec_rescale(a->x, ra->scale, s, &x) && dec_rescale(b->x, rb->scale, s, &y);
    if (!ok) break;
    if (op == SQLP_MOD) {
      if (y == 0) return sqlp_eval_fail(p, SPATE_EINVAL, "Division by zero");
      r = x % y;
    } else {
      ok = op == SQLP_ADD ? !__builtin_add_overflow(x, y, &r) : !__builtin_sub_overflow(x, y, &r);
    }
    ok = ok && dec_rescale(r, s, sr, &r);
    break;
  }
  case SQLP_MUL:
    ok = !__builtin_mul_overflow(a->x, b->x, &r) && dec_rescale(r, ra->scale + rb->scale, sr, &r);
    break;
  default: { /* DIV: a * 10^(sr - sa + sb) / b, the exponent moved to b when negative */
    if (b->x == 0) return sqlp_eval_fail(p, SPATE_EINVAL, "Division by zero");
    int e = sr - ra->scale + rb->scale;
    spate_int128 num = a->x, den = b->x;
    if (e >= 0) {
      /* one more digit than needed, for the rounding, is what div_half_up does exactly */
      ok = e <= 38 && !__builtin_mul_overflow(num, dec_pow10(e), &num);
    } else {
      ok = -e <= 38 && !__builtin_mul_overflow(den, dec_pow10(-e), &den);
    }
    if (ok) r = div_half_up(num, den);
    break;
  }
  }
  if (!ok || !dec_fits(r, rd->precision)) {
    dst->null = true; /* Flink: a DECIMAL overflow is NULL */
    return 0;
  }
  dst->x = r;
  return 0;
}

static int dec_cmp(const sqlp_reg *ra, spate_int128 a, const sqlp_reg *rb, spate_int128 b) {
  if (ra->scale != rb->scale) {
    int s = ra->scale > rb->scale ? ra->scale : rb->scale;
    spate_int128 x, y;
    if (!dec_rescale(a, ra->scale, s, &x) || !dec_rescale(b, rb->scale, s, &y)) {
      /* one overflowed 10^38 * 10^...: compare as doubles, exact enough at that magnitude */
      double da = (double)a / pow(10, ra->scale), db = (double)b / pow(10, rb->scale);
      return da < db ? -1 : da > db;
    }
    a = x;
    b = y;
  }
  return a < b ? -1 : a > b;
}

/* ---- arithmetic and comparison ------------------------------------------------------------ */

static int arith(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                 const sqlp_val *b) {
  const sqlp_reg *rd = &p->regs[in->dst], *ra = &p->regs[in->a], *rb = &p->regs[in->b];
  int k = rd->kind;
  if (k == SQLP_DEC) return dec_arith(p, (int)in->imm, rd, dst, ra, a, rb, b);
  if (k == SQLP_F32 || k == SQLP_F64) {
    double x = a->d, y = b->d, r;
    switch (in->imm) {
    case SQLP_ADD: r = x + y; break;
    case SQLP_SUB: r = x - y; break;
    case SQLP_MUL: r = x * y; break;
    case SQLP_DIV: r = x / y; break;
    default: r = fmod(x, y); break;
    }
    dst->d = k == SQLP_F32 ? (double)(float)r : r;
    return 0;
  }
  if (k == SQLP_IVL_YM || k == SQLP_IVL_DT) {
    int kb = rb->kind;
    double f = kb == SQLP_F64 ? b->d : kb == SQLP_DEC ? (double)b->x / pow(10, rb->scale) : 0;
    switch (in->imm) {
    case SQLP_ADD: dst->i = (int64_t)((uint64_t)a->i + (uint64_t)b->i); break;
    case SQLP_SUB: dst->i = (int64_t)((uint64_t)a->i - (uint64_t)b->i); break;
    case SQLP_MUL:
      if (kb == SQLP_F64 || kb == SQLP_DEC)
        dst->i = (int64_t)llround((double)a->i * f);
      else
        dst->i = (int64_t)((uint64_t)a->i * (uint64_t)b->i);
      break;
    default:
      if (kb == SQLP_F64 || kb == SQLP_DEC) {
        if (f == 0) return sqlp_eval_fail(p, SPATE_EINVAL, "/ by zero");
        dst->i = (int64_t)llround((double)a->i / f);
      } else {
        if (b->i == 0) return sqlp_eval_fail(p, SPATE_EINVAL, "/ by zero");
        dst->i = b->i == -1 ? (int64_t)(0 - (uint64_t)a->i) : a->i / b->i;
      }
      break;
    }
    if (k == SQLP_IVL_YM) dst->i = (int32_t)dst->i;
    return 0;
  }
  uint64_t x = (uint64_t)a->i, y = (uint64_t)b->i;
  int64_t r;
  switch (in->imm) {
  case SQLP_ADD: r = (int64_t)(x + y); break;
  case SQLP_SUB: r = (int64_t)(x - y); break;
  case SQLP_MUL: r = (int64_t)(x * y); break;
  case SQLP_DIV:
    if (b->i == 0) return sqlp_eval_fail(p, SPATE_EINVAL, "/ by zero");
    r = b->i == -1 ? (int64_t)(0 - x) : a->i / b->i;
    break;
  default:
    if (b->i == 0) return sqlp_eval_fail(p, SPATE_EINVAL, "/ by zero");
    r = b->i == -1 ? 0 : a->i % b->i;
    break;
  }
  dst->i = sqlp_wrap(k, r);
  return 0;
}

static int bytes_cmp(const sqlp_val *a, const sqlp_val *b) {
  uint32_t n = a->len < b->len ? a->len : b->len;
  int c = n ? memcmp(a->p, b->p, n) : 0;
  if (c) return c < 0 ? -1 : 1;
  return a->len < b->len ? -1 : a->len > b->len;
}

/* -2: unordered (a NaN) */
static int value_cmp(const sqlp_reg *ra, const sqlp_val *a, const sqlp_reg *rb, const sqlp_val *b) {
  switch (ra->kind) {
  case SQLP_F32:
  case SQLP_F64:
    if (isnan(a->d) || isnan(b->d)) return -2;
    return a->d < b->d ? -1 : a->d > b->d;
  case SQLP_DEC: return dec_cmp(ra, a->x, rb, b->x);
  case SQLP_STR:
  case SQLP_BIN: return bytes_cmp(a, b);
  case SQLP_TS:
  case SQLP_TS_LTZ:
    if (a->i != b->i) return a->i < b->i ? -1 : 1;
    return a->nanos < b->nanos ? -1 : a->nanos > b->nanos;
  default: return a->i < b->i ? -1 : a->i > b->i;
  }
}

static void compare(const sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                    const sqlp_val *b) {
  const sqlp_reg *ra = &p->regs[in->a], *rb = &p->regs[in->b];
  if (in->imm == SQLP_DISTINCT || in->imm == SQLP_NOT_DISTINCT) {
    bool same;
    if (a->null || b->null)
      same = a->null && b->null;
    else
      same = value_cmp(ra, a, rb, b) == 0;
    dst->null = false;
    dst->i = (in->imm == SQLP_NOT_DISTINCT) == same;
    return;
  }
  if (a->null || b->null) {
    dst->null = true;
    return;
  }
  int c = value_cmp(ra, a, rb, b);
  bool r;
  switch (in->imm) {
  case SQLP_EQ: r = c == 0; break;
  case SQLP_NE: r = c != 0; break;
  case SQLP_LT: r = c == -1; break;
  case SQLP_LE: r = c == -1 || c == 0; break;
  case SQLP_GT: r = c == 1; break;
  default: r = c == 1 || c == 0; break;
  }
  dst->null = false;
  dst->i = r;
}

/* ---- math ------------------------------------------------------------------------------- */

/* FLOOR, CEIL, ROUND, ABS, SIGN over a's kind into t (a's register type); dir -1 floor, 1 ceil,
 * 0 round HALF_UP at `digits`. */
static void round_num(const sqlp_reg *ra, const sqlp_val *a, int dir, int digits, sqlp_val *t) {
  *t = *a;
  switch (ra->kind) {
  case SQLP_F32:
  case SQLP_F64: {
    double d = a->d;
    if (dir < 0)
      d = floor(d);
    else if (dir > 0)
      d = ceil(d);
    else if (isfinite(d) && digits < 300 && digits > -300) {
      double m = pow(10, digits);
      d = digits >= 0 ? round(d * m) / m : round(d / pow(10, -digits)) * pow(10, -digits);
    }
    t->d = ra->kind == SQLP_F32 ? (double)(float)d : d;
    return;
  }
  case SQLP_DEC: {
    int to = dir ? 0 : digits;
    if (to >= ra->scale) return;
    spate_int128 q;
    if (dir == 0) {
      if (to < -38) to = -38;
      dec_rescale(a->x, ra->scale, to, &q);
    } else {
      spate_int128 d = dec_pow10(ra->scale - to), r = a->x % d;
      q = a->x / d;
      if (r != 0 && ((dir < 0 && a->x < 0) || (dir > 0 && a->x > 0))) q += dir;
    }
    /* back to a's scale (the caller casts to the result's type) */
    if (!dec_rescale(q, to, ra->scale, &t->x))
      t->null = true;
    else if (!dec_fits(t->x, ra->precision))
      t->null = true;
    return;
  }
  default:
    if (dir == 0 && digits < 0) {
      if (digits < -18) {
        t->i = 0;
        return;
      }
      int64_t m = 1;
      for (int k = 0; k < -digits; k++) m *= 10;
      int64_t q = a->i / m, r = a->i % m;
      if ((r < 0 ? -r : r) * 2 >= m) q += a->i < 0 ? -1 : 1;
      t->i = sqlp_wrap(ra->kind, (int64_t)((uint64_t)q * (uint64_t)m));
    }
    return;
  }
}

static int call_math(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, const sqlp_val *a,
                     const sqlp_val *b) {
  int fn = (int)(in->imm & 0xffff);
  const sqlp_reg *ra = &p->regs[in->a], *rd = &p->regs[in->dst];
  if (a->null || (in->b != SQLP_NONE && b->null)) {
    dst->null = true;
    return 0;
  }
  dst->null = false;
  switch (fn) {
  case SQLP_FN_POWER: dst->d = pow(a->d, b->d); return 0;
  case SQLP_FN_SQRT: dst->d = sqrt(a->d); return 0;
  case SQLP_FN_EXP: dst->d = exp(a->d); return 0;
  case SQLP_FN_LN: dst->d = log(a->d); return 0;
  case SQLP_FN_LOG10: dst->d = log10(a->d); return 0;
  case SQLP_FN_ABS:
  case SQLP_FN_SIGN: {
    *dst = *a;
    int s = ra->kind == SQLP_DEC                           ? (a->x > 0) - (a->x < 0)
            : ra->kind == SQLP_F32 || ra->kind == SQLP_F64 ? (a->d > 0) - (a->d < 0)
                                                           : (a->i > 0) - (a->i < 0);
    if (fn == SQLP_FN_ABS) {
      if (s < 0) {
        if (ra->kind == SQLP_DEC)
          dst->x = -a->x;
        else if (ra->kind == SQLP_F32 || ra->kind == SQLP_F64)
          dst->d = -a->d;
        else
          dst->i = sqlp_wrap(ra->kind, (int64_t)(0 - (uint64_t)a->i));
      }
    } else if (ra->kind == SQLP_DEC) {
      dst->x = s * dec_pow10(ra->scale);
    } else if (ra->kind == SQLP_F32 || ra->kind == SQLP_F64) {
      if (!isnan(a->d)) dst->d = s;
    } else {
      dst->i = s;
    }
    return 0;
  }
  default: { /* FLOOR, CEIL, ROUND */
    sqlp_val t;
    int digits = fn == SQLP_FN_ROUND && in->b != SQLP_NONE ? (int)b->i : 0;
    /* A DECIMAL is rounded with one more digit of precision than a's, for the carry of 0.5 to
     * 1.0 or 9.5 to 10.0 (the result type has that digit too, as in Flink); the unscaled value
     * stays as it is. */
    sqlp_reg wide = *ra;
    if (wide.kind == SQLP_DEC && wide.precision < 38) wide.precision++;
    round_num(&wide, a, fn == SQLP_FN_FLOOR ? -1 : fn == SQLP_FN_CEIL ? 1 : 0, digits, &t);
    if (t.null ||
        (rd->kind == wide.kind && rd->precision == wide.precision && rd->scale == wide.scale)) {
      *dst = t;
      return 0;
    }
    return sqlp_cast(p, rd, dst, &wide, &t, false) < 0 ? SPATE_EINVAL : 0;
  }
  }
}

/* ---- loads and stores ------------------------------------------------------------------- */

void sqlp_load(const sqlp_reg *r, const spate_row *row, int f, sqlp_val *v) {
  if (spate_row_is_null(row, f)) {
    v->null = true;
    return;
  }
  v->null = false;
  switch (r->kind) {
  case SQLP_F32: v->d = spate_row_float(row, f); break;
  case SQLP_F64: v->d = spate_row_double(row, f); break;
  case SQLP_DEC: v->x = spate_row_decimal(row, f, r->precision); break;
  case SQLP_STR:
  case SQLP_BIN: {
    spate_bytes s = spate_row_string(row, f);
    v->p = (const uint8_t *)s.ptr;
    v->len = s.len;
    break;
  }
  case SQLP_TS:
  case SQLP_TS_LTZ: {
    spate_timestamp t = spate_row_timestamp_p(row, f, r->precision);
    v->i = t.ms;
    v->nanos = t.nanos;
    break;
  }
  default: v->i = spate_row_bigint(row, f); break;
  }
}

static void store(const sqlp_reg *r, const sqlp_val *v, spate_row_builder *b, int f) {
  if (v->null) {
    spate_rb_set_null(b, f);
    return;
  }
  switch (r->kind) {
  case SQLP_BOOL: spate_rb_set_bool(b, f, v->i != 0); break;
  case SQLP_I8: spate_rb_set_tinyint(b, f, (int8_t)v->i); break;
  case SQLP_I16: spate_rb_set_smallint(b, f, (int16_t)v->i); break;
  case SQLP_I32: spate_rb_set_int(b, f, (int32_t)v->i); break;
  case SQLP_I64: spate_rb_set_bigint(b, f, v->i); break;
  case SQLP_F32: spate_rb_set_float(b, f, (float)v->d); break;
  case SQLP_F64: spate_rb_set_double(b, f, v->d); break;
  case SQLP_DEC: spate_rb_set_decimal(b, f, v->x); break;
  case SQLP_STR: spate_rb_set_string(b, f, (const char *)v->p, v->len); break;
  case SQLP_BIN: spate_rb_set_bytes(b, f, v->p, v->len); break;
  case SQLP_DATE: spate_rb_set_date(b, f, (int32_t)v->i); break;
  case SQLP_TIME: spate_rb_set_time(b, f, (int32_t)v->i); break;
  case SQLP_TS:
  case SQLP_TS_LTZ: spate_rb_set_timestamp_nanos(b, f, v->i, v->nanos); break;
  case SQLP_IVL_YM: spate_rb_set_interval_months(b, f, (int32_t)v->i); break;
  default: spate_rb_set_interval_ms(b, f, v->i); break;
  }
}

/* ---- the loop --------------------------------------------------------------------------- */

static bool is_true(const sqlp_val *v) { return !v->null && v->i != 0; }

/* RAND: java.util.Random's generator, one per instruction (Flink keeps one per call site),
 * seeded with the seed operand (reseeded when it changes) or, without one, from the clock and
 * the instruction once. */
static void rand_double(sqlp_program *p, const sqlp_ins *in, const sqlp_val *seed, int64_t now,
                        sqlp_val *dst) {
  struct sqlp_rand *r = &p->rand[in - p->ins];
  const uint64_t mult = 0x5DEECE66DULL, mask = (1ULL << 48) - 1;
  bool has_seed = in->a != SQLP_NONE && !seed->null;
  if (!r->seeded || (has_seed && seed->i != r->seed_in)) {
    int64_t s = has_seed ? seed->i : now ^ (int64_t)(uintptr_t)r;
    r->state = ((uint64_t)s ^ mult) & mask;
    r->seed_in = s;
    r->seeded = true;
  }
  uint64_t hi, lo;
  r->state = (r->state * mult + 0xB) & mask;
  hi = r->state >> (48 - 26);
  r->state = (r->state * mult + 0xB) & mask;
  lo = r->state >> (48 - 27);
  dst->null = false;
  dst->d = (double)((hi << 27) + lo) * 0x1.0p-53;
}

static int call(sqlp_program *p, const sqlp_ins *in, sqlp_val *dst, int64_t now_ms) {
  static const sqlp_val none = {.null = true};
  const sqlp_val *a = in->a != SQLP_NONE ? &p->vals[in->a] : &none;
  const sqlp_val *b = in->b != SQLP_NONE ? &p->vals[in->b] : &none;
  const sqlp_val *c = in->c != SQLP_NONE ? &p->vals[in->c] : &none;
  int fn = (int)(in->imm & 0xffff);
  if (fn == SQLP_FN_RAND) {
    rand_double(p, in, a, now_ms, dst);
    return 0;
  }
  if (fn == SQLP_FN_JSON_VALUE || fn == SQLP_FN_JSON_QUERY) return sqlp_call_json(p, in, dst, a, b);
  if (fn <= SQLP_FN_INITCAP) return sqlp_call_string(p, in, dst, a, b, c);
  if (fn <= SQLP_FN_ROUND) return call_math(p, in, dst, a, b);
  return sqlp_call_temporal(p, in, dst, a, b, c, now_ms);
}

/* ---- the internal instructions (sql_program_fast.c) -------------------------------------- */

/* Integer arithmetic as arith() computes it for integer kinds. */
static int iarith(sqlp_program *p, const sqlp_ins *in, sqlp_val *d, const sqlp_val *x,
                  const sqlp_val *y) {
  if (x->null | y->null) {
    d->null = true;
    return 0;
  }
  uint64_t a = (uint64_t)x->i, c = (uint64_t)y->i;
  int64_t r;
  switch (in->imm) {
  case SQLP_ADD: r = (int64_t)(a + c); break;
  case SQLP_SUB: r = (int64_t)(a - c); break;
  case SQLP_MUL: r = (int64_t)(a * c); break;
  case SQLP_DIV:
    if (y->i == 0) return sqlp_eval_fail(p, SPATE_EINVAL, "/ by zero");
    r = y->i == -1 ? (int64_t)(0 - a) : x->i / y->i;
    break;
  default:
    if (y->i == 0) return sqlp_eval_fail(p, SPATE_EINVAL, "/ by zero");
    r = y->i == -1 ? 0 : x->i % y->i;
    break;
  }
  d->null = false;
  d->i = sqlp_wrap(p->regs[in->dst].kind, r);
  return 0;
}

/* TO_TIMESTAMP_LTZ of an integer at precision prec (0 or 3), as sqlp_call_temporal. */
static void to_ltz(int64_t prec, sqlp_val *d, const sqlp_val *x) {
  d->nanos = 0;
  if (x->null) {
    d->null = true;
    return;
  }
  double v = (double)x->i, msd = prec == 0 ? v * 1000 : v;
  d->null = !(msd > -8.2e15 && msd < 8.2e15);
  d->i = prec == 0 ? (int64_t)((uint64_t)x->i * 1000u) : x->i;
}

/* OUT of a slot kind, as store() writes it. */
static void out_slot(const sqlp_reg *r, const sqlp_val *v, spate_row_builder *b, int f) {
  if (v->null || (uint32_t)f >= b->nfields) {
    store(r, v, b, f); /* NULL, or the builder's own error */
    return;
  }
  uint64_t x;
  switch (r->kind) {
  case SQLP_BOOL: x = v->i != 0; break;
  case SQLP_I8: x = (uint64_t)(int64_t)(int8_t)v->i; break;
  case SQLP_I16: x = (uint64_t)(int64_t)(int16_t)v->i; break;
  case SQLP_I32:
  case SQLP_IVL_YM: x = (uint64_t)(int64_t)(int32_t)v->i; break;
  default: x = (uint64_t)v->i; break;
  }
  rb_put_slot(b, f, x);
}

/* COPY of a fixed-width field, as spate_rb_set_field copies it. */
static void copy_slot(spate_row_builder *b, int f, const spate_row *row, int j) {
  if ((uint32_t)j >= row->nfields || (uint32_t)f >= b->nfields || spate_row_is_null(row, j)) {
    spate_rb_set_field(b, f, row, j); /* NULL, or the builder's own error */
    return;
  }
  rb_put_slot(b, f, spate_row_slot_(row, j));
}

int sqlp_eval(sqlp_program *p, const spate_row *row, int64_t now_ms, spate_row_builder *b) {
  for (sqlp_chunk *c = p->chunks; c; c = c->next) c->used = 0;
  p->cur = p->chunks;
  sqlp_val *V = p->vals;
  const uint16_t *reset = p->reset;
  for (uint32_t k = 0, nreset = p->nreset; k < nreset; k++) V[reset[k]].null = true;
  spate_rb_begin(b);
  /* in locals: stores through register pointers could alias p's fields (no strict aliasing) */
  const sqlp_ins *ins = p->ins;
  const uint32_t nins = p->nins, nregs = p->nregs;
  for (uint32_t pc = 0; pc < nins; pc++) {
    const sqlp_ins *in = &ins[pc];
    sqlp_val *d = &V[in->dst < nregs ? in->dst : 0];
    switch (in->op) {
    case SQLP_LOAD: sqlp_load(&p->regs[in->dst], row, (int)in->imm, d); break;
    case SQLP_CONST:
      *d = p->consts[in->imm].v;
      d->null = false;
      break;
    case SQLP_NULL: d->null = true; break;
    case SQLP_MOVE: *d = V[in->a]; break;
    case SQLP_JUMP: pc = (uint32_t)in->imm - 1; break;
    case SQLP_JUMP_NOT_NULL:
      if (!V[in->a].null) pc = (uint32_t)in->imm - 1;
      break;
    case SQLP_JUMP_TRUE:
      if (is_true(&V[in->a])) pc = (uint32_t)in->imm - 1;
      break;
    case SQLP_JUMP_NOT_TRUE:
      if (!is_true(&V[in->a])) pc = (uint32_t)in->imm - 1;
      break;
    case SQLP_ARITH: {
      const sqlp_val *x = &V[in->a], *y = &V[in->b];
      if (x->null || y->null) {
        d->null = true;
        break;
      }
      sqlp_val r = {0};
      int rc = arith(p, in, &r, x, y);
      if (rc) return rc;
      *d = r;
      break;
    }
    case SQLP_NEG: {
      const sqlp_val *x = &V[in->a];
      const sqlp_reg *r = &p->regs[in->a];
      *d = *x;
      if (x->null) break;
      if (r->kind == SQLP_DEC)
        d->x = -x->x;
      else if (r->kind == SQLP_F32 || r->kind == SQLP_F64)
        d->d = -x->d;
      else
        d->i =
            sqlp_wrap(r->kind == SQLP_IVL_YM ? SQLP_I32 : r->kind, (int64_t)(0 - (uint64_t)x->i));
      break;
    }
    case SQLP_TIME_ADD: {
      const sqlp_val *x = &V[in->a], *y = &V[in->b];
      if (x->null || y->null) {
        d->null = true;
        break;
      }
      sqlp_val r = *x;
      int rc = sqlp_call_temporal(p, in, &r, x, y, NULL, now_ms);
      if (rc) return rc;
      *d = r;
      break;
    }
    case SQLP_CMP: {
      sqlp_val r = {0};
      compare(p, in, &r, &V[in->a], &V[in->b]);
      *d = r;
      break;
    }
    case SQLP_AND:
    case SQLP_OR: {
      const sqlp_val *x = &V[in->a], *y = &V[in->b];
      bool dominant = in->op == SQLP_OR; /* TRUE decides OR, FALSE decides AND */
      bool r;
      bool null = false;
      if ((!x->null && (x->i != 0) == dominant) || (!y->null && (y->i != 0) == dominant))
        r = dominant;
      else if (x->null || y->null)
        null = true, r = false;
      else
        r = !dominant;
      d->null = null;
      d->i = r;
      break;
    }
    case SQLP_NOT:
      d->null = V[in->a].null;
      d->i = !V[in->a].i;
      break;
    case SQLP_IS: {
      const sqlp_val *x = &V[in->a];
      bool r;
      switch (in->imm) {
      case SQLP_IS_NULL: r = x->null; break;
      case SQLP_IS_NOT_NULL: r = !x->null; break;
      case SQLP_IS_TRUE: r = is_true(x); break;
      case SQLP_IS_NOT_TRUE: r = !is_true(x); break;
      case SQLP_IS_FALSE: r = !x->null && !x->i; break;
      default: r = x->null || x->i; break;
      }
      d->null = false;
      d->i = r;
      break;
    }
    case SQLP_CAST: {
      const sqlp_val *x = &V[in->a];
      if (x->null) {
        d->null = true;
        break;
      }
      sqlp_val r = {0};
      int rc = sqlp_cast(p, &p->regs[in->dst], &r, &p->regs[in->a], x, in->imm == 1);
      if (rc < 0) return rc;
      *d = r;
      break;
    }
    case SQLP_CALL: {
      sqlp_val r = {0};
      int rc = call(p, in, &r, now_ms);
      if (rc) return rc;
      *d = r;
      break;
    }
    case SQLP_UDF: {
      sqlp_val r = {0};
      int rc = sqlp_call_udf(p, in, &r);
      if (rc) return rc;
      *d = r;
      break;
    }
    case SQLP_FILTER:
      if (!is_true(&V[in->a])) return 0;
      break;
    case SQLP_OUT: store(&p->regs[in->a], &V[in->a], b, (int)in->imm); break;
    case SQLP_COPY: spate_rb_set_field(b, (int)in->imm, row, in->a); break;
    case SQLP_X_LOAD_SLOT:
      d->null = spate_row_is_null(row, (int)in->imm);
      d->i = spate_row_bigint(row, (int)in->imm);
      d->nanos = 0;
      break;
    case SQLP_X_IARITH: {
      int rc = iarith(p, in, d, &V[in->a], &V[in->b]);
      if (rc) return rc;
      break;
    }
    case SQLP_X_ICAST: {
      const sqlp_val *x = &V[in->a];
      d->null = x->null;
      d->i = sqlp_wrap(p->regs[in->dst].kind, x->i);
      break;
    }
    case SQLP_X_TO_LTZ: to_ltz(in->imm, d, &V[in->a]); break;
    case SQLP_X_LTZ_TO_TS: {
      const sqlp_val *x = &V[in->a];
      d->null = x->null;
      d->i = x->null ? 0 : sqlp_tz_local(&p->tz, x->i);
      d->nanos = 0;
      break;
    }
    case SQLP_X_OUT_SLOT: out_slot(&p->regs[in->a], &V[in->a], b, (int)in->imm); break;
    case SQLP_X_COPY_SLOT: copy_slot(b, (int)in->imm, row, in->a); break;
    default: return sqlp_eval_fail(p, SPATE_EINVAL, "unknown instruction %u", in->op);
    }
  }
  return 1;
}

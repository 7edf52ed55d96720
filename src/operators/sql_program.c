/*
 * sql_program.c: the byte form of a SQL calc program (sql_program.h) and its strict decoder,
 * plus the program's scratch memory. Every check an instruction's evaluation relies on (kinds
 * of its operands, register and field indices, jump targets, constant shapes) is made here once,
 * so that the interpreter (sql_eval.c) reads operands without checking them per row.
 */
#include "operators/sql_program.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "base/err.h"
#include "types/decimal.h"

sqlp_kind sqlp_kind_of_field(const schema_field *f) {
  switch (f->type) {
  case SPATE_BOOLEAN: return SQLP_BOOL;
  case SPATE_TINYINT: return SQLP_I8;
  case SPATE_SMALLINT: return SQLP_I16;
  case SPATE_INT: return SQLP_I32;
  case SPATE_BIGINT: return SQLP_I64;
  case SPATE_FLOAT: return SQLP_F32;
  case SPATE_DOUBLE: return SQLP_F64;
  case SPATE_DECIMAL: return SQLP_DEC;
  case SPATE_STRING:
  case SPATE_CHAR: return SQLP_STR;
  case SPATE_BYTES:
  case SPATE_BINARY: return SQLP_BIN;
  case SPATE_DATE: return SQLP_DATE;
  case SPATE_TIME: return SQLP_TIME;
  case SPATE_TIMESTAMP: return SQLP_TS;
  case SPATE_TIMESTAMP_LTZ: return SQLP_TS_LTZ;
  case SPATE_INTERVAL_YM: return SQLP_IVL_YM;
  case SPATE_INTERVAL_DT: return SQLP_IVL_DT;
  default: return 0;
  }
}

const char *sqlp_kind_name(int kind) {
  static const char *const names[] = {"?",
                                      "BOOLEAN",
                                      "TINYINT",
                                      "SMALLINT",
                                      "INT",
                                      "BIGINT",
                                      "FLOAT",
                                      "DOUBLE",
                                      "DECIMAL",
                                      "STRING",
                                      "BYTES",
                                      "DATE",
                                      "TIME",
                                      "TIMESTAMP",
                                      "TIMESTAMP_LTZ",
                                      "INTERVAL YEAR TO MONTH",
                                      "INTERVAL DAY TO SECOND"};
  return kind > 0 && kind < SQLP_KIND_MAX ? names[kind] : "?";
}

/* ---- scratch ---------------------------------------------------------------------------- */

uint8_t *sqlp_scratch(sqlp_program *p, size_t n) {
  n = (n + 7) & ~(size_t)7;
  for (sqlp_chunk *c = p->cur; c; c = c->next) {
    p->cur = c;
    if (c->cap - c->used >= n) {
      uint8_t *r = c->data + c->used;
      c->used += n;
      return r;
    }
  }
  size_t cap = n < 4096 ? 4096 : n * 2;
  sqlp_chunk *c = sp_malloc(sizeof *c + cap);
  if (!c) {
    snprintf(p->err, sizeof p->err, "out of memory for %zu bytes of expression results", n);
    return NULL;
  }
  c->next = NULL;
  c->cap = cap;
  c->used = n;
  /* appended after the last chunk, so a reset walks them all */
  sqlp_chunk **tail = &p->chunks;
  while (*tail) tail = &(*tail)->next;
  *tail = c;
  p->cur = c;
  return c->data;
}

/* ---- decoding --------------------------------------------------------------------------- */

typedef struct dec_ctx {
  sp_reader r;
  sqlp_program *p;
  char *err;
  size_t cap;
  int rc;
} dec_ctx;

static int bad(dec_ctx *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(dec_ctx *d, const char *fmt, ...) {
  if (d->rc) return d->rc;
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(d->err, d->cap, "SQL calc program: ");
  if (n >= 0 && (size_t)n < d->cap) vsnprintf(d->err + n, d->cap - (size_t)n, fmt, ap);
  va_end(ap);
  d->rc = SPATE_ECORRUPT;
  return d->rc;
}

static bool is_int(int k) { return k >= SQLP_I8 && k <= SQLP_I64; }
static bool is_numeric(int k) { return k >= SQLP_I8 && k <= SQLP_DEC; }
static bool is_ivl(int k) { return k == SQLP_IVL_YM || k == SQLP_IVL_DT; }
static bool is_ts(int k) { return k == SQLP_TS || k == SQLP_TS_LTZ; }

static int64_t int_min(int k) {
  return k == SQLP_I8    ? INT8_MIN
         : k == SQLP_I16 ? INT16_MIN
         : k == SQLP_I32 ? INT32_MIN
                         : INT64_MIN;
}
static int64_t int_max(int k) {
  return k == SQLP_I8    ? INT8_MAX
         : k == SQLP_I16 ? INT16_MAX
         : k == SQLP_I32 ? INT32_MAX
                         : INT64_MAX;
}

/* Which casts the interpreter implements (sql_eval_cast.c), from kind f to kind t. */
bool sqlp_castable(int f, int t) {
  if (f == t) return true;
  if (t == SQLP_STR) return true;
  if (f == SQLP_STR) return t != SQLP_IVL_YM && t != SQLP_IVL_DT;
  if (is_numeric(f) && is_numeric(t)) return true;
  if (f == SQLP_BOOL) return is_numeric(t);
  if (t == SQLP_BOOL) return is_numeric(f);
  if (f == SQLP_BIN || t == SQLP_BIN) return false;
  if (f == SQLP_DATE) return is_ts(t);
  if (is_ts(f)) return t == SQLP_DATE || t == SQLP_TIME || is_ts(t) || is_int(t);
  if (is_int(f) && is_ts(t)) return true;
  if (is_ivl(f) && is_int(t)) return true;
  if (is_int(f) && is_ivl(t)) return true;
  return false;
}

/* The kinds function fn takes for (a, b, c) and gives; 0 = absent operand, -1 = any numeric,
 * -2 = optional STR, -3 = optional I32, -4 = DATE/TS/TS_LTZ, -5 = temporal with TIME and intervals, -6 = any
 * epoch number (integer, DEC, F64), -7 = same kind as a. */
typedef struct fn_sig {
  int8_t a, b, c, dst;
} fn_sig;

static const fn_sig fn_sigs[SQLP_FN_MAX] = {
    [SQLP_FN_CONCAT] = {SQLP_STR, SQLP_STR, 0, SQLP_STR},
    [SQLP_FN_CONCAT_WS] = {SQLP_STR, SQLP_STR, SQLP_STR, SQLP_STR},
    [SQLP_FN_UPPER] = {SQLP_STR, 0, 0, SQLP_STR},
    [SQLP_FN_LOWER] = {SQLP_STR, 0, 0, SQLP_STR},
    [SQLP_FN_CHAR_LENGTH] = {SQLP_STR, 0, 0, SQLP_I32},
    [SQLP_FN_TRIM] = {SQLP_STR, SQLP_STR, 0, SQLP_STR},
    [SQLP_FN_SUBSTRING] = {SQLP_STR, SQLP_I32, -3, SQLP_STR},
    [SQLP_FN_POSITION] = {SQLP_STR, SQLP_STR, -3, SQLP_I32},
    [SQLP_FN_REPLACE] = {SQLP_STR, SQLP_STR, SQLP_STR, SQLP_STR},
    [SQLP_FN_LIKE] = {SQLP_STR, SQLP_STR, -2, SQLP_BOOL},
    [SQLP_FN_SIMILAR] = {SQLP_STR, SQLP_STR, -2, SQLP_BOOL},
    [SQLP_FN_REGEXP] = {SQLP_STR, SQLP_STR, 0, SQLP_BOOL},
    [SQLP_FN_REGEXP_EXTRACT] = {SQLP_STR, SQLP_STR, -3, SQLP_STR},
    [SQLP_FN_REGEXP_REPLACE] = {SQLP_STR, SQLP_STR, SQLP_STR, SQLP_STR},
    [SQLP_FN_SPLIT_INDEX] = {SQLP_STR, SQLP_STR, SQLP_I32, SQLP_STR},
    [SQLP_FN_LPAD] = {SQLP_STR, SQLP_I32, SQLP_STR, SQLP_STR},
    [SQLP_FN_RPAD] = {SQLP_STR, SQLP_I32, SQLP_STR, SQLP_STR},
    [SQLP_FN_INITCAP] = {SQLP_STR, 0, 0, SQLP_STR},
    [SQLP_FN_ABS] = {-1, 0, 0, -7},
    [SQLP_FN_SIGN] = {-1, 0, 0, -7},
    [SQLP_FN_POWER] = {SQLP_F64, SQLP_F64, 0, SQLP_F64},
    [SQLP_FN_SQRT] = {SQLP_F64, 0, 0, SQLP_F64},
    [SQLP_FN_EXP] = {SQLP_F64, 0, 0, SQLP_F64},
    [SQLP_FN_LN] = {SQLP_F64, 0, 0, SQLP_F64},
    [SQLP_FN_LOG10] = {SQLP_F64, 0, 0, SQLP_F64},
    [SQLP_FN_FLOOR] = {-1, 0, 0, -1},
    [SQLP_FN_CEIL] = {-1, 0, 0, -1},
    [SQLP_FN_ROUND] = {-1, -3, 0, -1},
    [SQLP_FN_NOW] = {0, 0, 0, SQLP_TS_LTZ},
    [SQLP_FN_LOCALTS] = {0, 0, 0, SQLP_TS},
    [SQLP_FN_CURRENT_DATE] = {0, 0, 0, SQLP_DATE},
    [SQLP_FN_CURRENT_TIME] = {0, 0, 0, SQLP_TIME},
    [SQLP_FN_EXTRACT] = {-5, 0, 0, SQLP_I64},
    [SQLP_FN_FLOOR_TIME] = {-4, 0, 0, -7},
    [SQLP_FN_CEIL_TIME] = {-4, 0, 0, -7},
    [SQLP_FN_TSDIFF] = {-4, -4, 0, SQLP_I32},
    [SQLP_FN_DATE_FORMAT] = {-4, SQLP_STR, 0, SQLP_STR},
    [SQLP_FN_UNIX_TIMESTAMP] = {-2, -2, 0, SQLP_I64},
    [SQLP_FN_FROM_UNIXTIME] = {SQLP_I64, -2, 0, SQLP_STR},
    [SQLP_FN_TO_TIMESTAMP_LTZ] = {-6, SQLP_I32, 0, SQLP_TS_LTZ},
    [SQLP_FN_TO_TIMESTAMP] = {SQLP_STR, -2, 0, SQLP_TS},
    [SQLP_FN_RAND] = {-3, 0, 0, SQLP_F64},
    [SQLP_FN_JSON_VALUE] = {SQLP_STR, SQLP_STR, 0, SQLP_STR},
    [SQLP_FN_JSON_QUERY] = {SQLP_STR, SQLP_STR, 0, SQLP_STR},
};

/* Whether register r (or SQLP_NONE) fits the signature code want; a the first operand's kind. */
static bool sig_fits(const sqlp_program *p, int want, uint16_t r, int akind) {
  if (want == 0) return r == SQLP_NONE;
  if (r == SQLP_NONE) return want == -2 || want == -3;
  int k = p->regs[r].kind;
  switch (want) {
  case -1: return is_numeric(k);
  case -2: return k == SQLP_STR;
  case -3: return k == SQLP_I32;
  case -4: return k == SQLP_DATE || is_ts(k);
  case -5: return k == SQLP_DATE || k == SQLP_TIME || is_ts(k) || is_ivl(k);
  case -6: return is_int(k) || k == SQLP_DEC || k == SQLP_F64;
  case -7: return k == akind;
  default: return k == want;
  }
}

static bool reg_ok(const sqlp_program *p, uint16_t r) { return r < p->nregs; }

static bool same_reg_type(const sqlp_reg *x, const sqlp_reg *y) {
  return x->kind == y->kind && x->precision == y->precision && x->scale == y->scale;
}

/* The register type of a row field; false when programs cannot hold it. */
static bool reg_of_field(const schema_field *f, sqlp_reg *r) {
  r->kind = (uint8_t)sqlp_kind_of_field(f);
  r->precision = r->scale = 0;
  if (r->kind == SQLP_DEC) {
    r->precision = f->precision;
    r->scale = f->scale;
  } else if (is_ts(r->kind) || r->kind == SQLP_TIME) {
    r->precision = f->precision;
  }
  return r->kind != 0;
}

/* The kinds C user functions take and give (spate/sql_function.h's types). */
static bool udf_kind(int k) { return k != SQLP_DEC && !is_ivl(k); }

/* One entry of the user function table (sql_program.h's byte form). */
static int decode_udf(dec_ctx *d, uint32_t k, sqlp_udf *u) {
  sp_reader *r = &d->r;
  u->name = sp_get_str(r);
  u->library = sp_get_str(r);
  u->symbol = sp_get_str(r);
  u->nargs = sp_get_u8(r);
  if (!sp_reader_ok(r) || !u->name || !u->library || !u->symbol)
    return bad(d, "user function %u: %s", k, sp_reader_ok(r) ? "missing name" : r->error);
  if (u->nargs > SQLP_UDF_MAX_ARGS) return bad(d, "user function %u: %u arguments", k, u->nargs);
  for (int j = 0; j <= u->nargs; j++)
    if (!(u->types[j] = sp_get_str(r)) || !sp_reader_ok(r))
      return bad(d, "user function %u: type %d: %s", k, j, r->error);
  u->not_null = sp_get_u32(r);
  if (!sp_reader_ok(r)) return bad(d, "user function %u: %s", k, r->error);
  return 0;
}

static int check_ins(dec_ctx *d, uint32_t k) {
  sqlp_program *p = d->p;
  const sqlp_ins *in = &p->ins[k];
  const sqlp_reg *R = p->regs;
  bool dst_used = in->op != SQLP_JUMP && in->op != SQLP_JUMP_NOT_NULL && in->op != SQLP_JUMP_TRUE &&
                  in->op != SQLP_JUMP_NOT_TRUE && in->op != SQLP_FILTER && in->op != SQLP_OUT &&
                  in->op != SQLP_COPY;
  if (dst_used && !reg_ok(p, in->dst))
    return bad(d, "instruction %u writes register %u of %u", k, in->dst, p->nregs);
  const sqlp_reg *D = dst_used ? &R[in->dst] : NULL;
#define NEED_REG(x)                                                                \
  do {                                                                             \
    if (!reg_ok(p, in->x))                                                         \
      return bad(d, "instruction %u reads register %u of %u", k, in->x, p->nregs); \
  } while (0)
#define NEED(cond, what)                                                       \
  do {                                                                         \
    if (!(cond)) return bad(d, "instruction %u (op %u): %s", k, in->op, what); \
  } while (0)
  switch ((sqlp_op)in->op) {
  case SQLP_LOAD: {
    NEED(in->imm >= 0 && in->imm < p->input->nfields, "input field out of range");
    sqlp_reg f;
    NEED(reg_of_field(&p->input->fields[in->imm], &f), "input field of a type programs lack");
    NEED(same_reg_type(&f, D), "register kind differs from the input field's type");
    break;
  }
  case SQLP_CONST:
    NEED(in->imm >= 0 && (uint64_t)in->imm < p->nconsts, "constant out of range");
    NEED(p->consts[in->imm].reg == in->dst, "constant of another register");
    break;
  case SQLP_NULL: break;
  case SQLP_MOVE:
    NEED_REG(a);
    NEED(same_reg_type(D, &R[in->a]), "move between kinds");
    break;
  case SQLP_JUMP_NOT_NULL:
  case SQLP_JUMP_TRUE:
  case SQLP_JUMP_NOT_TRUE:
    NEED_REG(a);
    NEED(in->op == SQLP_JUMP_NOT_NULL || R[in->a].kind == SQLP_BOOL, "condition not BOOLEAN");
    /* fall through */
  case SQLP_JUMP:
    NEED(in->imm > (int64_t)k && in->imm <= (int64_t)p->nins, "jump not forward inside");
    break;
  case SQLP_ARITH: {
    NEED_REG(a);
    NEED_REG(b);
    NEED(in->imm >= SQLP_ADD && in->imm <= SQLP_MOD, "unknown arithmetic");
    int ka = R[in->a].kind, kb = R[in->b].kind;
    if (is_ivl(D->kind)) {
      NEED(ka == D->kind, "interval arithmetic of another kind");
      if (in->imm == SQLP_ADD || in->imm == SQLP_SUB)
        NEED(kb == D->kind, "interval plus another kind");
      else
        NEED(in->imm != SQLP_MOD && (is_int(kb) || kb == SQLP_F64 || kb == SQLP_DEC),
             "interval times a non-number");
    } else if (D->kind == SQLP_DEC) {
      NEED(ka == SQLP_DEC && kb == SQLP_DEC, "DECIMAL arithmetic over other kinds");
    } else {
      NEED(is_numeric(D->kind) && ka == D->kind && kb == D->kind, "arithmetic over kinds");
    }
    break;
  }
  case SQLP_NEG:
    NEED_REG(a);
    NEED((is_numeric(D->kind) || is_ivl(D->kind)) && R[in->a].kind == D->kind,
         "negation of a non-number");
    break;
  case SQLP_TIME_ADD:
    NEED_REG(a);
    NEED_REG(b);
    NEED((D->kind == SQLP_DATE || D->kind == SQLP_TIME || is_ts(D->kind)) &&
             same_reg_type(D, &R[in->a]) && is_ivl(R[in->b].kind),
         "time arithmetic over kinds");
    NEED(in->imm == 1 || in->imm == -1, "time arithmetic sign");
    break;
  case SQLP_CMP:
    NEED_REG(a);
    NEED_REG(b);
    NEED(D->kind == SQLP_BOOL && R[in->a].kind == R[in->b].kind, "comparison over kinds");
    NEED(in->imm >= SQLP_EQ && in->imm <= SQLP_NOT_DISTINCT, "unknown comparison");
    break;
  case SQLP_AND:
  case SQLP_OR:
    NEED_REG(b);
    /* fall through */
  case SQLP_NOT:
    NEED_REG(a);
    NEED(D->kind == SQLP_BOOL && R[in->a].kind == SQLP_BOOL &&
             (in->op == SQLP_NOT || R[in->b].kind == SQLP_BOOL),
         "logic over non-BOOLEAN");
    break;
  case SQLP_IS:
    NEED_REG(a);
    NEED(D->kind == SQLP_BOOL && in->imm >= SQLP_IS_NULL && in->imm <= SQLP_IS_NOT_FALSE,
         "unknown IS");
    NEED(in->imm <= SQLP_IS_NOT_NULL || R[in->a].kind == SQLP_BOOL, "IS TRUE of a non-BOOLEAN");
    break;
  case SQLP_CAST:
    NEED_REG(a);
    NEED(in->imm == 0 || in->imm == 1, "cast flag");
    NEED(sqlp_castable(R[in->a].kind, D->kind), "cast between these kinds");
    break;
  case SQLP_CALL: {
    int fn = (int)(in->imm & 0xffff);
    int64_t unit = in->imm >> 16;
    NEED(fn > 0 && fn < SQLP_FN_MAX && unit >= 0 && unit < 64, "unknown function");
    const fn_sig *s = &fn_sigs[fn];
    if (in->a != SQLP_NONE) NEED_REG(a);
    if (in->b != SQLP_NONE) NEED_REG(b);
    if (in->c != SQLP_NONE) NEED_REG(c);
    int ka = in->a != SQLP_NONE ? R[in->a].kind : 0;
    NEED(sig_fits(p, s->a, in->a, ka) && sig_fits(p, s->b, in->b, ka) &&
             sig_fits(p, s->c, in->c, ka),
         "function operands of other kinds");
    if (s->dst == -7)
      NEED(same_reg_type(D, &R[in->a]), "function result of another kind");
    else if (s->dst == -1)
      NEED(is_numeric(D->kind), "function result of another kind");
    else
      NEED(D->kind == s->dst, "function result of another kind");
    if (fn == SQLP_FN_TSDIFF) NEED(R[in->a].kind == R[in->b].kind, "TIMESTAMPDIFF over kinds");
    break;
  }
  case SQLP_UDF: {
    NEED(in->imm >= 0 && (uint64_t)in->imm < p->nudfs, "user function out of range");
    const sqlp_udf *u = &p->udfs[in->imm];
    NEED(in->b == u->nargs, "user function called with another argument count");
    NEED(in->b == 0 || (uint32_t)in->a + in->b <= p->nregs, "user function arguments out of range");
    for (uint32_t j = 0; j < in->b; j++)
      NEED(udf_kind(R[in->a + j].kind), "user function argument of a kind C functions lack");
    NEED(udf_kind(D->kind), "user function result of a kind C functions lack");
    break;
  }
  case SQLP_FILTER:
    NEED_REG(a);
    NEED(R[in->a].kind == SQLP_BOOL, "filter not BOOLEAN");
    break;
  case SQLP_OUT: {
    NEED_REG(a);
    NEED(in->imm >= 0 && in->imm < p->output->nfields, "output field out of range");
    sqlp_reg f;
    NEED(reg_of_field(&p->output->fields[in->imm], &f), "output field of a type programs lack");
    NEED(same_reg_type(&f, &R[in->a]), "register kind differs from the output field's type");
    break;
  }
  case SQLP_COPY:
    NEED(in->imm >= 0 && in->imm < p->output->nfields, "output field out of range");
    NEED(in->a < p->input->nfields, "input field out of range");
    NEED(schema_type_equal(&p->input->fields[in->a], &p->output->fields[in->imm]),
         "copy between types");
    break;
  default: return bad(d, "instruction %u has unknown op %u", k, in->op);
  }
#undef NEED
#undef NEED_REG
  return 0;
}

static int decode_const(dec_ctx *d, uint32_t k, sqlp_const *c) {
  sp_reader *r = &d->r;
  uint32_t reg = sp_get_u32(r);
  if (!sp_reader_ok(r)) return bad(d, "%s", r->error);
  if (reg >= d->p->nregs) return bad(d, "constant %u of register %u", k, reg);
  c->reg = (uint16_t)reg;
  const sqlp_reg *g = &d->p->regs[c->reg];
  sqlp_val *v = &c->v;
  switch ((sqlp_kind)g->kind) {
  case SQLP_F32:
  case SQLP_F64: {
    uint64_t bits = sp_get_u64(r);
    memcpy(&v->d, &bits, 8);
    break;
  }
  case SQLP_DEC: {
    uint64_t lo = sp_get_u64(r), hi = sp_get_u64(r);
    v->x = (spate_int128)(((unsigned __int128)hi << 64) | lo);
    if (!dec_fits(v->x, g->precision)) return bad(d, "constant %u exceeds its precision", k);
    break;
  }
  case SQLP_STR:
  case SQLP_BIN: {
    uint32_t n;
    const void *s = sp_get_blob(r, &n);
    if (!s) break;
    v->p = (const uint8_t *)s - d->r.data + d->p->const_bytes; /* into the owned copy */
    v->len = n;
    break;
  }
  case SQLP_TS:
  case SQLP_TS_LTZ:
    v->i = sp_get_i64(r);
    v->nanos = sp_get_i32(r);
    if (v->nanos < 0 || v->nanos > 999999) return bad(d, "constant %u nanos out of range", k);
    if (v->i > SQLP_TS_BOUND_MS || v->i < -SQLP_TS_BOUND_MS)
      return bad(d, "constant %u: TIMESTAMP out of range", k);
    break;
  default:
    v->i = sp_get_i64(r);
    if (g->kind == SQLP_BOOL && (v->i & ~1)) return bad(d, "constant %u is no BOOLEAN", k);
    if (g->kind == SQLP_DATE && (v->i > SQLP_DATE_BOUND || v->i < -SQLP_DATE_BOUND))
      return bad(d, "constant %u: DATE out of range", k);
    if (g->kind == SQLP_TIME && (v->i < 0 || v->i >= 86400000))
      return bad(d, "constant %u: TIME out of range", k);
    if (g->kind == SQLP_IVL_YM && (v->i < INT32_MIN || v->i > INT32_MAX))
      return bad(d, "constant %u: interval out of range", k);
    if (is_int(g->kind) && (v->i < int_min(g->kind) || v->i > int_max(g->kind)))
      return bad(d, "constant %u out of its range", k);
    break;
  }
  if (!sp_reader_ok(r)) return bad(d, "constant %u: %s", k, r->error);
  return 0;
}

static int decode(const uint8_t *data, size_t len, sqlp_program **out, char *err, size_t cap,
                  bool specialize) {
  *out = NULL;
  dec_ctx d = {.err = err, .cap = cap};
  sqlp_program *p = sp_calloc(1, sizeof *p);
  if (!p) return SPATE_ENOMEM;
  d.p = p;
  p->const_bytes = sp_malloc(len ? len : 1);
  if (!p->const_bytes) goto oom;
  memcpy(p->const_bytes, data, len);
  sp_reader_init(&d.r, data, len);
  sp_reader *r = &d.r;
  if (sp_get_u32(r) != SQLP_MAGIC || !sp_reader_ok(r)) {
    bad(&d, "bad magic (not a program)");
    goto fail;
  }
  p->input = schema_decode(r);
  if (p->input) p->output = schema_decode(r);
  if (!p->input || !p->output) {
    bad(&d, "schema: %s", r->error);
    goto fail;
  }
  char *tzname = sp_get_str(r);
  if (!sp_reader_ok(r) || !tzname) {
    sp_free(tzname);
    bad(&d, "time zone: %s", sp_reader_ok(r) ? "missing" : r->error);
    goto fail;
  }
  char tzerr[256];
  int tzrc = sqlp_tz_parse(tzname, &p->tz, tzerr, sizeof tzerr);
  sp_free(tzname);
  if (tzrc) {
    bad(&d, "%s", tzerr);
    goto fail;
  }
  p->nregs = sp_get_u32(r);
  if (!sp_reader_ok(r) || p->nregs > SQLP_MAX_REGS || p->nregs * 3 > r->len - r->pos) {
    bad(&d, "register count %u does not fit", p->nregs);
    goto fail;
  }
  p->regs = sp_calloc(p->nregs ? p->nregs : 1, sizeof *p->regs);
  p->vals = sp_calloc(p->nregs ? p->nregs : 1, sizeof *p->vals);
  if (!p->regs || !p->vals) goto oom;
  for (uint32_t k = 0; k < p->nregs; k++) {
    sqlp_reg *g = &p->regs[k];
    g->kind = sp_get_u8(r);
    g->precision = sp_get_u8(r);
    g->scale = sp_get_u8(r);
    bool ok = g->kind > 0 && g->kind < SQLP_KIND_MAX;
    if (g->kind == SQLP_DEC)
      ok = ok && g->precision >= 1 && g->precision <= 38 && g->scale <= g->precision;
    else if (is_ts(g->kind) || g->kind == SQLP_TIME)
      ok = ok && g->precision <= 9 && g->scale == 0;
    else
      ok = ok && g->precision == 0 && g->scale == 0;
    if (!ok) {
      bad(&d, "register %u has a bad type (kind %u, %u, %u)", k, g->kind, g->precision, g->scale);
      goto fail;
    }
  }
  p->nconsts = sp_get_u32(r);
  if (!sp_reader_ok(r) || p->nconsts > r->len - r->pos) {
    bad(&d, "constant count %u does not fit", p->nconsts);
    goto fail;
  }
  p->consts = sp_calloc(p->nconsts ? p->nconsts : 1, sizeof *p->consts);
  if (!p->consts) goto oom;
  for (uint32_t k = 0; k < p->nconsts; k++)
    if (decode_const(&d, k, &p->consts[k])) goto fail;
  p->nudfs = sp_get_u32(r);
  if (!sp_reader_ok(r) || p->nudfs > SQLP_MAX_UDFS || p->nudfs > r->len - r->pos) {
    bad(&d, "user function count %u does not fit", p->nudfs);
    goto fail;
  }
  p->udfs = sp_calloc(p->nudfs ? p->nudfs : 1, sizeof *p->udfs);
  if (!p->udfs) goto oom;
  for (uint32_t k = 0; k < p->nudfs; k++)
    if (decode_udf(&d, k, &p->udfs[k])) goto fail;
  p->nins = sp_get_u32(r);
  if (!sp_reader_ok(r) || p->nins > SQLP_MAX_INS || (size_t)p->nins * 25 > r->len - r->pos) {
    bad(&d, "instruction count %u does not fit", p->nins);
    goto fail;
  }
  p->ins = sp_calloc(p->nins ? p->nins : 1, sizeof *p->ins);
  p->regex = sp_calloc(p->nins ? p->nins : 1, sizeof *p->regex);
  p->rand = sp_calloc(p->nins ? p->nins : 1, sizeof *p->rand);
  if (!p->ins || !p->regex || !p->rand) goto oom;
  for (uint32_t k = 0; k < p->nins; k++) {
    sqlp_ins *in = &p->ins[k];
    in->op = sp_get_u8(r);
    uint32_t ops[4];
    for (int j = 0; j < 4; j++) ops[j] = sp_get_u32(r);
    in->imm = sp_get_i64(r);
    if (!sp_reader_ok(r)) {
      bad(&d, "instruction %u: %s", k, r->error);
      goto fail;
    }
    if ((ops[0] | ops[1] | ops[2] | ops[3]) > 0xFFFF) {
      bad(&d, "instruction %u: operand beyond 65535", k);
      goto fail;
    }
    in->dst = (uint16_t)ops[0];
    in->a = (uint16_t)ops[1];
    in->b = (uint16_t)ops[2];
    in->c = (uint16_t)ops[3];
  }
  if (r->pos != r->len) {
    bad(&d, "%zu bytes after the last instruction", r->len - r->pos);
    goto fail;
  }
  for (uint32_t k = 0; k < p->nins; k++) {
    if (check_ins(&d, k)) goto fail;
    const sqlp_ins *in = &p->ins[k];
    int fn = (int)(in->imm & 0xffff);
    if (in->op == SQLP_CALL &&
        ((fn >= SQLP_FN_NOW && fn <= SQLP_FN_CURRENT_TIME) || fn == SQLP_FN_RAND ||
         (fn == SQLP_FN_UNIX_TIMESTAMP && in->a == SQLP_NONE)))
      p->reads_clock = true;
  }
  p->rand_state = 0x9E3779B97F4A7C15ull;
  p->reset = sp_malloc((p->nregs ? p->nregs : 1) * sizeof *p->reset);
  if (!p->reset) goto oom;
  for (uint32_t k = 0; k < p->nregs; k++) p->reset[k] = (uint16_t)k;
  p->nreset = p->nregs;
  if (specialize && sqlp_specialize(p) < 0) goto oom;
  *out = p;
  return 0;
oom:
  sqlp_free(p);
  snprintf(err, cap, "SQL calc program: out of memory");
  return SPATE_ENOMEM;
fail:
  sqlp_free(p);
  return d.rc ? d.rc : SPATE_ECORRUPT;
}

int sqlp_decode(const uint8_t *data, size_t len, sqlp_program **out, char *err, size_t cap) {
  return decode(data, len, out, err, cap, true);
}

int sqlp_decode_generic(const uint8_t *data, size_t len, sqlp_program **out, char *err,
                        size_t cap) {
  return decode(data, len, out, err, cap, false);
}

void sqlp_free(sqlp_program *p) {
  if (!p) return;
  if (p->input) schema_unref(p->input);
  if (p->output) schema_unref(p->output);
  sqlp_tz_free(&p->tz);
  if (p->udfs) {
    sqlp_close_udfs(p);
    for (uint32_t k = 0; k < p->nudfs; k++) {
      sqlp_udf *u = &p->udfs[k];
      sp_free(u->name);
      sp_free(u->library);
      sp_free(u->symbol);
      for (int j = 0; j <= SQLP_UDF_MAX_ARGS; j++) sp_free(u->types[j]);
      sp_free(u->buf);
    }
    sp_free(p->udfs);
  }
  if (p->regex)
    for (uint32_t k = 0; k < p->nins; k++) {
      if (p->regex[k].compiled) regfree(&p->regex[k].re);
      sp_free(p->regex[k].pattern);
    }
  for (sqlp_chunk *c = p->chunks, *n; c; c = n) {
    n = c->next;
    sp_free(c);
  }
  sp_free(p->regex);
  sp_free(p->rand);
  sp_free(p->regs);
  sp_free(p->vals);
  sp_free(p->consts);
  sp_free(p->ins);
  sp_free(p->reset);
  sp_free(p->const_bytes);
  sp_free(p);
}

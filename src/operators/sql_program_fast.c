/*
 * sql_program_fast.c: the decoder's last step over a checked program (sqlp_specialize,
 * sql_program.h): the common shapes of SQL calcs rewritten into the interpreter's internal
 * instructions (SQLP_X_*), and constants loaded into their registers once instead of once per
 * row. Each internal instruction computes exactly what the one it replaces computes (the same
 * NULLs, wrapping, failures); it only skips the general instruction's dispatch on kinds and its
 * copies of whole register values. The shapes are those computed columns, projections and
 * aggregation inputs are made of: column loads, integer arithmetic and casts, epoch numbers to
 * TIMESTAMP_LTZ and TIMESTAMP_LTZ to TIMESTAMP, and stores and copies of fixed-width fields.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "operators/sql_program.h"

static bool is_int(int k) { return k >= SQLP_I8 && k <= SQLP_I64; }

/* Whether instruction in writes its dst register (as check_ins in sql_program.c decides). */
static bool writes_dst(const sqlp_ins *in) {
  switch (in->op) {
  case SQLP_JUMP:
  case SQLP_JUMP_NOT_NULL:
  case SQLP_JUMP_TRUE:
  case SQLP_JUMP_NOT_TRUE:
  case SQLP_FILTER:
  case SQLP_OUT:
  case SQLP_COPY:
  case SQLP_X_OUT_SLOT:
  case SQLP_X_COPY_SLOT: return false;
  default: return true;
  }
}

static bool is_jump(int op) {
  return op == SQLP_JUMP || op == SQLP_JUMP_NOT_NULL || op == SQLP_JUMP_TRUE ||
         op == SQLP_JUMP_NOT_TRUE;
}

/* Whether instruction in may read register r (COPY's a is an input field, not a register; a
 * C user function reads the registers a .. a + b - 1). */
static bool reads(const sqlp_ins *in, uint16_t r) {
  if (in->op == SQLP_COPY || in->op == SQLP_X_COPY_SLOT) return false;
  if (in->op == SQLP_UDF && r >= in->a && (uint32_t)r < (uint32_t)in->a + in->b) return true;
  return in->a == r || in->b == r || in->c == r;
}

/* Kinds a register holds as an integer in its slot, loaded by spate_row_bigint. */
static bool slot_load_kind(const sqlp_reg *r) {
  switch (r->kind) {
  case SQLP_BOOL:
  case SQLP_I8:
  case SQLP_I16:
  case SQLP_I32:
  case SQLP_I64:
  case SQLP_DATE:
  case SQLP_TIME:
  case SQLP_IVL_YM:
  case SQLP_IVL_DT: return true;
  case SQLP_TS:
  case SQLP_TS_LTZ: return r->precision <= 3;
  default: return false;
  }
}

/* Kinds OUT stores into a slot with no check of the value (DATE and TIME setters check ranges,
 * a TIMESTAMP below precision 3 is cut). */
static bool slot_store_kind(const sqlp_reg *r) {
  switch (r->kind) {
  case SQLP_BOOL:
  case SQLP_I8:
  case SQLP_I16:
  case SQLP_I32:
  case SQLP_I64:
  case SQLP_IVL_YM:
  case SQLP_IVL_DT: return true;
  case SQLP_TS:
  case SQLP_TS_LTZ: return r->precision == 3;
  default: return false;
  }
}

int sqlp_specialize(sqlp_program *p) {
  uint32_t n = p->nins;
  bool *skipped = sp_calloc(n + 1, sizeof *skipped);
  bool *drop = sp_calloc(n + 1, sizeof *drop);
  bool *constant = sp_calloc(p->nregs + 1, sizeof *constant);
  uint32_t *writers = sp_calloc(p->nregs + 1, sizeof *writers);
  uint32_t *writer = sp_calloc(p->nregs + 1, sizeof *writer);
  uint32_t *renum = sp_calloc(n + 1, sizeof *renum);
  int rc = skipped && drop && constant && writers && writer && renum ? 0 : SPATE_ENOMEM;
  if (rc) goto out;

  /* instructions some jump passes over (jumps only go forward) */
  int64_t reach = 0;
  for (uint32_t k = 0; k < n; k++) {
    skipped[k] = reach > (int64_t)k;
    if (is_jump(p->ins[k].op) && p->ins[k].imm > reach) reach = p->ins[k].imm;
  }
  for (uint32_t k = 0; k < n; k++)
    if (writes_dst(&p->ins[k])) {
      writers[p->ins[k].dst]++;
      writer[p->ins[k].dst] = k;
    }

  /* constants: one CONST no jump skips, no read before it */
  for (uint32_t r = 0; r < p->nregs; r++) {
    uint32_t w = writer[r];
    if (writers[r] != 1 || p->ins[w].op != SQLP_CONST || skipped[w]) continue;
    bool early = false;
    for (uint32_t k = 0; k <= w && !early; k++) early = reads(&p->ins[k], (uint16_t)r);
    if (early) continue;
    p->vals[r] = p->consts[p->ins[w].imm].v;
    p->vals[r].null = false;
    constant[r] = true;
    drop[w] = true;
  }

  for (uint32_t k = 0; k < n; k++) {
    sqlp_ins *in = &p->ins[k];
    const sqlp_reg *R = p->regs;
    switch (in->op) {
    case SQLP_LOAD:
      if (slot_load_kind(&R[in->dst])) in->op = SQLP_X_LOAD_SLOT;
      break;
    case SQLP_ARITH:
      if (is_int(R[in->dst].kind)) in->op = SQLP_X_IARITH;
      break;
    case SQLP_CAST:
      if (is_int(R[in->a].kind) && is_int(R[in->dst].kind)) {
        in->op = SQLP_X_ICAST;
      } else if (R[in->a].kind == SQLP_TS_LTZ && R[in->dst].kind == SQLP_TS &&
                 R[in->dst].precision == 3) {
        in->op = SQLP_X_LTZ_TO_TS;
      }
      break;
    case SQLP_CALL:
      /* the precision a constant the specializer loaded: never NULL, 0 or 3 on every row */
      if ((in->imm & 0xffff) == SQLP_FN_TO_TIMESTAMP_LTZ && in->imm >> 16 == 0 &&
          in->a != SQLP_NONE && is_int(R[in->a].kind) && in->b != SQLP_NONE && constant[in->b] &&
          (p->vals[in->b].i == 0 || p->vals[in->b].i == 3)) {
        in->op = SQLP_X_TO_LTZ;
        in->imm = p->vals[in->b].i;
      }
      break;
    case SQLP_OUT:
      if (slot_store_kind(&R[in->a])) in->op = SQLP_X_OUT_SLOT;
      break;
    case SQLP_COPY:
      if (!type_is_var(&p->output->fields[in->imm])) in->op = SQLP_X_COPY_SLOT;
      break;
    default: break;
    }
  }

  /* A cast of a loaded constant between integer kinds (a literal INT widened for BIGINT
   * arithmetic) is a constant too, under the same conditions: computed here, dropped. */
  for (uint32_t k = 0; k < n; k++) {
    sqlp_ins *in = &p->ins[k];
    if (in->op != SQLP_X_ICAST || !constant[in->a] || constant[in->dst] || writers[in->dst] != 1 ||
        skipped[k])
      continue;
    bool early = false;
    for (uint32_t j = 0; j <= k && !early; j++) early = reads(&p->ins[j], in->dst);
    if (early) continue;
    p->vals[in->dst] = p->vals[in->a];
    p->vals[in->dst].i = sqlp_wrap(p->regs[in->dst].kind, p->vals[in->a].i);
    constant[in->dst] = true;
    drop[k] = true;
  }

  /* An integer result narrowed by the next instruction alone (MOD of a BIGINT by an INT, say:
   * computed wide, then cast to the divisor's type) is computed straight into the cast's
   * register: wrapping to the narrower kind after the wider one is wrapping to the narrower.
   * Only when no jump passes over the arithmetic (so none lands between the two) and nothing
   * else reads or writes its register. */
  for (uint32_t k = 0; k + 1 < n; k++) {
    sqlp_ins *x = &p->ins[k], *c = &p->ins[k + 1];
    if (x->op != SQLP_X_IARITH || c->op != SQLP_X_ICAST || c->a != x->dst || skipped[k] ||
        drop[k] || drop[k + 1] || writers[x->dst] != 1 ||
        p->regs[c->dst].kind > p->regs[x->dst].kind)
      continue;
    bool other = false;
    for (uint32_t j = 0; j < n && !other; j++) other = j != k + 1 && reads(&p->ins[j], x->dst);
    if (other) continue;
    x->dst = c->dst;
    drop[k + 1] = true;
  }

  /* drop the loaded constants' instructions (and the fused casts); a jump to one lands on the
   * next kept */
  uint32_t m = 0;
  for (uint32_t k = 0; k <= n; k++) {
    renum[k] = m;
    if (k < n && !drop[k]) m++;
  }
  for (uint32_t k = 0; k < n; k++) {
    if (drop[k]) continue;
    sqlp_ins in = p->ins[k];
    if (is_jump(in.op)) in.imm = renum[in.imm];
    p->ins[renum[k]] = in;
  }
  p->nins = m;
  /* A register needs its NULL before each row only when a read can come before it is written
   * in that row: not when an instruction no jump skips writes it (every instruction that writes
   * a register sets its NULL flag) before any instruction reads it. In a program without jumps
   * no register needs one. (After the renumbering: reads and writes keep their order.) */
  memset(skipped, 0, (n + 1) * sizeof *skipped);
  reach = 0;
  for (uint32_t k = 0; k < m; k++) {
    skipped[k] = reach > (int64_t)k;
    if (is_jump(p->ins[k].op) && p->ins[k].imm > reach) reach = p->ins[k].imm;
  }
  p->nreset = 0;
  for (uint32_t r = 0; r < p->nregs; r++) {
    if (constant[r]) continue;
    bool defined = false, early = false;
    for (uint32_t k = 0; k < m && !defined && !early; k++) {
      const sqlp_ins *in = &p->ins[k];
      early = reads(in, (uint16_t)r);
      defined = !early && !skipped[k] && writes_dst(in) && in->dst == r;
    }
    if (early) p->reset[p->nreset++] = (uint16_t)r; /* (one never read needs none) */
  }
out:
  sp_free(skipped);
  sp_free(drop);
  sp_free(constant);
  sp_free(writers);
  sp_free(writer);
  sp_free(renum);
  return rc;
}

/*
 * two_phase_sink.c: the two-phase-commit engine (see two_phase_sink.h for its protocol and state
 * layout), the user two-phase sink built on it (OP_SINK_TWO_PHASE: spate_sink_two_phase) and
 * the public spate_txn accessors.
 *
 * The user sink calls its UDFs with the operator's context, so they can use spate_ctx_fail,
 * spate_ctx_user and spate_ctx_subtask like any UDF. It runs the user open and close functions
 * itself (taking them from the operator when it opens): begin needs what open set up, and the
 * open transaction must be aborted before close tears it down, while op_open and op_close call
 * the user functions after the operator's open and before its close.
 */
#include "operators/two_phase_sink.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "graph/op_params.h"
#include "operators/registry.h"

/* ---- spate_txn (public) ------------------------------------------------------------------ */
int spate_txn_set_id(spate_txn *txn, const void *id, size_t len) {
  if (!txn || (len > 0 && !id)) return SPATE_EINVAL;
  if (len > UINT32_MAX) return SPATE_EINVAL; /* a state entry stores it as a blob */
  uint8_t *copy = NULL;
  if (len > 0) {
    copy = sp_malloc(len);
    if (!copy) return SPATE_ENOMEM;
    memcpy(copy, id, len);
  }
  sp_free(txn->id);
  txn->id = copy;
  txn->id_len = len;
  return 0;
}

const void *spate_txn_id(const spate_txn *txn, size_t *len) {
  if (len) *len = txn ? txn->id_len : 0;
  return txn ? txn->id : NULL;
}

void spate_txn_set_handle(spate_txn *txn, void *handle) {
  if (txn) txn->handle = handle;
}

void *spate_txn_handle(const spate_txn *txn) { return txn ? txn->handle : NULL; }

void tps_txn_clear(spate_txn *txn) {
  sp_free(txn->id);
  txn->id = NULL;
  txn->id_len = 0;
}

/* ---- state entries ------------------------------------------------------------------------- */
int tps_entry_encode(sp_writer *w, int kind, int64_t checkpoint, const spate_txn *txn) {
  sp_put_u8(w, 1);
  sp_put_u8(w, (uint8_t)kind);
  sp_put_i64(w, checkpoint);
  sp_put_blob(w, txn->id, txn->id_len);
  return w->failed ? SPATE_ENOMEM : 0;
}

int tps_entry_decode(const uint8_t *data, uint32_t len, int *kind, int64_t *checkpoint,
                     const uint8_t **id, uint32_t *id_len, char *err, size_t err_len) {
  sp_reader r;
  sp_reader_init(&r, data, len);
  uint8_t version = sp_get_u8(&r);
  uint8_t k = sp_get_u8(&r);
  int64_t ck = sp_get_i64(&r);
  const void *p = sp_get_blob(&r, id_len);
  if (!sp_reader_ok(&r)) return sp_err(err, err_len, SPATE_ECORRUPT, "%s", r.error);
  if (version != 1)
    return sp_err(err, err_len, SPATE_ECORRUPT, "unknown version %u at offset 0", version);
  if (k != TPS_ENTRY_PENDING && k != TPS_ENTRY_CURRENT)
    return sp_err(err, err_len, SPATE_ECORRUPT, "unknown transaction kind %u at offset 1", k);
  if (r.pos != len)
    return sp_err(err, err_len, SPATE_ECORRUPT, "%zu trailing bytes at offset %zu", len - r.pos,
                  r.pos);
  *kind = k;
  *checkpoint = ck;
  *id = p;
  return 0;
}

/* ---- engine -------------------------------------------------------------------------------- */
void tps_init(tps *e, op_t *op, const tps_callbacks *cb, void *self) {
  memset(e, 0, sizeof *e);
  e->op = op;
  e->cb = cb;
  e->self = self;
}

spate_txn *tps_current(tps *e) { return e->has_current ? &e->current : NULL; }

static int begin(tps *e) {
  memset(&e->current, 0, sizeof e->current);
  int rc = e->cb->begin(e->self, &e->current);
  if (rc < 0) {
    tps_txn_clear(&e->current);
    return rc;
  }
  e->has_current = true;
  return 0;
}

int tps_open(tps *e) { return e->op->restored ? 0 : begin(e); }

int tps_invoke(tps *e, int64_t ts, const spate_row *row) {
  if (e->ended) return op_fail(e->op, SPATE_ESTATE, "record after the end of input");
  int rc = e->has_current ? 0 : begin(e);
  return rc < 0 ? rc : e->cb->invoke(e->self, &e->current, ts, row);
}

/* Pre-commits the current transaction and appends it to the pending ones under checkpoint. */
static int pre_commit_current(tps *e, int64_t checkpoint) {
  if (e->npending > 0 && e->pending[e->npending - 1].checkpoint >= checkpoint)
    return op_fail(e->op, SPATE_ESTATE,
                   "checkpoint %lld comes after checkpoint %lld: ids must increase",
                   (long long)checkpoint, (long long)e->pending[e->npending - 1].checkpoint);
  if (e->npending == e->cap) {
    int cap = e->cap ? 2 * e->cap : 4;
    tps_pending *n = sp_realloc(e->pending, sizeof *n * (size_t)cap);
    if (!n) return SPATE_ENOMEM;
    e->pending = n;
    e->cap = cap;
  }
  int rc = e->cb->pre_commit(e->self, &e->current);
  if (rc < 0) return rc;
  e->pending[e->npending].checkpoint = checkpoint;
  e->pending[e->npending].txn = e->current;
  e->npending++;
  memset(&e->current, 0, sizeof e->current);
  e->has_current = false;
  return 0;
}

int tps_snapshot(tps *e, int64_t id, snap_writer *w) {
  int rc = 0;
  if (!e->ended) {
    if (!e->has_current) rc = begin(e);
    if (rc == 0) rc = pre_commit_current(e, id);
    if (rc == 0) rc = begin(e);
    if (rc < 0) return rc;
  } else if (e->has_current && (rc = pre_commit_current(e, id)) < 0) { /* the final one */
    return rc;
  }
  sp_writer entry;
  sp_writer_init(&entry);
  for (int i = 0; rc == 0 && i <= e->npending; i++) {
    bool cur = i == e->npending;
    if (cur && !e->has_current) break;
    entry.len = 0;
    rc = tps_entry_encode(&entry, cur ? TPS_ENTRY_CURRENT : TPS_ENTRY_PENDING,
                          cur ? id : e->pending[i].checkpoint,
                          cur ? &e->current : &e->pending[i].txn);
    if (rc == 0) rc = snap_list_add(w, TPS_STATE_LIST, SNAP_SPLIT, entry.data, (uint32_t)entry.len);
  }
  sp_writer_free(&entry);
  if (rc < 0)
    return op_fail(e->op, rc, "writing the state of checkpoint %lld failed: %s", (long long)id,
                   spate_strerror(rc));
  return 0;
}

int tps_notify_complete(tps *e, int64_t id) {
  int n = 0, rc = 0;
  while (n < e->npending && e->pending[n].checkpoint <= id) {
    rc = e->cb->commit(e->self, &e->pending[n].txn);
    if (rc < 0) break;
    tps_txn_clear(&e->pending[n].txn);
    n++;
  }
  /* the committed prefix is forgotten, also when a later commit failed */
  if (n > 0) /* pending is NULL before the first checkpoint: memmove wants a valid pointer */
    memmove(e->pending, e->pending + n, sizeof *e->pending * (size_t)(e->npending - n));
  e->npending -= n;
  if (e->ended && !e->has_current && e->npending == 0) e->op->awaiting_commit = false;
  return rc;
}

int tps_notify_aborted(tps *e, int64_t id) { return 0; }

/* Commits or aborts a transaction recovered from state: handle NULL, id a private copy (the
 * callback may replace it). */
static int recover(tps *e, int kind, const uint8_t *id, uint32_t len) {
  spate_txn txn = {0};
  int rc = spate_txn_set_id(&txn, id, len);
  if (rc < 0) return rc;
  rc = kind == TPS_ENTRY_PENDING ? e->cb->commit(e->self, &txn) : e->cb->abort(e->self, &txn);
  tps_txn_clear(&txn);
  return rc;
}

int tps_restore(tps *e, const snap_restore *r) {
  const snap_list_view *l = snap_restore_list(r, TPS_STATE_LIST);
  uint32_t n = l ? l->count : 0;
  /* every entry is checked before anything is committed: corrupt state commits nothing */
  for (uint32_t i = 0; i < n; i++) {
    int kind;
    int64_t ck;
    const uint8_t *id;
    uint32_t len;
    char why[160];
    if (tps_entry_decode(l->data[i], l->len[i], &kind, &ck, &id, &len, why, sizeof why) < 0)
      return op_fail(e->op, SPATE_ECORRUPT, "restoring: entry %u of state list '%s' is corrupt: %s",
                     i, TPS_STATE_LIST, why);
  }
  /* pending transactions first (their checkpoint completed: the one restored is at least as
   * recent), then the aborts, as Flink's recoverAndCommit / recoverAndAbort */
  for (int pass = TPS_ENTRY_PENDING; pass <= TPS_ENTRY_CURRENT; pass++)
    for (uint32_t i = 0; i < n; i++) {
      int kind;
      int64_t ck;
      const uint8_t *id;
      uint32_t len;
      tps_entry_decode(l->data[i], l->len[i], &kind, &ck, &id, &len, NULL, 0);
      if (kind != pass) continue;
      int rc = recover(e, kind, id, len);
      if (rc < 0) return rc;
    }
  return e->has_current || e->ended ? 0 : begin(e);
}

int tps_end_input(tps *e) {
  if (e->ended) return 0;
  if (e->op->checkpointing) {
    /* Flink's final checkpoint (FLIP-147): what is open is pre-committed by the next checkpoint
     * and committed when that completes; the task waits for it before finishing, so a failure
     * elsewhere can never replay output that was already published */
    e->ended = true;
    e->op->awaiting_commit = e->has_current || e->npending > 0;
    return 0;
  }
  int rc = e->has_current ? pre_commit_current(e, INT64_MAX) : 0;
  if (rc == 0) rc = tps_notify_complete(e, INT64_MAX);
  if (rc == 0) e->ended = true;
  return rc;
}

void tps_close(tps *e) {
  if (e->has_current) {
    /* the task's error buffer holds why the task failed: an abort failure must not replace it */
    op_t *op = e->op;
    char saved[SP_ERRMSG_MAX];
    size_t keep = op->err_len < sizeof saved ? op->err_len : sizeof saved;
    if (keep) memcpy(saved, op->err, keep);
    if (e->cb->abort(e->self, &e->current) < 0)
      SP_WARN("two-phase-sink", "aborting the open transaction failed: %s", op->err);
    if (keep) memcpy(op->err, saved, keep);
    tps_txn_clear(&e->current);
    e->has_current = false;
  }
  for (int i = 0; i < e->npending; i++) tps_txn_clear(&e->pending[i].txn);
  sp_free(e->pending);
  e->pending = NULL;
  e->npending = e->cap = 0;
}

/* ---- user two-phase sink (OP_SINK_TWO_PHASE) ---------------------------------------------- */
typedef struct udf_tps {
  op_t *op;
  tps e;
  spate_txn_begin_fn begin;
  spate_txn_invoke_fn invoke;
  spate_txn_fn pre_commit, commit, abort;
  spate_open_fn user_open; /* taken from the operator (see the top of the file) */
  spate_close_fn user_close;
  bool user_opened;
} udf_tps;

/* A UDF's failure as the sink's error: its spate_ctx_fail text, or the code. */
static int udf_result(udf_tps *u, int rc, const char *what) {
  if (rc >= 0) return 0;
  op_t *op = u->op;
  if (rc == SPATE_ECANCELED) return rc;
  if (op->ctx.has_error) {
    op->ctx.has_error = false;
    return op_fail(op, SPATE_EUDF, "%s: %s", what, op->ctx.error);
  }
  return op_fail(op, rc, "%s returned %d (%s)", what, rc, spate_strerror(rc));
}

static int u_begin(void *self, spate_txn *txn) {
  udf_tps *u = self;
  return udf_result(u, u->begin(&u->op->ctx, txn), "begin function");
}
static int u_invoke(void *self, spate_txn *txn, int64_t ts, const spate_row *row) {
  udf_tps *u = self;
  return udf_result(u, u->invoke(&u->op->ctx, txn, row), "invoke function");
}
static int u_pre_commit(void *self, spate_txn *txn) {
  udf_tps *u = self;
  return udf_result(u, u->pre_commit(&u->op->ctx, txn), "pre-commit function");
}
static int u_commit(void *self, spate_txn *txn) {
  udf_tps *u = self;
  return udf_result(u, u->commit(&u->op->ctx, txn), "commit function");
}
static int u_abort(void *self, spate_txn *txn) {
  udf_tps *u = self;
  return udf_result(u, u->abort(&u->op->ctx, txn), "abort function");
}

static const tps_callbacks udf_callbacks = {.begin = u_begin,
                                            .invoke = u_invoke,
                                            .pre_commit = u_pre_commit,
                                            .commit = u_commit,
                                            .abort = u_abort};

static int udf_tps_open(op_t *op) {
  udf_tps *u = sp_calloc(1, sizeof *u);
  if (!u) return SPATE_ENOMEM;
  op->impl = u;
  u->op = op;
  tps_init(&u->e, op, &udf_callbacks, u);
  u->user_open = op->open_fn;
  u->user_close = op->close_fn;
  op->open_fn = NULL;
  op->close_fn = NULL;
  u->invoke = (spate_txn_invoke_fn)op->udf;
  if (!u->invoke) return op_fail(op, SPATE_EINVAL, "two-phase sink: no invoke function");
  op_two_phase_params p;
  char err[SP_ERRMSG_MAX];
  int rc = op_two_phase_params_load(op->node, &p, err, sizeof err);
  if (rc < 0) return op_fail(op, rc, "two-phase sink: %s", err);
  static const char *const what[4] = {"begin", "pre-commit", "commit", "abort"};
  const char *sym[4] = {p.begin, p.pre_commit, p.commit, p.abort};
  void *fn[4] = {0};
  for (int i = 0; i < 4 && rc == 0; i++) {
    if (!sym[i])
      rc = op_fail(op, SPATE_ECORRUPT, "two-phase sink: bad parameters (%s function): no symbol",
                   what[i]);
    else if (!(fn[i] = op_resolve(op, sym[i])))
      rc = op_fail(op, SPATE_ENOENT, "two-phase sink: %s function '%s' not found in %s", what[i],
                   sym[i], op->artifact ? op->artifact : "the program");
  }
  op_two_phase_params_free(&p);
  if (rc < 0) return rc;
  u->begin = (spate_txn_begin_fn)fn[0];
  u->pre_commit = (spate_txn_fn)fn[1];
  u->commit = (spate_txn_fn)fn[2];
  u->abort = (spate_txn_fn)fn[3];
  if (u->user_open) {
    void *user = NULL;
    rc = u->user_open(&op->ctx, &user);
    if (rc < 0) return op_udf_failed(op, rc, "open function");
    op->ctx.user = user;
  }
  u->user_opened = true;
  return tps_open(&u->e);
}

static int udf_tps_process(op_t *op, int input, int64_t ts, const spate_row *row) {
  udf_tps *u = op->impl;
  return tps_invoke(&u->e, ts, row);
}
static int udf_tps_end_input(op_t *op) { return tps_end_input(&((udf_tps *)op->impl)->e); }
static int udf_tps_snapshot(op_t *op, int64_t id, snap_writer *w) {
  return tps_snapshot(&((udf_tps *)op->impl)->e, id, w);
}
static int udf_tps_restore(op_t *op, const snap_restore *r) {
  return tps_restore(&((udf_tps *)op->impl)->e, r);
}
static int udf_tps_notify_complete(op_t *op, int64_t id) {
  return tps_notify_complete(&((udf_tps *)op->impl)->e, id);
}
static int udf_tps_notify_aborted(op_t *op, int64_t id) {
  return tps_notify_aborted(&((udf_tps *)op->impl)->e, id);
}

static void udf_tps_close(op_t *op) {
  udf_tps *u = op->impl;
  if (!u) return;
  tps_close(&u->e); /* aborts the open transaction while the user state still exists */
  if (u->user_opened && u->user_close) u->user_close(&op->ctx, op->ctx.user);
  sp_free(u);
}

const op_vtable op_sink_two_phase_vt = {.open = udf_tps_open,
                                        .process = udf_tps_process,
                                        .end_input = udf_tps_end_input,
                                        .close = udf_tps_close,
                                        .snapshot = udf_tps_snapshot,
                                        .restore = udf_tps_restore,
                                        .notify_complete = udf_tps_notify_complete,
                                        .notify_aborted = udf_tps_notify_aborted};

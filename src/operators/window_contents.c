/*
 * window_contents.c: the contents of the window operator's windows (window_operator.h): adding
 * an element (reduced, aggregated or listed), emitting a firing window (its reduced value or
 * accumulator's result, or its elements through the window function, in the keyed context of a
 * process window function), clearing a window, and moving one session's contents into another
 * when sessions merge. The contents live in the keyed-state backend under the window as
 * namespace (see window_operator.c's opening comment for the whole operator).
 */
#include <string.h>

#include "base/alloc.h"
#include "operators/process_operator.h"
#include "operators/window_operator.h"

/* ---- contents ---------------------------------------------------------------------------------- */
/* Finishes an accumulator or result row a user function built. */
int win_finish_built(win_op *w, spate_row_builder *b, spate_row *out, const char *what) {
  if (spate_rb_finish(b, out) < 0)
    return op_fail(w->op, SPATE_EUDF, "%s built an invalid row: %s", what, spate_rb_error(b));
  return 0;
}

/* A fresh accumulator (AggregateFunction.createAccumulator) built in b. */
static int agg_create(win_op *w, spate_row_builder *b, spate_row *acc) {
  spate_rb_begin(b);
  int rc = w->agg.create(&w->op->ctx, b);
  if (rc < 0) return op_udf_failed(w->op, rc, "aggregate function (create)");
  return win_finish_built(w, b, acc, "aggregate function (create)");
}

/* add(acc, value) into the builder that does not hold acc; *b says which one holds acc and is
 * flipped. */
static int agg_fold_one(win_op *w, int *b, spate_row *acc, const spate_row *value) {
  spate_row_builder *out = &w->acc_rb[*b ^ 1];
  spate_rb_begin(out);
  int rc = w->agg.add(&w->op->ctx, acc, value, out);
  if (rc < 0) return op_udf_failed(w->op, rc, "aggregate function (add)");
  *b ^= 1;
  return win_finish_built(w, out, acc, "aggregate function (add)");
}

/* Adds `row` into the accumulator of the current key and namespace, creating it first when
 * there is none (*created then true). */
int win_agg_add(win_op *w, const spate_row *row, bool *created) {
  spate_row acc;
  int rc = ks_value_get(w->contents, &acc);
  if (rc < 0) return win_state_failed(w, rc, "window state");
  *created = rc == 0;
  int b = 1; /* acc is a backend view: fold into acc_rb[0] */
  if (*created) {
    if ((rc = agg_create(w, &w->acc_rb[0], &acc)) < 0) return rc;
    b = 0;
  }
  if ((rc = agg_fold_one(w, &b, &acc, row)) < 0) return rc;
  rc = ks_value_update(w->contents, &acc);
  return rc < 0 ? win_state_failed(w, rc, "window state") : 0;
}

/* A fresh accumulator with the n rows (or, when rows is NULL, the list `it`) added: the
 * aggregate over elements kept one by one (evicting windows). */
int win_agg_fold(win_op *w, const spate_row *rows, size_t n, ks_list_iter *it, spate_row *acc) {
  int b = 0, rc = agg_create(w, &w->acc_rb[0], acc);
  spate_row e;
  for (size_t i = 0; rc == 0 && (rows ? i < n : ks_list_next(it, &e)); i++)
    rc = agg_fold_one(w, &b, acc, rows ? &rows[i] : &e);
  return rc;
}

/* What a firing window x emits from its incremental value v (the reduced row, or the
 * accumulator): the aggregate's result, and that or the reduced row goes out, or to the window
 * function as the window's one element (Flink's reduce/aggregate with a ProcessWindowFunction). */
int win_emit_result(win_op *w, win x, const spate_row *v) {
  op_t *op = w->op;
  spate_row r = *v;
  op->ctx.ts = max_ts(x);
  if (is_agg(w)) {
    spate_rb_begin(&w->res_rb);
    int rc = w->agg.result(&op->ctx, v, &w->res_rb);
    if (rc < 0) return op_udf_failed(op, rc, "aggregate function (result)");
    if ((rc = win_finish_built(w, &w->res_rb, &r, "aggregate function (result)")) < 0) return rc;
  }
  if (!w->apply) return output_emit(&op->out, max_ts(x), &r);
  spate_window_elements one;
  memset(&one, 0, sizeof one);
  one.rows = &r;
  one.n = 1;
  return win_call_window_fn(w, (void *)(uintptr_t)w->apply, x, &one);
}

/* Copies the elements of a list iterator into pw_buf and points e at the copies. */
static int copy_elements(win_op *w, spate_window_elements *e) {
  size_t len = 0, n = 0;
  spate_row r;
  ks_list_iter it = e->it;
  while (ks_list_next(&it, &r)) {
    len += r.len;
    n++;
  }
  if (len > w->pw_cap) {
    uint8_t *b = sp_realloc(w->pw_buf, len);
    if (!b) return op_fail(w->op, SPATE_ENOMEM, "out of memory");
    w->pw_buf = b;
    w->pw_cap = len;
  }
  if (n + 1 > w->pw_rows_cap) {
    spate_row *rows = sp_realloc(w->pw_rows, (n + 1) * sizeof *rows);
    if (!rows) return op_fail(w->op, SPATE_ENOMEM, "out of memory");
    w->pw_rows = rows;
    w->pw_rows_cap = n + 1;
  }
  size_t off = 0, i = 0;
  while (ks_list_next(&e->it, &r)) {
    memcpy(w->pw_buf + off, r.data, r.len); /* rows start 8-byte aligned: lengths are too */
    w->pw_rows[i++] = (spate_row){w->pw_buf + off, r.len, r.nfields};
    off += r.len;
  }
  e->rows = w->pw_rows;
  e->n = n;
  e->i = 0;
  return 0;
}

int win_call_window_fn(win_op *w, void *fn, win x, spate_window_elements *e) {
  op_t *op = w->op;
  spate_collector c = {op, &op->rb};
  int rc;
  if (!w->process_form) {
    rc = ((spate_window_fn)(uintptr_t)fn)(&op->ctx, &x, e, &c);
  } else {
    if (!e->rows && (rc = copy_elements(w, e)) < 0) return rc;
    proc_op *k = w->kctx;
    k->window = &x;
    rc =
        ((spate_process_window_fn)(uintptr_t)fn)(&op->ctx, k->hide_key ? NULL : &k->key, &x, e, &c);
    k->window = NULL;
  }
  return rc < 0 ? op_udf_failed(op, rc, "window function") : 0;
}

int win_cleanup_user(win_op *w, win x) {
  if (!w->process_form) return 0;
  proc_op *k = w->kctx;
  if (w->user_clear) {
    k->window = &x;
    int rc = w->user_clear(&w->op->ctx, k->hide_key ? NULL : &k->key, &x);
    k->window = NULL;
    if (rc < 0) return op_udf_failed(w->op, rc, "window clear function");
  }
  return proc_ctx_clear_window(k, &x);
}

int win_add_element(win_op *w, win x, const spate_row *row) {
  int rc = win_set_window(w, x);
  if (rc < 0) return rc;
  if (is_agg(w) && !contents_are_list(w)) {
    bool created;
    return win_agg_add(w, row, &created);
  }
  rc = contents_are_list(w) ? ks_list_add(w->contents, row) : ks_reducing_add(w->contents, row);
  return rc < 0 ? win_state_failed(w, rc, "reduce function") : 0;
}

/* Reduces the listed elements with the user function (evicting windows). */
static int fold(win_op *w, ks_list_iter *it, spate_row *acc, bool *any) {
  spate_row e;
  int b = 0;
  *any = false;
  while (ks_list_next(it, &e)) {
    if (!*any) {
      *acc = e;
      *any = true;
      continue;
    }
    spate_rb_begin(&w->fold_rb[b]);
    int rc = ((spate_reduce_fn)w->op->udf)(&w->op->ctx, acc, &e, &w->fold_rb[b]);
    if (rc < 0) return op_udf_failed(w->op, rc, "reduce function");
    if (spate_rb_finish(&w->fold_rb[b], acc) < 0)
      return op_fail(w->op, SPATE_EUDF, "reduce function built an invalid row: %s",
                     spate_rb_error(&w->fold_rb[b]));
    b ^= 1;
  }
  return 0;
}

/* Emits the contents of window x of the current key (nothing when it holds none), with the
 * window's max timestamp. */
int win_emit_window(win_op *w, win x) {
  if (w->panes) return win_emit_panes(w, x);
  return win_emit_window_from(w, x, x);
}

/* The same with the contents kept under window `state` (a session's state window). */
int win_emit_window_from(win_op *w, win x, win state) {
  op_t *op = w->op;
  int rc = win_set_window(w, state);
  if (rc < 0) return rc;
  op->ctx.ts = max_ts(x);
  if (!contents_are_list(w)) {
    spate_row r;
    rc = is_agg(w) ? ks_value_get(w->contents, &r) : ks_reducing_get(w->contents, &r);
    if (rc < 0) return win_state_failed(w, rc, "window state");
    return rc == 1 ? win_emit_result(w, x, &r) : 0;
  }
  spate_window_elements e;
  memset(&e, 0, sizeof e);
  rc = ks_list_get(w->contents, &e.it);
  if (rc <= 0) return rc < 0 ? win_state_failed(w, rc, "window state") : 0;
  if (w->fn == WINDOW_FN_REDUCE) {
    spate_row acc;
    bool any;
    rc = fold(w, &e.it, &acc, &any);
    return rc < 0 || !any ? rc : win_emit_result(w, x, &acc);
  }
  if (is_agg(w)) {
    spate_row acc;
    rc = win_agg_fold(w, NULL, 0, &e.it, &acc);
    return rc < 0 ? rc : win_emit_result(w, x, &acc);
  }
  return win_call_window_fn(w, op->udf, x, &e);
}

int win_clear_contents(win_op *w, win x) {
  if (w->panes) return win_clear_panes(w, x);
  int rc = win_set_window(w, x);
  if (rc == 0 && (rc = ks_clear(w->contents)) < 0) rc = win_state_failed(w, rc, "window state");
  return rc;
}

/* Moves the contents of state window `from` into state window `to` (merging two sessions;
 * Flink's mergeNamespaces): reducing state reduces the two accumulators, list state (also an
 * evictor's) appends the elements. A session that only grows keeps its state window, so this
 * runs only when existing sessions merge. */
int win_move_contents(win_op *w, win from, win to) {
  bool list = contents_are_list(w) || w->evk; /* evictors keep (timestamp, element) lists */
  int rc = win_set_window(w, from);
  if (rc < 0) return rc;
  win_scratch_reset(w);
  if (list) {
    ks_list_iter it;
    spate_row e;
    if ((rc = ks_list_get(w->contents, &it)) < 0) return win_state_failed(w, rc, "window state");
    while (ks_list_next(&it, &e))
      if ((rc = win_scratch_push(w, &e)) < 0) return op_fail(w->op, rc, "out of memory");
  } else {
    spate_row acc;
    rc = is_agg(w) ? ks_value_get(w->contents, &acc) : ks_reducing_get(w->contents, &acc);
    if (rc < 0) return win_state_failed(w, rc, "window state");
    if (rc == 1 && (rc = win_scratch_push(w, &acc)) < 0) return op_fail(w->op, rc, "out of memory");
  }
  if (w->nsrows == 0) return 0;
  if ((rc = ks_clear(w->contents)) < 0) return win_state_failed(w, rc, "window state");
  const spate_row *rows = win_scratch_rows(w, 0);
  if (!rows) return op_fail(w->op, SPATE_ENOMEM, "out of memory");
  if ((rc = win_set_window(w, to)) < 0) return rc;
  if (is_agg(w) && !list) { /* AggregatingState merge: merge(to, from) */
    spate_row acc, merged = rows[0];
    if ((rc = ks_value_get(w->contents, &acc)) < 0) return win_state_failed(w, rc, "window state");
    if (rc == 1) {
      spate_rb_begin(&w->acc_rb[0]);
      if ((rc = w->agg.merge(&w->op->ctx, &acc, &rows[0], &w->acc_rb[0])) < 0)
        return op_udf_failed(w->op, rc, "aggregate function (merge)");
      if ((rc = win_finish_built(w, &w->acc_rb[0], &merged, "aggregate function (merge)")) < 0)
        return rc;
    }
    rc = ks_value_update(w->contents, &merged);
    return rc < 0 ? win_state_failed(w, rc, "window state") : 0;
  }
  rc = list ? ks_list_add_all(w->contents, rows, w->nsrows) : ks_reducing_add(w->contents, rows);
  return rc < 0 ? win_state_failed(w, rc, "reduce function") : 0;
}

/*
 * interval_join.c: Flink's IntervalJoinOperator: each side's elements wait in a map state keyed by
 * (timestamp, sequence number) until the watermark passes the last moment they could still match: a
 * left element at t matches right ones in [t + lower, t + upper] and is cleaned up at t + upper (t
 * when upper <= 0); a right element at t matches left ones in [t - upper, t - lower] and is cleaned
 * up at t - lower (t when lower >= 0). Elements behind the watermark are dropped.
 *
 * It runs as a keyed co-process function of the process operator (process_operator.h) and
 * keeps its buffers in that operator's keyed state through the public state API; the
 * operator snapshots its sequence number (see "checkpoints" in process_operator.c).
 */
#include "operators/process_operator.h"

#include "base/alloc.h"

/* The interval join's states: one map state per side, (timestamp, sequence number) -> element. */
int interval_join_setup(proc_op *p) {
  op_t *op = p->op;
  spate_schema *k = NULL;
  char err[64];
  if (spate_schema_parse("ts BIGINT NOT NULL, seq BIGINT NOT NULL", &k, err, sizeof err) < 0)
    return op_fail(op, SPATE_ENOMEM, "interval join: %s", err);
  p->jkey = spate_rb_new(k);
  for (int side = 0; side < 2 && p->jkey; side++) {
    spate_state_desc d = {.name = side ? "interval-join-right" : "interval-join-left",
                          .kind = SPATE_STATE_MAP,
                          .schema = sg_edge_schema(op->nodes, &op->node->inputs[side]),
                          .key_schema = k};
    p->buf[side] = spate_ctx_state(&op->ctx, &d);
  }
  spate_schema_free(k);
  if (!p->jkey || !p->buf[0] || !p->buf[1])
    return op_fail(op, op->ctx.has_error ? SPATE_ESTATE : SPATE_ENOMEM, "interval join: %s",
                   op->ctx.has_error ? op->ctx.error : "out of memory");
  return 0;
}

static int64_t cleanup_time(const proc_op *p, int side, int64_t ts) {
  if (side == 0) return p->upper > 0 ? sat_add(ts, p->upper) : ts;
  return p->lower < 0 ? sat_sub(ts, p->lower) : ts;
}

static int join_element(spate_ctx *ctx, int side, const spate_row *in, spate_collector *out) {
  proc_op *p = keyed_of(ctx);
  int64_t ts = ctx->ts, wm = ctx->watermark;
  if (ts == INT64_MIN)
    return spate_ctx_fail(ctx,
                          "interval join: the record has no timestamp (assign event time "
                          "before joining)");
  if (wm != INT64_MIN && ts < wm) { /* late: dropped, as in Flink */
    sw_inc(&p->op->late_records_dropped);
    return 0;
  }
  spate_rb_begin(p->jkey);
  spate_rb_set_bigint(p->jkey, 0, ts);
  spate_rb_set_bigint(p->jkey, 1, p->seq++);
  spate_row key;
  if (spate_rb_finish(p->jkey, &key) < 0)
    return spate_ctx_fail(ctx, "interval join: %s", spate_rb_error(p->jkey));
  int rc = spate_map_put(p->buf[side], &key, in);
  if (rc < 0) return rc;
  spate_state_iter it;
  if ((rc = spate_map_iter(p->buf[1 - side], &it)) < 0) return rc;
  spate_row ok, orow;
  while (spate_map_next(&it, &ok, &orow)) {
    int64_t ots = spate_row_bigint(&ok, 0);
    int64_t diff = side == 0 ? sat_sub(ots, ts) : sat_sub(ts, ots); /* right.ts - left.ts */
    if (diff < p->lower || diff > p->upper) continue;
    spate_row_builder *b = spate_collect_begin(out);
    rc = side == 0 ? p->join(ctx, in, &orow, b) : p->join(ctx, &orow, in, b);
    if (rc < 0) return rc;
    int64_t saved = ctx->ts;
    ctx->ts = ots > ts ? ots : ts;
    rc = spate_collect_emit(out);
    ctx->ts = saved;
    if (rc < 0) return rc;
  }
  return spate_ctx_register_event_timer(ctx, cleanup_time(p, side, ts));
}

int interval_join_left(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return join_element(ctx, 0, in, out);
}
int interval_join_right(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return join_element(ctx, 1, in, out);
}

/* Drops, for the current key, every buffered element whose cleanup time has come: at or below
 * the watermark being processed, whose timers all fire before anything else happens. Flink
 * removes at each timer the elements of its timestamp alone; removing all that are due at the
 * first timer of a key leaves the others of that watermark an empty scan, where each would
 * scan all that wait: the end of a bounded input fires every timer at once. */
int interval_join_cleanup(spate_ctx *ctx, int64_t now, spate_time_domain d, spate_collector *out) {
  proc_op *p = keyed_of(ctx);
  if (ctx->watermark > now) now = ctx->watermark;
  for (int side = 0; side < 2; side++) {
    int64_t *doomed = NULL;
    size_t n = 0, cap = 0;
    spate_state_iter it;
    int rc = spate_map_iter(p->buf[side], &it);
    spate_row k, v;
    while (rc >= 0 && spate_map_next(&it, &k, &v)) {
      if (cleanup_time(p, side, spate_row_bigint(&k, 0)) > now) continue;
      if (n == cap) {
        cap = cap ? cap * 2 : 16;
        int64_t *g = sp_realloc(doomed, cap * 2 * sizeof *g);
        if (!g) {
          rc = SPATE_ENOMEM;
          break;
        }
        doomed = g;
      }
      doomed[2 * n] = spate_row_bigint(&k, 0);
      doomed[2 * n + 1] = spate_row_bigint(&k, 1);
      n++;
    }
    for (size_t i = 0; rc >= 0 && i < n; i++) {
      spate_rb_begin(p->jkey);
      spate_rb_set_bigint(p->jkey, 0, doomed[2 * i]);
      spate_rb_set_bigint(p->jkey, 1, doomed[2 * i + 1]);
      spate_row key;
      rc = spate_rb_finish(p->jkey, &key);
      if (rc >= 0) rc = spate_map_remove(p->buf[side], &key);
    }
    sp_free(doomed);
    if (rc < 0) return rc;
  }
  return 0;
}

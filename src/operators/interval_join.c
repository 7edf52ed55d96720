/*
 * interval_join.c: Flink's IntervalJoinOperator: each side's elements wait in a map state keyed by
 * (timestamp, sequence number) until the watermark passes the last moment they could still match: a
 * left element at t matches right ones in [t + lower, t + upper] and is cleaned up at t + upper (t
 * when upper <= 0); a right element at t matches left ones in [t - upper, t - lower] and is cleaned
 * up at t - lower (t when lower >= 0). Elements behind the watermark are dropped.
 *
 * The sequence numbers of a key's elements of one timestamp on one side are 0, 1, 2, ... in
 * arrival order, and those elements are only ever removed all together: the cleanup timer of
 * a time removes the elements of the one timestamp on each side whose cleanup time it is, by
 * their keys (t, 0), (t, 1), ... until one is absent, as Flink removes the bucket of a timestamp
 * (its map is keyed by timestamp, with a list of elements as value). So a cleanup costs the
 * elements it removes, not the elements that wait.
 *
 * It runs as a keyed co-process function of the process operator (process_operator.h) and
 * keeps its buffers in that operator's keyed state through the public state API.
 */
#include "operators/process_operator.h"

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

/* The map key (ts, seq) in p->jkey's row. */
static int join_key(spate_ctx *ctx, proc_op *p, int64_t ts, int64_t seq, spate_row *key) {
  spate_rb_begin(p->jkey);
  spate_rb_set_bigint(p->jkey, 0, ts);
  spate_rb_set_bigint(p->jkey, 1, seq);
  if (spate_rb_finish(p->jkey, key) < 0)
    return spate_ctx_fail(ctx, "interval join: %s", spate_rb_error(p->jkey));
  return 0;
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
  spate_row key;
  int rc = 1;
  for (int64_t seq = 0; rc == 1; seq++) { /* the first free number of ts */
    if ((rc = join_key(ctx, p, ts, seq, &key)) == 0) rc = spate_map_contains(p->buf[side], &key);
  }
  if (rc < 0) return rc;
  if ((rc = spate_map_put(p->buf[side], &key, in)) < 0) return rc;
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

/* Drops, for the current key, the buffered elements whose cleanup time is now: on each side the
 * elements of the one timestamp cleaned up at now (one timer serves both sides when their times
 * agree). */
int interval_join_cleanup(spate_ctx *ctx, int64_t now, spate_time_domain d, spate_collector *out) {
  proc_op *p = keyed_of(ctx);
  /* the inverses of cleanup_time */
  int64_t ts[2] = {p->upper > 0 ? sat_sub(now, p->upper) : now,
                   p->lower < 0 ? sat_add(now, p->lower) : now};
  for (int side = 0; side < 2; side++) {
    if (cleanup_time(p, side, ts[side]) != now) continue; /* saturated: no element's time */
    spate_row key;
    int rc = 1;
    for (int64_t seq = 0; rc == 1; seq++) {
      if ((rc = join_key(ctx, p, ts[side], seq, &key)) == 0)
        rc = spate_map_remove(p->buf[side], &key);
    }
    if (rc < 0) return rc;
  }
  return 0;
}

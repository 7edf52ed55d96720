/*
 * q6.c: Nexmark Query 6, average selling price by seller: for each closed auction, the average of
 * the final prices of its seller's last ten closed auctions before it and its own,
 *     SELECT Q.seller, AVG(Q.price) OVER
 *              (PARTITION BY Q.seller ORDER BY Q.dateTime ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
 *     FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC)
 *                   AS rownum
 *           FROM (SELECT A.id, A.seller, B.price, B.dateTime FROM auction AS A, bid AS B
 *                 WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires)
 *           WHERE rownum <= 1) AS Q
 * Flink cannot run it (an OVER window over the updating Top-1; the nexmark project says so), so
 * the result is defined here as the SQL's over the final state: one row per auction with a bid
 * in range, in the order the SQL implies. Q.dateTime is the winning bid's dateTime (the inner
 * SELECT keeps only B's), and AVG of a BIGINT is a BIGINT (the sum divided by the count,
 * truncated toward zero). The SQL's orders are not total, so they are completed as q9 does and
 * by the auction id: of bids of the winning price the earliest (its dateTime is the row's), and
 * of a seller's auctions won at the same millisecond the lower id first. With that the answer is
 * determined and compared exactly.
 *
 * Stage 1, keyed by auction id, finds each auction's winning bid as q9 does (auctions and bids
 * split from one source, the auction in value state with a timer at its expires, bids that come
 * before it waiting until the watermark passes them) and tells stage 2 when an auction opens (at its arrival) and when it closes (when the
 * watermark passes its expires: with its winning price and time, or without a winner).
 * Stage 2, keyed by seller, emits the seller's winners in order of (dateTime, auction id): a
 * winner is final in that order once no auction that could still win earlier is open (an open
 * auction's winner is no earlier than its start) and the watermark has passed its time (so every
 * auction starting by then has opened). It keeps the open auctions' starts, the winners waiting
 * for their turn and the last ten prices: bounded by the auctions open at a time.
 */
#include <stdint.h>
#include <stdlib.h>

#include "nexmark_query.h"

enum { OPEN, CLOSE, WINDOW = 10 }; /* stage 1's messages; the rows before the current one */

SPATE_RECORD(q6_change, (kind, INT_NOT_NULL), (seller, BIGINT_NOT_NULL), (id, BIGINT_NOT_NULL),
             (start, BIGINT_NOT_NULL), (won, INT_NOT_NULL), (price, BIGINT_NOT_NULL),
             (at, BIGINT_NOT_NULL));
SPATE_RECORD(q6_auction, (start, BIGINT_NOT_NULL), (expires, BIGINT_NOT_NULL),
             (seller, BIGINT_NOT_NULL));
SPATE_RECORD(q6_bid, (price, BIGINT_NOT_NULL), (at, BIGINT_NOT_NULL));
SPATE_RECORD(q6_out, (seller, BIGINT_NOT_NULL), (avg_price, BIGINT_NOT_NULL));

static spate_state *row_state(spate_ctx *ctx, const char *name, spate_state_kind kind,
                              const spate_schema *schema) {
  spate_state_desc d = {.name = name, .kind = kind, .schema = schema};
  return spate_ctx_state(ctx, &d);
}
static spate_state *auction_state(spate_ctx *ctx) {
  return row_state(ctx, "auction", SPATE_STATE_VALUE, q6_auction_schema());
}
static spate_state *best_state(spate_ctx *ctx) {
  return row_state(ctx, "best", SPATE_STATE_VALUE, q6_bid_schema());
}
static spate_state *waiting_state(spate_ctx *ctx) {
  return row_state(ctx, "waiting", SPATE_STATE_LIST, q6_bid_schema());
}

/* Stage 1's builders of the rows it keeps in state. */
typedef struct q6_builders {
  spate_row_builder *auction, *bid;
} q6_builders;

/* The auction's and the best bid's state read into *v: 1 if present, 0 if not, or an error. */
static int get_auction(spate_ctx *ctx, struct q6_auction *v) {
  spate_row row;
  int rc = spate_value_get(auction_state(ctx), &row);
  if (rc == 1) *v = q6_auction_read(&row);
  return rc;
}
static int get_best(spate_ctx *ctx, struct q6_bid *v) {
  spate_row row;
  int rc = spate_value_get(best_state(ctx), &row);
  if (rc == 1) *v = q6_bid_read(&row);
  return rc;
}

/* Whether bid a ranks before bid b: a higher price, or an equal price earlier. */
static bool better(struct q6_bid a, struct q6_bid b) {
  return a.price > b.price || (a.price == b.price && a.at < b.at);
}

static int set_best(spate_ctx *ctx, struct q6_bid b) {
  spate_row_builder *rb = ((q6_builders *)spate_ctx_user(ctx))->bid;
  spate_row row;
  spate_rb_begin(rb);
  q6_bid_write(rb, &b);
  int rc = spate_rb_finish(rb, &row);
  return rc < 0 ? rc : spate_value_update(best_state(ctx), &row);
}

int q6_open_stage1(spate_ctx *ctx, void **user) {
  q6_builders *b = calloc(1, sizeof *b);
  if (!b) return -1;
  *user = b;
  b->auction = spate_rb_new(q6_auction_schema());
  b->bid = spate_rb_new(q6_bid_schema());
  return b->auction && b->bid ? 0 : -1;
}

void q6_close_stage1(spate_ctx *ctx, void *user) {
  q6_builders *b = user;
  if (!b) return;
  spate_rb_free(b->auction);
  spate_rb_free(b->bid);
  free(b);
}

int q6_on_auction(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  struct q6_auction a = {nexmark_auction_dateTime(in), nexmark_auction_expires(in),
                         nexmark_auction_seller(in)};
  spate_row_builder *rb = ((q6_builders *)spate_ctx_user(ctx))->auction;
  spate_row row;
  spate_rb_begin(rb);
  q6_auction_write(rb, &a);
  int rc = spate_rb_finish(rb, &row);
  if (rc < 0 || (rc = spate_value_update(auction_state(ctx), &row)) < 0 ||
      (rc = spate_ctx_register_event_timer(ctx, a.expires)) < 0)
    return rc;
  spate_state *waiting = waiting_state(ctx);
  spate_state_iter it;
  if ((rc = spate_list_iter(waiting, &it)) < 0) return rc;
  struct q6_bid best = {0, 0};
  bool found = false;
  while (spate_list_next(&it, &row)) {
    struct q6_bid b = q6_bid_read(&row);
    if (b.at < a.start || b.at > a.expires || (found && !better(b, best))) continue;
    best = b;
    found = true;
  }
  if ((rc = spate_state_clear(waiting)) < 0 || (found && (rc = set_best(ctx, best)) < 0)) return rc;
  return q6_change_emit(
      out, &(struct q6_change){OPEN, a.seller, nexmark_auction_id(in), a.start, 0, 0, 0});
}

int q6_on_bid(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  struct q6_bid b = {nexmark_bid_price(in), nexmark_bid_dateTime(in)}, best;
  struct q6_auction a;
  int rc = get_auction(ctx, &a);
  if (rc < 0) return rc;
  if (rc == 0) { /* the auction has not come (or is gone): wait until the watermark passes */
    spate_row_builder *rb = ((q6_builders *)spate_ctx_user(ctx))->bid;
    spate_row row;
    spate_rb_begin(rb);
    q6_bid_write(rb, &b);
    if ((rc = spate_rb_finish(rb, &row)) < 0 || (rc = spate_list_add(waiting_state(ctx), &row)) < 0)
      return rc;
    return spate_ctx_register_event_timer(ctx, b.at);
  }
  if (b.at < a.start || b.at > a.expires) return 0; /* BETWEEN includes both ends */
  if ((rc = get_best(ctx, &best)) < 0) return rc;
  return rc == 1 && !better(b, best) ? 0 : set_best(ctx, b);
}

int q6_on_timer(spate_ctx *ctx, int64_t timestamp, spate_time_domain domain, spate_collector *out) {
  struct q6_auction a;
  struct q6_bid best = {0, 0};
  int rc = get_auction(ctx, &a);
  if (rc < 0) return rc;
  if (rc == 0) { /* a waiting bid's time: those up to it can no longer meet their auction */
    spate_state *waiting = waiting_state(ctx);
    spate_state_iter it;
    spate_row row;
    if ((rc = spate_list_iter(waiting, &it)) < 0) return rc;
    while (spate_list_next(&it, &row))
      if (q6_bid_at(&row) > timestamp) return 0; /* its own timer comes later */
    return spate_state_clear(waiting);
  }
  if (timestamp != a.expires) return 0; /* an old waiting bid's timer */
  int won = get_best(ctx, &best);
  if (won < 0) return won;
  if ((rc = spate_state_clear(auction_state(ctx))) < 0 ||
      (rc = spate_state_clear(best_state(ctx))) < 0)
    return rc;
  int64_t id = spate_row_bigint(spate_ctx_current_key(ctx), 0);
  return q6_change_emit(
      out, &(struct q6_change){CLOSE, a.seller, id, a.start, won, best.price, best.at});
}

/* Stage 2, keyed by seller. "open": auction id -> start; "price" and "at": the winners waiting
 * for their turn, auction id -> final price and time; "last": the last WINDOW prices emitted,
 * oldest first. */
static spate_state *map_state(spate_ctx *ctx, const char *name) {
  return spate_scalar_state(ctx, name, SPATE_STATE_MAP, SPATE_BIGINT, SPATE_BIGINT, false);
}

/* Emits the seller's next winner if its turn has come; 1 if it did, 0 if none is due. */
static int emit_next(spate_ctx *ctx, spate_collector *out) {
  spate_state *open = map_state(ctx, "open"), *at = map_state(ctx, "at");
  spate_state_iter it;
  int64_t id, t, first_id = 0, first_at = INT64_MAX, open_id = 0, open_at = INT64_MAX;
  int rc;
  if ((rc = spate_map_iter(at, &it)) < 0) return rc;
  while (spate_map_next_bigint_bigint(&it, &id, &t))
    if (t < first_at || (t == first_at && id < first_id)) first_at = t, first_id = id;
  if (first_at == INT64_MAX || first_at > spate_ctx_current_watermark(ctx)) return 0;
  if ((rc = spate_map_iter(open, &it)) < 0) return rc;
  while (spate_map_next_bigint_bigint(&it, &id, &t))
    if (t < open_at || (t == open_at && id < open_id)) open_at = t, open_id = id;
  /* an open auction's winner would be at (open_at or later, open_id) */
  if (open_at < first_at || (open_at == first_at && open_id < first_id)) return 0;
  spate_state *price = map_state(ctx, "price");
  int64_t p = 0, last[WINDOW + 1], sum = 0;
  int n = 0;
  if ((rc = spate_map_get_bigint_bigint(price, first_id, &p)) < 0 ||
      (rc = spate_map_remove_bigint(price, first_id)) < 0 ||
      (rc = spate_map_remove_bigint(at, first_id)) < 0)
    return rc;
  spate_state *recent = spate_list_state_bigint(ctx, "last");
  if ((rc = spate_list_iter(recent, &it)) < 0) return rc;
  while (n < WINDOW && spate_list_next_bigint(&it, &last[n])) sum += last[n++];
  last[n++] = p;
  sum += p;
  int64_t seller = spate_row_bigint(spate_ctx_current_key(ctx), 0);
  if ((rc = q6_out_emit(out, &(struct q6_out){seller, sum / n})) < 0) return rc;
  if ((rc = spate_state_clear(recent)) < 0) return rc;
  for (int i = n > WINDOW ? 1 : 0; i < n; i++)
    if ((rc = spate_list_add_bigint(recent, last[i])) < 0) return rc;
  return 1;
}

/* Emits the winners whose turn has come. */
static int emit_due(spate_ctx *ctx, spate_collector *out) {
  int rc;
  while ((rc = emit_next(ctx, out)) == 1) {
  }
  return rc;
}

int q6_seller(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  struct q6_change c = q6_change_read(in);
  spate_state *open = map_state(ctx, "open");
  int rc;
  if (c.kind == OPEN) return spate_map_put_bigint_bigint(open, c.id, c.start);
  if ((rc = spate_map_remove_bigint(open, c.id)) < 0) return rc;
  if (c.won) {
    if ((rc = spate_map_put_bigint_bigint(map_state(ctx, "price"), c.id, c.price)) < 0 ||
        (rc = spate_map_put_bigint_bigint(map_state(ctx, "at"), c.id, c.at)) < 0 ||
        (rc = spate_ctx_register_event_timer(ctx, c.at)) < 0)
      return rc;
  }
  return emit_due(ctx, out); /* a closed auction may let earlier-won ones go */
}

int q6_seller_timer(spate_ctx *ctx, int64_t timestamp, spate_time_domain domain,
                    spate_collector *out) {
  return emit_due(ctx, out);
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *auctions, *bids; /* from one source: see nexmark_auctions_and_bids */
  nexmark_auctions_and_bids(env, &auctions, &bids);
  spate_stream *changes = spate_co_process(
      spate_connect(spate_key_by_name(auctions, "id"), spate_key_by_name(bids, "auction")),
      q6_on_auction, q6_on_bid, q6_on_timer, q6_change_schema());
  spate_udf_lifecycle(changes, q6_open_stage1, q6_close_stage1);
  spate_stream *result = spate_process(spate_key_by_name(changes, "seller"), q6_seller,
                                       q6_seller_timer, q6_out_schema());
  nexmark_output(env, result, q6_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q6");
}

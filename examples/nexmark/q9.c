/*
 * q9.c: Nexmark Query 9, winning bids: each auction with its highest bid placed while it was
 * open (of equal prices the earliest),
 *     SELECT id, itemName, description, initialBid, reserve, dateTime, expires, seller, category,
 *            extra, auction, bidder, price, bid_dateTime, bid_extra
 *     FROM (SELECT A.*, B.auction, B.bidder, B.price, B.dateTime AS bid_dateTime,
 *                  B.extra AS bid_extra,
 *                  ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC)
 *                    AS rownum
 *           FROM auction A, bid B
 *           WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires)
 *     WHERE rownum <= 1
 * Flink runs this as an updating join followed by an updating Top-1, whose changelog retracts an
 * auction's winner each time a better bid comes. Here each auction's winner is emitted once, as
 * an append-only row, when the watermark passes the auction's expires: no bid that can still
 * come is in its range then (the source's watermark is the lowest time still to come minus 4 s,
 * so every bid up to it has arrived), so the row is the final state of Flink's changelog, and
 * the auction's state can be dropped, which keeps the state bounded by the auctions open at a
 * time (Flink's join keeps both inputs for ever). Of bids tied on price and dateTime the first
 * to arrive is kept; which that is depends on arrival order, so the comparison against
 * PostgreSQL accepts any of them. Auctions without a bid in range have no row, as in the join.
 *
 * A keyed co-process function over the auction id, its two inputs split from one source so that
 * they keep pace (nexmark_auctions_and_bids): the auction in value state with an event-time
 * timer at its expires, the best bid so far in value state. A bid may come before its auction
 * (the generator lets bids name auctions a little ahead, and at parallelism 2 the two come from
 * different subtasks): it waits in list state, and as it can only be in range of an auction
 * whose dateTime is at most its own, the waiting bids are dropped once the watermark passes the
 * latest of them without the auction having come (a timer at each waiting bid's dateTime). Bids
 * after an auction's state is dropped are later than its expires and wait that way too.
 */
#include <stdlib.h>

#include "nexmark_query.h"

SPATE_RECORD(q9_out, (id, BIGINT_NOT_NULL), (itemName, STRING_NOT_NULL),
             (description, STRING_NOT_NULL), (initialBid, BIGINT_NOT_NULL),
             (reserve, BIGINT_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL),
             (expires, TIMESTAMP_NOT_NULL), (seller, BIGINT_NOT_NULL), (category, BIGINT_NOT_NULL),
             (extra, STRING_NOT_NULL), (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (bid_dateTime, TIMESTAMP_NOT_NULL),
             (bid_extra, STRING_NOT_NULL));

/* The best waiting bid, copied while the list is read (its rows are views). */
typedef struct q9_scratch {
  spate_row_builder *best;
} q9_scratch;

int q9_open(spate_ctx *ctx, void **user) {
  q9_scratch *s = calloc(1, sizeof *s);
  if (!s) return -1;
  *user = s;
  return (s->best = spate_rb_new(nexmark_bid_schema())) ? 0 : -1;
}

void q9_close(spate_ctx *ctx, void *user) {
  q9_scratch *s = user;
  if (!s) return;
  spate_rb_free(s->best);
  free(s);
}

static spate_state *row_state(spate_ctx *ctx, const char *name, spate_state_kind kind,
                              const spate_schema *schema) {
  spate_state_desc d = {.name = name, .kind = kind, .schema = schema};
  return spate_ctx_state(ctx, &d);
}
static spate_state *auction_state(spate_ctx *ctx) {
  return row_state(ctx, "auction", SPATE_STATE_VALUE, nexmark_auction_schema());
}
static spate_state *best_state(spate_ctx *ctx) {
  return row_state(ctx, "best", SPATE_STATE_VALUE, nexmark_bid_schema());
}
static spate_state *waiting_state(spate_ctx *ctx) {
  return row_state(ctx, "waiting", SPATE_STATE_LIST, nexmark_bid_schema());
}

static bool in_range(const spate_row *auction, const spate_row *bid) {
  int64_t at = nexmark_bid_dateTime(bid); /* BETWEEN includes both ends */
  return at >= nexmark_auction_dateTime(auction) && at <= nexmark_auction_expires(auction);
}

/* Whether bid a ranks before bid b: a higher price, or an equal price earlier. */
static bool better(const spate_row *a, const spate_row *b) {
  int64_t pa = nexmark_bid_price(a), pb = nexmark_bid_price(b);
  return pa > pb || (pa == pb && nexmark_bid_dateTime(a) < nexmark_bid_dateTime(b));
}

int q9_on_auction(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  int rc = spate_value_update(auction_state(ctx), in);
  if (rc < 0 || (rc = spate_ctx_register_event_timer(ctx, nexmark_auction_expires(in))) < 0)
    return rc;
  spate_state *waiting = waiting_state(ctx);
  spate_state_iter it;
  if ((rc = spate_list_iter(waiting, &it)) < 0) return rc;
  spate_row_builder *copy = ((q9_scratch *)spate_ctx_user(ctx))->best;
  spate_row bid, best;
  bool found = false;
  while (spate_list_next(&it, &bid)) {
    if (!in_range(in, &bid) || (found && !better(&bid, &best))) continue;
    struct nexmark_bid b = nexmark_bid_read(&bid);
    spate_rb_begin(copy);
    nexmark_bid_write(copy, &b);
    if ((rc = spate_rb_finish(copy, &best)) < 0) return rc;
    found = true;
  }
  if ((rc = spate_state_clear(waiting)) < 0) return rc;
  return found ? spate_value_update(best_state(ctx), &best) : 0;
}

int q9_on_bid(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_row auction, best;
  int rc = spate_value_get(auction_state(ctx), &auction);
  if (rc < 0) return rc;
  if (rc == 0) { /* the auction has not come (or is gone): wait until the watermark passes */
    if ((rc = spate_list_add(waiting_state(ctx), in)) < 0) return rc;
    return spate_ctx_register_event_timer(ctx, nexmark_bid_dateTime(in));
  }
  if (!in_range(&auction, in)) return 0;
  spate_state *kept = best_state(ctx);
  if ((rc = spate_value_get(kept, &best)) < 0) return rc;
  return rc == 1 && !better(in, &best) ? 0 : spate_value_update(kept, in);
}

int q9_on_timer(spate_ctx *ctx, int64_t timestamp, spate_time_domain domain, spate_collector *out) {
  spate_row auction, best;
  int rc = spate_value_get(auction_state(ctx), &auction);
  if (rc < 0) return rc;
  if (rc == 0) { /* a waiting bid's time: those up to it can no longer meet their auction */
    spate_state *waiting = waiting_state(ctx);
    spate_state_iter it;
    spate_row bid;
    if ((rc = spate_list_iter(waiting, &it)) < 0) return rc;
    while (spate_list_next(&it, &bid))
      if (nexmark_bid_dateTime(&bid) > timestamp) return 0; /* its own timer comes later */
    return spate_state_clear(waiting);
  }
  if (timestamp != nexmark_auction_expires(&auction)) return 0; /* an old waiting bid's timer */
  /* State rows are views valid until the next state call: copy the best bid, read the auction
   * again. */
  spate_row_builder *copy = ((q9_scratch *)spate_ctx_user(ctx))->best;
  if ((rc = spate_value_get(best_state(ctx), &best)) < 0) return rc;
  if (rc == 1) {
    struct nexmark_bid b = nexmark_bid_read(&best);
    spate_rb_begin(copy);
    nexmark_bid_write(copy, &b);
    if ((rc = spate_rb_finish(copy, &best)) < 0) return rc;
    if ((rc = spate_value_get(auction_state(ctx), &auction)) < 0) return rc;
    struct nexmark_auction a = nexmark_auction_read(&auction);
    b = nexmark_bid_read(&best);
    rc = q9_out_emit(out, &(struct q9_out){a.id, a.itemName, a.description, a.initialBid, a.reserve,
                                           a.dateTime, a.expires, a.seller, a.category, a.extra,
                                           b.auction, b.bidder, b.price, b.dateTime, b.extra});
    if (rc < 0) return rc;
  }
  if ((rc = spate_state_clear(auction_state(ctx))) < 0) return rc;
  return spate_state_clear(best_state(ctx));
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *auctions, *bids; /* from one source: see nexmark_auctions_and_bids */
  nexmark_auctions_and_bids(env, &auctions, &bids);
  spate_stream *winners = spate_co_process(
      spate_connect(spate_key_by_name(auctions, "id"), spate_key_by_name(bids, "auction")),
      q9_on_auction, q9_on_bid, q9_on_timer, q9_out_schema());
  spate_udf_lifecycle(winners, q9_open, q9_close);
  nexmark_output(env, winners, q9_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q9");
}

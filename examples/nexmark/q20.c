/*
 * q20.c: Nexmark Query 20, expand bid with auction: every bid on an auction of category 10,
 * with the auction's columns,
 *     SELECT auction, bidder, price, channel, url, B.dateTime, B.extra, itemName, description,
 *            initialBid, reserve, A.dateTime, expires, seller, category, A.extra
 *     FROM bid AS B INNER JOIN auction AS A ON B.auction = A.id WHERE A.category = 10
 * A keyed co-process function over the auction id, as q3: the auction (ids are unique) in value
 * state, bids that arrive before it in list state. An auction of another category is
 * remembered too, so that its later bids are dropped at once instead of waiting forever.
 */
#include "nexmark_query.h"

SPATE_RECORD(q20_out, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (channel, STRING_NOT_NULL), (url, STRING_NOT_NULL),
             (dateTime, TIMESTAMP_NOT_NULL), (extra, STRING_NOT_NULL), (itemName, STRING_NOT_NULL),
             (description, STRING_NOT_NULL), (initialBid, BIGINT_NOT_NULL),
             (reserve, BIGINT_NOT_NULL), (auction_dateTime, TIMESTAMP_NOT_NULL),
             (expires, TIMESTAMP_NOT_NULL), (seller, BIGINT_NOT_NULL), (category, BIGINT_NOT_NULL),
             (auction_extra, STRING_NOT_NULL));

static spate_state *auction_state(spate_ctx *ctx) {
  spate_state_desc d = {
      .name = "auction", .kind = SPATE_STATE_VALUE, .schema = nexmark_auction_schema()};
  return spate_ctx_state(ctx, &d);
}

static spate_state *waiting_state(spate_ctx *ctx) {
  spate_state_desc d = {
      .name = "waiting", .kind = SPATE_STATE_LIST, .schema = nexmark_bid_schema()};
  return spate_ctx_state(ctx, &d);
}

static int emit(spate_collector *out, const spate_row *bid, const spate_row *auction) {
  struct nexmark_bid b = nexmark_bid_read(bid);
  struct nexmark_auction a = nexmark_auction_read(auction);
  if (a.category != 10) return 0;
  return q20_out_emit(
      out, &(struct q20_out){b.auction, b.bidder, b.price, b.channel, b.url, b.dateTime, b.extra,
                             a.itemName, a.description, a.initialBid, a.reserve, a.dateTime,
                             a.expires, a.seller, a.category, a.extra});
}

int q20_on_bid(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_row auction;
  int found = spate_value_get(auction_state(ctx), &auction);
  if (found < 0) return found;
  return found ? emit(out, in, &auction) : spate_list_add(waiting_state(ctx), in);
}

int q20_on_auction(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  int rc = spate_value_update(auction_state(ctx), in);
  spate_state *waiting = waiting_state(ctx);
  spate_state_iter it;
  if (rc < 0 || (rc = spate_list_iter(waiting, &it)) < 0) return rc;
  spate_row bid;
  while (spate_list_next(&it, &bid))
    if ((rc = emit(out, &bid, in)) < 0) return rc;
  return spate_state_clear(waiting);
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *auctions = spate_nexmark_source(env, SPATE_NEXMARK_AUCTION, NULL);
  spate_stream *joined = spate_co_process(
      spate_connect(spate_key_by_name(bids, "auction"), spate_key_by_name(auctions, "id")),
      q20_on_bid, q20_on_auction, NULL, q20_out_schema());
  nexmark_output(env, joined, q20_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q20");
}

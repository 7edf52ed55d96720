/*
 * nexmark_query.c: the pieces the Nexmark query jobs share (nexmark_query.h); CMake compiles it
 * into every job of examples/nexmark/.
 */
#include "nexmark_query.h"

#include <string.h>

spate_stream *nexmark_output(spate_env *env, spate_stream *result, const spate_schema *schema,
                             int argc, char **argv) {
  const char *path = spate_arg(argc, argv, "--output", NULL);
  if (!path && spate_arg_has(argc, argv, "--print")) return spate_print(result, NULL);
  if (!path) return spate_discard(result);
  if (spate_arg_has(argc, argv, "--exactly-once")) {
    spate_file_sink_options o = {.bucket_format = ""};
    return spate_sink_file_format(result, path, &o, spate_format_csv(env, schema));
  }
  return spate_write_file(result, path, spate_format_csv(env, schema));
}

/* Digits written from the end of buf backwards (no snprintf: q1 writes one per bid); the view
 * starts where the digits do. */
spate_bytes nexmark_decimal3(int64_t milli, char buf[32]) {
  uint64_t abs = milli < 0 ? 0 - (uint64_t)milli : (uint64_t)milli;
  char *end = buf + 32, *p = end;
  for (int i = 0; i < 3; i++, abs /= 10) *--p = (char)('0' + abs % 10);
  *--p = '.';
  do {
    *--p = (char)('0' + abs % 10);
    abs /= 10;
  } while (abs);
  if (milli < 0) *--p = '-';
  return (spate_bytes){p, (uint32_t)(end - p)}; /* written from the end of buf backwards */
}

/* The count's functions: external, as the aggregate's functions are found by name. */
int nexmark_count_create(spate_ctx *ctx, spate_row_builder *acc);
int nexmark_count_add(spate_ctx *ctx, const spate_row *acc, const spate_row *in,
                      spate_row_builder *out);
int nexmark_count_merge(spate_ctx *ctx, const spate_row *a, const spate_row *b,
                        spate_row_builder *out);
int nexmark_count_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out);

int nexmark_count_create(spate_ctx *ctx, spate_row_builder *acc) {
  nexmark_count_set_n(acc, 0);
  return 0;
}
int nexmark_count_add(spate_ctx *ctx, const spate_row *acc, const spate_row *in,
                      spate_row_builder *out) {
  nexmark_count_set_n(out, nexmark_count_n(acc) + 1);
  return 0;
}
int nexmark_count_merge(spate_ctx *ctx, const spate_row *a, const spate_row *b,
                        spate_row_builder *out) {
  nexmark_count_set_n(out, nexmark_count_n(a) + nexmark_count_n(b));
  return 0;
}
int nexmark_count_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out) {
  nexmark_count_set_n(out, nexmark_count_n(acc));
  return 0;
}

const spate_aggregate_fns nexmark_count_fns = {nexmark_count_create, nexmark_count_add,
                                               nexmark_count_result, nexmark_count_merge};

/* The flat maps of nexmark_auctions_and_bids: external, as UDFs are found by name. */
int nexmark_auction_of(spate_ctx *ctx, const spate_row *in, spate_collector *out);
int nexmark_bid_of(spate_ctx *ctx, const spate_row *in, spate_collector *out);

int nexmark_auction_of(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  if (nexmark_event_event_type(in) != SPATE_NEXMARK_AUCTION_EVENT) return 0;
  struct nexmark_event e = nexmark_event_read(in);
  return nexmark_auction_emit(
      out, &(struct nexmark_auction){e.auction_id, e.auction_itemName, e.auction_description,
                                     e.auction_initialBid, e.auction_reserve, e.auction_dateTime,
                                     e.auction_expires, e.auction_seller, e.auction_category,
                                     e.auction_extra});
}

int nexmark_bid_of(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  if (nexmark_event_event_type(in) != SPATE_NEXMARK_BID_EVENT) return 0;
  struct nexmark_event e = nexmark_event_read(in);
  return nexmark_bid_emit(
      out, &(struct nexmark_bid){e.bid_auction, e.bid_bidder, e.bid_price, e.bid_channel, e.bid_url,
                                 e.bid_dateTime, e.bid_extra});
}

void nexmark_auctions_and_bids(spate_env *env, spate_stream **auctions, spate_stream **bids) {
  spate_stream *events = spate_nexmark_source(env, SPATE_NEXMARK_EVENTS, NULL);
  *auctions = spate_flat_map(events, nexmark_auction_of, nexmark_auction_schema());
  *bids = spate_flat_map(events, nexmark_bid_of, nexmark_bid_schema());
}

/*
 * q1.c: Nexmark Query 1, currency conversion: every bid with its price in euros,
 *     SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid
 * The result column is DECIMAL(23, 3) in the SQL, written exactly (nexmark_decimal3).
 */
#include "nexmark_query.h"

SPATE_RECORD(q1_out, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, STRING_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL), (extra, STRING_NOT_NULL));

int q1_to_euro(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  struct nexmark_bid b = nexmark_bid_read(in);
  char price[32];
  q1_out_write(out, &(struct q1_out){b.auction, b.bidder,
                                     nexmark_decimal3(nexmark_euro_milli(b.price), price),
                                     b.dateTime, b.extra});
  return 0;
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  nexmark_output(env, spate_map(bids, q1_to_euro, q1_out_schema()), q1_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q1");
}

/*
 * q1.c: Nexmark Query 1, currency conversion: every bid with its price in euros,
 *     SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid
 * The result column is DECIMAL(23, 3) in the SQL; 0.908 * price is exact in thousandths, so it is
 * written as the decimal string SQL prints ("908.000" for a price of 1000), never rounded
 * through a double.
 */
#include <inttypes.h>
#include <stdio.h>

#include "nexmark_query.h"

SPATE_RECORD(q1_out, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, STRING_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL), (extra, STRING_NOT_NULL));

int q1_to_euro(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  struct nexmark_bid b = nexmark_bid_read(in);
  int64_t milli = b.price * 908; /* prices are below 2^53 / 908: no overflow */
  char price[32];
  int n = snprintf(price, sizeof price, "%s%" PRId64 ".%03" PRId64, milli < 0 ? "-" : "",
                   (milli < 0 ? -milli : milli) / 1000, (milli < 0 ? -milli : milli) % 1000);
  q1_out_write(out,
               &(struct q1_out){b.auction, b.bidder, {price, (uint32_t)n}, b.dateTime, b.extra});
  return 0;
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  nexmark_output(env, spate_map(bids, q1_to_euro, q1_out_schema()), q1_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q1");
}

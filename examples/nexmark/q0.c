/*
 * q0.c: Nexmark Query 0, pass through: every bid, projected, as the query's SQL does
 *     SELECT auction, bidder, price, dateTime, extra FROM bid
 * It measures the cost of the source, the parsing of nothing and the sink: the benchmark's floor.
 */
#include "nexmark_query.h"

SPATE_RECORD(q0_out, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL), (extra, STRING_NOT_NULL));

int q0_project(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  struct nexmark_bid b = nexmark_bid_read(in);
  q0_out_write(out, &(struct q0_out){b.auction, b.bidder, b.price, b.dateTime, b.extra});
  return 0;
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  nexmark_output(env, spate_map(bids, q0_project, q0_out_schema()), q0_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q0");
}

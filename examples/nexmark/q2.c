/*
 * q2.c: Nexmark Query 2, selection: the bids on every 123rd auction,
 *     SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0
 */
#include "nexmark_query.h"

SPATE_RECORD(q2_out, (auction, BIGINT_NOT_NULL), (price, BIGINT_NOT_NULL));

int q2_select(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  struct nexmark_bid b = nexmark_bid_read(in);
  if (b.auction % 123 != 0) return 0;
  return q2_out_emit(out, &(struct q2_out){b.auction, b.price});
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  nexmark_output(env, spate_flat_map(bids, q2_select, q2_out_schema()), q2_out_schema(), argc,
                 argv);
  return spate_execute_main(env, "Nexmark q2");
}

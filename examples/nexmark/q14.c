/*
 * q14.c: Nexmark Query 14, calculation: bids with a price between 1,000,000 and 50,000,000 euros
 * (exclusive), with the part of the day and a user function counting a character,
 *     SELECT auction, bidder, 0.908 * price AS price,
 *            CASE WHEN HOUR(dateTime) >= 8 AND HOUR(dateTime) <= 18 THEN 'dayTime'
 *                 WHEN HOUR(dateTime) <= 6 OR HOUR(dateTime) >= 20 THEN 'nightTime'
 *                 ELSE 'otherTime' END AS bidTimeType,
 *            dateTime, extra, count_char(extra, 'c') AS c_counts
 *     FROM bid WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000
 * The euro price is exact in thousandths (as q1), so the bounds compare integers.
 */
#include <string.h>

#include "nexmark_query.h"

SPATE_RECORD(q14_out, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, STRING_NOT_NULL), (bidTimeType, STRING_NOT_NULL),
             (dateTime, TIMESTAMP_NOT_NULL), (extra, STRING_NOT_NULL), (c_counts, BIGINT_NOT_NULL));

/* nexmark's CountChar: how often c occurs in s. */
static int64_t count_char(spate_bytes s, char c) {
  int64_t n = 0;
  for (uint32_t i = 0; i < s.len; i++) n += s.ptr[i] == c;
  return n;
}

int q14_calc(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  struct nexmark_bid b = nexmark_bid_read(in);
  int64_t milli = nexmark_euro_milli(b.price);
  if (milli <= 1000000LL * 1000 || milli >= 50000000LL * 1000) return 0;
  int hour = (int)(nexmark_minute_of_day(b.dateTime) / 60);
  const char *type = hour >= 8 && hour <= 18   ? "dayTime"
                     : hour <= 6 || hour >= 20 ? "nightTime"
                                               : "otherTime";
  char price[32];
  struct q14_out o = {
      b.auction,  b.bidder, nexmark_decimal3(milli, price), {type, (uint32_t)strlen(type)},
      b.dateTime, b.extra,  count_char(b.extra, 'c')};
  return q14_out_emit(out, &o);
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  nexmark_output(env, spate_flat_map(bids, q14_calc, q14_out_schema()), q14_out_schema(), argc,
                 argv);
  return spate_execute_main(env, "Nexmark q14");
}

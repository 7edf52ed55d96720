/*
 * q22.c: Nexmark Query 22, get URL directories,
 *     SELECT auction, bidder, price, channel, SPLIT_INDEX(url, '/', 3) AS dir1,
 *            SPLIT_INDEX(url, '/', 4) AS dir2, SPLIT_INDEX(url, '/', 5) AS dir3 FROM bid
 * SPLIT_INDEX as Flink's: the index-th (from 0) of the parts between the separators, empty parts
 * included, or NULL when there are fewer.
 */
#include <string.h>

#include "nexmark_query.h"

SPATE_RECORD(q22_out, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (channel, STRING_NOT_NULL), (dir1, STRING), (dir2, STRING),
             (dir3, STRING));

/* SPLIT_INDEX(s, sep, index); a part with ptr NULL is NULL. */
static spate_bytes split_index(spate_bytes s, char sep, int index) {
  uint32_t start = 0;
  for (int part = 0;; part++) {
    const char *hit = memchr(s.ptr + start, sep, s.len - start);
    uint32_t end = hit ? (uint32_t)(hit - s.ptr) : s.len;
    if (part == index) return (spate_bytes){s.ptr + start, end - start};
    if (!hit) return (spate_bytes){NULL, 0};
    start = end + 1;
  }
}

int q22_dirs(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  struct nexmark_bid b = nexmark_bid_read(in);
  q22_out_write(
      out, &(struct q22_out){b.auction, b.bidder, b.price, b.channel, split_index(b.url, '/', 3),
                             split_index(b.url, '/', 4), split_index(b.url, '/', 5)});
  return 0;
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  nexmark_output(env, spate_map(bids, q22_dirs, q22_out_schema()), q22_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q22");
}

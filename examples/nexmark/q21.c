/*
 * q21.c: Nexmark Query 21, add a column with a channel id,
 *     SELECT auction, bidder, price, channel,
 *            CASE WHEN lower(channel) = 'apple' THEN '0' WHEN lower(channel) = 'google' THEN '1'
 *                 WHEN lower(channel) = 'facebook' THEN '2' WHEN lower(channel) = 'baidu' THEN '3'
 *                 ELSE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) END AS channel_id
 *     FROM bid
 *     WHERE REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2) IS NOT NULL
 *        OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu')
 * The regular expression's first match is found by hand: "channel_id=" at the start of the URL
 * or after a '&', and the value up to the next '&' or the end (possibly empty, which is not
 * NULL).
 */
#include <ctype.h>
#include <string.h>

#include "nexmark_query.h"

SPATE_RECORD(q21_out, (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (channel, STRING_NOT_NULL), (channel_id, STRING_NOT_NULL));

/* REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2): true with the value, false for NULL. */
static bool channel_id_of(spate_bytes url, spate_bytes *id) {
  static const char key[] = "channel_id=";
  const uint32_t klen = sizeof key - 1;
  for (uint32_t i = 0; i + klen <= url.len; i++) {
    if ((i == 0 || url.ptr[i - 1] == '&') && memcmp(url.ptr + i, key, klen) == 0) {
      uint32_t start = i + klen, end = start;
      while (end < url.len && url.ptr[end] != '&') end++;
      *id = (spate_bytes){url.ptr + start, end - start};
      return true;
    }
  }
  return false;
}

/* lower(channel) = name (name in lower case). */
static bool is_named(spate_bytes channel, const char *name) {
  size_t n = strlen(name);
  if (channel.len != n) return false;
  for (size_t i = 0; i < n; i++)
    if (tolower((unsigned char)channel.ptr[i]) != name[i]) return false;
  return true;
}

int q21_channel_id(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  struct nexmark_bid b = nexmark_bid_read(in);
  static const char *const named[] = {"apple", "google", "facebook", "baidu"};
  static const char *const ids[] = {"0", "1", "2", "3"};
  spate_bytes id;
  bool found = false;
  for (int i = 0; i < 4 && !found; i++)
    if ((found = is_named(b.channel, named[i]))) id = (spate_bytes){ids[i], 1};
  if (!found && !channel_id_of(b.url, &id)) return 0;
  return q21_out_emit(out, &(struct q21_out){b.auction, b.bidder, b.price, b.channel, id});
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  nexmark_output(env, spate_flat_map(bids, q21_channel_id, q21_out_schema()), q21_out_schema(),
                 argc, argv);
  return spate_execute_main(env, "Nexmark q21");
}

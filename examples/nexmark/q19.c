/*
 * q19.c: Nexmark Query 19, the ten highest bids of each auction,
 *     SELECT * FROM
 *       (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number
 *        FROM bid)
 *     WHERE rank_number <= 10
 * Flink runs this as an updating Top-N over an append-only input, with the row number in the
 * result: a bid that enters an auction's top ten takes its place after the bids of an equal
 * price already there (so of tied bids the earlier arrivals rank first, and a bid that only ties
 * the tenth does not enter; which bids those are depends on arrival order, so the comparison
 * against PostgreSQL accepts any choice among tied bids), and every row whose place changed is
 * updated. The result is Flink's changelog, one update per place: for each place from the new
 * bid's down, -U (the row that held the place, with its number) and +U (the row that holds it
 * now), or +I for a place filled for the first time. Applying it in order gives the current top
 * ten, numbered 1..10.
 *
 * A process function keyed by auction: the top ten in list state, best first, and the tenth's
 * price in value state once there are ten, so that most bids of a busy auction are turned away
 * without reading the list. The SQL keeps every auction's top ten for ever, so the state grows
 * with the auctions, as Flink's does without a state TTL.
 */
#include <stdlib.h>

#include "nexmark_query.h"

enum { TOP = 10 };

SPATE_RECORD(q19_out, (op, STRING_NOT_NULL), (auction, BIGINT_NOT_NULL), (bidder, BIGINT_NOT_NULL),
             (price, BIGINT_NOT_NULL), (channel, STRING_NOT_NULL), (url, STRING_NOT_NULL),
             (dateTime, TIMESTAMP_NOT_NULL), (extra, STRING_NOT_NULL),
             (rank_number, BIGINT_NOT_NULL));

/* Copies of the top ten (the list's rows are views valid only until the next state call). */
typedef struct q19_top {
  spate_row_builder *copy[TOP];
} q19_top;

int q19_open(spate_ctx *ctx, void **user) {
  q19_top *t = calloc(1, sizeof *t);
  if (!t) return -1;
  *user = t;
  for (int i = 0; i < TOP; i++)
    if (!(t->copy[i] = spate_rb_new(nexmark_bid_schema()))) return -1;
  return 0;
}

void q19_close(spate_ctx *ctx, void *user) {
  q19_top *t = user;
  if (!t) return;
  for (int i = 0; i < TOP; i++) spate_rb_free(t->copy[i]);
  free(t);
}

static int emit(spate_collector *out, const char *op, const spate_row *bid, int64_t place) {
  struct nexmark_bid b = nexmark_bid_read(bid);
  return q19_out_emit(
      out,
      &(struct q19_out){
          {op, 2}, b.auction, b.bidder, b.price, b.channel, b.url, b.dateTime, b.extra, place});
}

int q19_top_bids(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  q19_top *t = spate_ctx_user(ctx);
  int64_t price = nexmark_bid_price(in), floor = 0;
  spate_state *tenth = spate_value_state_bigint(ctx, "tenth");
  int rc = spate_value_get_bigint(tenth, &floor);
  if (rc < 0) return rc;
  if (rc == 1 && price <= floor) return 0; /* full, and not above the tenth */
  spate_state_desc d = {.name = "top", .kind = SPATE_STATE_LIST, .schema = nexmark_bid_schema()};
  spate_state *top = spate_ctx_state(ctx, &d);
  spate_state_iter it;
  if ((rc = spate_list_iter(top, &it)) < 0) return rc;
  spate_row old[TOP], row;
  int n = 0;
  while (n < TOP && spate_list_next(&it, &row)) {
    struct nexmark_bid b = nexmark_bid_read(&row);
    spate_rb_begin(t->copy[n]);
    nexmark_bid_write(t->copy[n], &b);
    if ((rc = spate_rb_finish(t->copy[n], &old[n])) < 0) return rc;
    n++;
  }
  int at = 0; /* the new bid's place (0-based): after every bid of at least its price */
  while (at < n && nexmark_bid_price(&old[at]) >= price) at++;
  int m = n < TOP ? n + 1 : TOP;
  for (int i = at; i < m; i++) {
    const spate_row *now = i == at ? in : &old[i - 1];
    if (i < n && (rc = emit(out, "-U", &old[i], i + 1)) < 0) return rc;
    if ((rc = emit(out, i < n ? "+U" : "+I", now, i + 1)) < 0) return rc;
  }
  if ((rc = spate_state_clear(top)) < 0) return rc;
  for (int i = 0; i < m; i++) {
    const spate_row *r = i < at ? &old[i] : i == at ? in : &old[i - 1];
    if ((rc = spate_list_add(top, r)) < 0) return rc;
  }
  if (m < TOP) return 0;
  return spate_value_set_bigint(tenth, nexmark_bid_price(m - 1 == at ? in : &old[m - 2]));
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *result =
      spate_process(spate_key_by_name(bids, "auction"), q19_top_bids, NULL, q19_out_schema());
  spate_udf_lifecycle(result, q19_open, q19_close);
  nexmark_output(env, result, q19_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q19");
}

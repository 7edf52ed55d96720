/*
 * q4.c: Nexmark Query 4, average price for a category: the average of the winning (highest)
 * bids of the auctions of each category,
 *     SELECT Q.category, AVG(Q.final) FROM (
 *       SELECT MAX(B.price) AS final, A.category FROM auction A, bid B
 *       WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
 *       GROUP BY A.id, A.category) Q
 *     GROUP BY Q.category
 * Both aggregations update as bids arrive, so the result is Flink's changelog: each row starts
 * with its kind, +I (insert), -U and +U (the old and new row of an update), as Flink's print
 * connector shows them; applying it in order gives the current answer. As Flink's group
 * aggregation, an update that leaves a category's average unchanged emits nothing, and AVG of a
 * BIGINT is a BIGINT (the sum divided by the count, truncated toward zero).
 *
 * Stage 1, keyed by auction id (the join and the inner GROUP BY): the auction's time range and
 * category are kept in value state, bids that arrive before their auction (the generator lets a
 * bid name an auction a little ahead) wait in list state, and the highest price in range so far
 * is the state "final"; each new highest sends the change (category, old, new) downstream.
 * Stage 2, keyed by category: the sum and count of the auctions' highest prices, and the changelog
 * of the average.
 */
#include <stdlib.h>

#include "nexmark_query.h"

enum { INSERT, UPDATE }; /* stage 1's change kinds: a first highest price, or a higher one */

SPATE_RECORD(q4_change, (kind, INT_NOT_NULL), (category, BIGINT_NOT_NULL), (old, BIGINT_NOT_NULL),
             (final, BIGINT_NOT_NULL));
SPATE_RECORD(q4_auction, (start, TIMESTAMP_NOT_NULL), (expires, TIMESTAMP_NOT_NULL),
             (category, BIGINT_NOT_NULL));
SPATE_RECORD(q4_bid, (price, BIGINT_NOT_NULL), (dateTime, TIMESTAMP_NOT_NULL));
SPATE_RECORD(q4_out, (op, STRING_NOT_NULL), (id, BIGINT_NOT_NULL), (final, BIGINT_NOT_NULL));

/* Stage 1's builders of the rows it keeps in state. */
typedef struct q4_builders {
  spate_row_builder *auction, *bid;
} q4_builders;

int q4_open(spate_ctx *ctx, void **user) {
  q4_builders *b = calloc(1, sizeof *b);
  if (!b) return -1;
  b->auction = spate_rb_new(q4_auction_schema());
  b->bid = spate_rb_new(q4_bid_schema());
  *user = b;
  return b->auction && b->bid ? 0 : -1;
}

void q4_close(spate_ctx *ctx, void *user) {
  q4_builders *b = user;
  if (!b) return;
  spate_rb_free(b->auction);
  spate_rb_free(b->bid);
  free(b);
}

static spate_state *auction_state(spate_ctx *ctx) {
  spate_state_desc d = {
      .name = "auction", .kind = SPATE_STATE_VALUE, .schema = q4_auction_schema()};
  return spate_ctx_state(ctx, &d);
}

static spate_state *waiting_state(spate_ctx *ctx) {
  spate_state_desc d = {.name = "waiting", .kind = SPATE_STATE_LIST, .schema = q4_bid_schema()};
  return spate_ctx_state(ctx, &d);
}

/* Takes one bid of the auction `a` into its highest price, emitting the change. */
static int take_bid(spate_ctx *ctx, const struct q4_auction *a, int64_t price, int64_t at,
                    spate_collector *out) {
  if (at < a->start || at > a->expires) return 0; /* BETWEEN includes both ends */
  spate_state *final = spate_value_state_bigint(ctx, "final");
  int64_t old = -1;
  int rc = spate_value_get_bigint(final, &old);
  if (rc < 0) return rc;
  if (rc == 1 && price <= old) return 0;
  if ((rc = spate_value_set_bigint(final, price)) < 0) return rc;
  return q4_change_emit(
      out, &(struct q4_change){old < 0 ? INSERT : UPDATE, a->category, old < 0 ? 0 : old, price});
}

int q4_on_auction(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  struct nexmark_auction a = nexmark_auction_read(in);
  struct q4_auction kept = {a.dateTime, a.expires, a.category};
  spate_row_builder *rb = ((q4_builders *)spate_ctx_user(ctx))->auction;
  spate_row row;
  spate_rb_begin(rb);
  q4_auction_write(rb, &kept);
  int rc = spate_rb_finish(rb, &row);
  if (rc < 0 || (rc = spate_value_update(auction_state(ctx), &row)) < 0) return rc;
  /* The waiting bids are copied out first: rows read from state stay valid only until the next
   * state call, and take_bid writes another state. */
  spate_state *waiting = waiting_state(ctx);
  spate_state_iter it;
  if ((rc = spate_list_iter(waiting, &it)) < 0) return rc;
  struct q4_bid *bids = NULL;
  size_t n = 0, cap = 0;
  spate_row bid;
  while (spate_list_next(&it, &bid)) {
    if (n == cap) {
      struct q4_bid *more = realloc(bids, (cap = cap ? 2 * cap : 16) * sizeof *bids);
      if (!more) {
        free(bids);
        return SPATE_ENOMEM;
      }
      bids = more;
    }
    bids[n++] = q4_bid_read(&bid);
  }
  rc = spate_state_clear(waiting);
  for (size_t i = 0; rc >= 0 && i < n; i++)
    rc = take_bid(ctx, &kept, bids[i].price, bids[i].dateTime, out);
  free(bids);
  return rc;
}

int q4_on_bid(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_row arow;
  int found = spate_value_get(auction_state(ctx), &arow);
  if (found < 0) return found;
  if (found) {
    struct q4_auction a = q4_auction_read(&arow);
    return take_bid(ctx, &a, nexmark_bid_price(in), nexmark_bid_dateTime(in), out);
  }
  spate_row_builder *rb = ((q4_builders *)spate_ctx_user(ctx))->bid;
  spate_row row;
  spate_rb_begin(rb);
  q4_bid_write(rb, &(struct q4_bid){nexmark_bid_price(in), nexmark_bid_dateTime(in)});
  int rc = spate_rb_finish(rb, &row);
  return rc < 0 ? rc : spate_list_add(waiting_state(ctx), &row);
}

/* Stage 2: the category's average, as Flink's changelog. */
int q4_average(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  struct q4_change c = q4_change_read(in);
  spate_state *sum = spate_value_state_bigint(ctx, "sum");
  spate_state *count = spate_value_state_bigint(ctx, "count");
  int64_t s = 0, n = 0;
  int rc;
  if ((rc = spate_value_get_bigint(sum, &s)) < 0 || (rc = spate_value_get_bigint(count, &n)) < 0)
    return rc;
  int64_t s2 = s + c.final - (c.kind == UPDATE ? c.old : 0), n2 = n + (c.kind == INSERT);
  if ((rc = spate_value_set_bigint(sum, s2)) < 0 || (rc = spate_value_set_bigint(count, n2)) < 0)
    return rc;
  int64_t before = n ? s / n : 0, after = s2 / n2;
  if (n == 0) return q4_out_emit(out, &(struct q4_out){{"+I", 2}, c.category, after});
  if (before == after) return 0;
  if ((rc = q4_out_emit(out, &(struct q4_out){{"-U", 2}, c.category, before})) < 0) return rc;
  return q4_out_emit(out, &(struct q4_out){{"+U", 2}, c.category, after});
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *auctions = spate_nexmark_source(env, SPATE_NEXMARK_AUCTION, NULL);
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *changes = spate_co_process(
      spate_connect(spate_key_by_name(auctions, "id"), spate_key_by_name(bids, "auction")),
      q4_on_auction, q4_on_bid, NULL, q4_change_schema());
  spate_udf_lifecycle(changes, q4_open, q4_close);
  spate_stream *result =
      spate_process(spate_key_by_name(changes, "category"), q4_average, NULL, q4_out_schema());
  nexmark_output(env, result, q4_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q4");
}

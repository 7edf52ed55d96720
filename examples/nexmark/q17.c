/*
 * q17.c: Nexmark Query 17, auction statistics report: per auction and day, how many bids at
 * each level of price, and the lowest, highest, average and total price,
 *     SELECT auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS `day`,
 *            count(*) AS total_bids,
 *            count(*) filter (where price < 10000) AS rank1_bids,
 *            count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
 *            count(*) filter (where price >= 1000000) AS rank3_bids,
 *            min(price) AS min_price, max(price) AS max_price,
 *            avg(price) AS avg_price, sum(price) AS sum_price
 *     FROM bid GROUP BY auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd')
 * An updating group aggregation: Flink's changelog as in q4 (+I, then -U and +U; every bid
 * changes its group's count, so no row is ever unchanged). AVG of a BIGINT is a BIGINT, the sum
 * divided by the count, truncated toward zero. A map projects each bid to its auction, day and
 * price; keyed by (auction, day), the counts, minimum, maximum and sum are one value state.
 */
#include <stdlib.h>

#include "bid_stats.h"

SPATE_RECORD(q17_bid, (auction, BIGINT_NOT_NULL), (day, STRING_NOT_NULL), (price, BIGINT_NOT_NULL));
SPATE_RECORD(q17_acc, (total_bids, BIGINT_NOT_NULL), (rank1_bids, BIGINT_NOT_NULL),
             (rank2_bids, BIGINT_NOT_NULL), (rank3_bids, BIGINT_NOT_NULL),
             (min_price, BIGINT_NOT_NULL), (max_price, BIGINT_NOT_NULL),
             (sum_price, BIGINT_NOT_NULL));
SPATE_RECORD(q17_out, (op, STRING_NOT_NULL), (auction, BIGINT_NOT_NULL), (day, STRING_NOT_NULL),
             (total_bids, BIGINT_NOT_NULL), (rank1_bids, BIGINT_NOT_NULL),
             (rank2_bids, BIGINT_NOT_NULL), (rank3_bids, BIGINT_NOT_NULL),
             (min_price, BIGINT_NOT_NULL), (max_price, BIGINT_NOT_NULL),
             (avg_price, BIGINT_NOT_NULL), (sum_price, BIGINT_NOT_NULL));

int q17_project(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  char day[16];
  q17_bid_write(out, &(struct q17_bid){nexmark_bid_auction(in),
                                       nexmark_format_day(nexmark_bid_dateTime(in), day),
                                       nexmark_bid_price(in)});
  return 0;
}

/* The aggregation's state and the builder of its rows. */
typedef struct q17_agg {
  spate_state *acc;
  spate_row_builder *rb;
} q17_agg;

int q17_open(spate_ctx *ctx, void **user) {
  q17_agg *a = calloc(1, sizeof *a);
  if (!a) return SPATE_ENOMEM;
  *user = a;
  spate_state_desc d = {.name = "acc", .kind = SPATE_STATE_VALUE, .schema = q17_acc_schema()};
  a->acc = spate_ctx_state(ctx, &d);
  a->rb = spate_rb_new(q17_acc_schema());
  return a->acc && a->rb ? 0 : SPATE_EUDF;
}

void q17_close(spate_ctx *ctx, void *user) {
  q17_agg *a = user;
  if (!a) return;
  spate_rb_free(a->rb);
  free(a);
}

static int emit(spate_collector *out, const char *kind, const struct q17_bid *b,
                const struct q17_acc *s) {
  return q17_out_emit(out, &(struct q17_out){{kind, 2},
                                             b->auction,
                                             b->day,
                                             s->total_bids,
                                             s->rank1_bids,
                                             s->rank2_bids,
                                             s->rank3_bids,
                                             s->min_price,
                                             s->max_price,
                                             s->sum_price / s->total_bids,
                                             s->sum_price});
}

int q17_aggregate(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  q17_agg *a = spate_ctx_user(ctx);
  struct q17_bid b = q17_bid_read(in);
  spate_row row;
  int had = spate_value_get(a->acc, &row);
  if (had < 0) return had;
  struct q17_acc old = {0}, now;
  if (had) old = q17_acc_read(&row);
  now = old;
  now.total_bids++;
  int rank = nexmark_price_rank(b.price);
  now.rank1_bids += rank == 1, now.rank2_bids += rank == 2, now.rank3_bids += rank == 3;
  if (!had || b.price < now.min_price) now.min_price = b.price;
  if (!had || b.price > now.max_price) now.max_price = b.price;
  now.sum_price += b.price;
  spate_rb_begin(a->rb);
  q17_acc_write(a->rb, &now);
  int rc;
  if ((rc = spate_rb_finish(a->rb, &row)) < 0 || (rc = spate_value_update(a->acc, &row)) < 0)
    return rc;
  if (!had) return emit(out, "+I", &b, &now);
  if ((rc = emit(out, "-U", &b, &old)) < 0) return rc;
  return emit(out, "+U", &b, &now);
}

int spate_main(int argc, char **argv) {
  spate_env *env = spate_env_create();
  spate_stream *bids = spate_nexmark_source(env, SPATE_NEXMARK_BID, NULL);
  spate_stream *days = spate_map(bids, q17_project, q17_bid_schema());
  static const char *const key[] = {"auction", "day"};
  spate_stream *result =
      spate_process(spate_key_by_names(days, key, 2), q17_aggregate, NULL, q17_out_schema());
  spate_udf_lifecycle(result, q17_open, q17_close);
  nexmark_output(env, result, q17_out_schema(), argc, argv);
  return spate_execute_main(env, "Nexmark q17");
}

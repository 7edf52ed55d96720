/*
 * order_payment_join.c: orders and the payments made for them within 15 minutes, an event-time
 * interval join in the typed style (issue 14's third everyday job;
 * examples/flink/OrderPaymentJoin.java is the same job in Flink's Java API).
 *
 *     orders CSV "order_id,user,amount,ts"      payments CSV "order_id,amount,ts"
 *       -> timestamps from ts, bounded out-of-orderness watermarks (5 s), key by order_id
 *       -> interval join: payment.ts - order.ts in [0, 15 min]
 *       -> CSV "order_id,user,amount,paid,delay_ms", one row per matching pair
 *
 * Usage:
 *     spate run [-p N] order_payment_join.so --orders <csv> --payments <csv> --output <path>
 */
#include <stdio.h>

#include <spate/spate.h>

SPATE_RECORD(order, (order_id, BIGINT), (user, STRING), (amount, DOUBLE), (ts, BIGINT));
SPATE_RECORD(payment, (order_id, BIGINT), (amount, DOUBLE), (ts, BIGINT));
SPATE_RECORD(match, (order_id, BIGINT), (user, STRING), (amount, DOUBLE), (paid, DOUBLE),
             (delay_ms, BIGINT));

int pay(spate_ctx *ctx, const spate_row *o, const spate_row *p, spate_row_builder *out) {
  match_write(out, &(struct match){order_order_id(o), order_user(o), order_amount(o),
                                   payment_amount(p), payment_ts(p) - order_ts(o)});
  return 0;
}

/* A CSV file's rows with their event time, keyed by order id. */
static spate_stream *keyed_csv(spate_env *env, const char *path, const spate_schema *schema) {
  spate_stream *s = spate_read_file(env, path, spate_format_csv(env, schema));
  s = spate_assign_timestamps_name(s, "ts", SPATE_WATERMARKS_BOUNDED, 5000);
  return spate_key_by_name(s, "order_id");
}

int spate_main(int argc, char **argv) {
  const char *orders = spate_arg(argc, argv, "orders", NULL);
  const char *payments = spate_arg(argc, argv, "payments", NULL);
  const char *output = spate_arg(argc, argv, "output", NULL);
  if (!orders || !payments || !output) {
    fprintf(stderr,
            "usage: order_payment_join.so --orders <csv> --payments <csv> --output <path>\n");
    return 2;
  }
  spate_env *env = spate_env_create();
  spate_stream *matches = spate_interval_join(keyed_csv(env, orders, order_schema()),
                                              keyed_csv(env, payments, payment_schema()), 0,
                                              15 * 60 * 1000, false, false, pay, match_schema());
  spate_write_file(matches, output, spate_format_csv(env, match_schema()));
  return spate_execute_main(env, "OrderPaymentJoin");
}

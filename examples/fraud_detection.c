/*
 * fraud_detection.c: Flink's fraud detection walkthrough in the typed style (issue 14's second
 * everyday job; examples/flink/FraudDetection.java is the same job in Flink's Java API), on event
 * time: a transaction over 500.00 that follows, on the same account and within a minute, one
 * under 1.00 raises an alert.
 *
 *     CSV files of transactions "account,ts,amount" (ts in ms; out of order by at most 5 s
 *     across accounts, in order per account)
 *       -> timestamps from ts, bounded out-of-orderness watermarks (5 s)
 *       -> key by account -> process function with one value state (until when a small
 *          transaction arms the detector) and an event-time timer that disarms it
 *       -> CSV alerts "account,ts,amount" (the large transaction)
 *
 * Usage:
 *     spate run [-p N] fraud_detection.so --input <csv file or dir>... --output <path>
 */
#include <stdio.h>

#include <spate/spate.h>

#define SMALL 1.00
#define LARGE 500.00
#define MINUTE 60000

SPATE_RECORD(txn, (account, BIGINT), (ts, BIGINT), (amount, DOUBLE));

int detect(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_state *armed = spate_value_state_bigint(ctx, "armed-until");
  struct txn t = txn_read(in);
  int64_t until;
  if (spate_value_get_bigint(armed, &until) == 1) {
    /* the timer may not have fired yet: the watermark lags behind the transactions */
    if (t.amount > LARGE && t.ts <= until && txn_emit(out, &t) < 0) return -1;
    spate_ctx_delete_event_timer(ctx, until);
    spate_state_clear(armed);
  }
  if (t.amount < SMALL) {
    spate_value_set_bigint(armed, t.ts + MINUTE);
    return spate_ctx_register_event_timer(ctx, t.ts + MINUTE);
  }
  return 0;
}

int disarm(spate_ctx *ctx, int64_t ts, spate_time_domain domain, spate_collector *out) {
  return spate_state_clear(spate_value_state_bigint(ctx, "armed-until"));
}

int spate_main(int argc, char **argv) {
  const char *inputs[64], *output = spate_arg(argc, argv, "output", NULL);
  int n = spate_arg_all(argc, argv, "input", inputs, 64);
  if (n <= 0 || !output) {
    fprintf(stderr, "usage: fraud_detection.so --input <csv file or dir>... --output <path>\n");
    return 2;
  }
  spate_env *env = spate_env_create();
  spate_stream *txns =
      spate_read_files(env, inputs, (size_t)n, spate_format_csv(env, txn_schema()));
  txns = spate_assign_timestamps_name(txns, "ts", SPATE_WATERMARKS_BOUNDED, 5000);
  spate_stream *alerts =
      spate_process(spate_key_by_name(txns, "account"), detect, disarm, txn_schema());
  spate_write_file(alerts, output, spate_format_csv(env, txn_schema()));
  return spate_execute_main(env, "FraudDetection");
}

/*
 * sensor_windows.c: per-sensor statistics over 10-second event-time windows of CSV files, in the
 * typed style (issue 14's first everyday job; examples/flink/SensorWindows.java is the same job
 * in Flink's Java API).
 *
 *     CSV files of readings "sensor,ts,temp" (ts in ms; out of order by at most 5 s)
 *       -> timestamps from ts, bounded out-of-orderness watermarks (5 s)
 *       -> key by sensor -> tumbling event-time windows of 10 s
 *       -> incremental aggregate (count, sum, max) + a window function that adds key and window
 *       -> CSV "sensor,window_start,window_end,readings,avg_temp,max_temp"
 *
 * A malformed line fails the job naming the file, line and column.
 *
 * Usage:
 *     spate run [-p N] sensor_windows.so --input <csv file or dir>... --output <path>
 */
#include <math.h>
#include <stdio.h>

#include <spate/spate.h>

SPATE_RECORD(reading, (sensor, STRING), (ts, BIGINT), (temp, DOUBLE));
SPATE_RECORD(stats, (n, BIGINT), (sum, DOUBLE), (max, DOUBLE));
SPATE_RECORD(summary, (sensor, STRING), (window_start, BIGINT), (window_end, BIGINT),
             (readings, BIGINT), (avg_temp, DOUBLE), (max_temp, DOUBLE));

/* The aggregate function: (count, sum, max) of the window's temperatures. */
int stats_create(spate_ctx *ctx, spate_row_builder *acc) {
  stats_write(acc, &(struct stats){.n = 0, .sum = 0, .max = -INFINITY});
  return 0;
}
int stats_add(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  struct stats s = stats_read(acc);
  stats_write(out,
              &(struct stats){s.n + 1, s.sum + reading_temp(in), fmax(s.max, reading_temp(in))});
  return 0;
}
int stats_merge(spate_ctx *ctx, const spate_row *a, const spate_row *b, spate_row_builder *out) {
  struct stats x = stats_read(a), y = stats_read(b);
  stats_write(out, &(struct stats){x.n + y.n, x.sum + y.sum, fmax(x.max, y.max)});
  return 0;
}
int stats_result(spate_ctx *ctx, const spate_row *acc, spate_row_builder *out) {
  struct stats s = stats_read(acc);
  stats_write(out, &s);
  return 0;
}

/* The window function gets the key and the window with the aggregate's one result. */
int summarize(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
              spate_window_elements *results, spate_collector *out) {
  spate_row acc;
  spate_window_next(results, &acc);
  struct stats s = stats_read(&acc);
  return summary_emit(out, &(struct summary){spate_row_string(key, 0), w->start, w->end, s.n,
                                             s.sum / (double)s.n, s.max});
}

int spate_main(int argc, char **argv) {
  const char *inputs[64], *output = spate_arg(argc, argv, "output", NULL);
  int n = spate_arg_all(argc, argv, "input", inputs, 64);
  if (n <= 0 || !output) {
    fprintf(stderr, "usage: sensor_windows.so --input <csv file or dir>... --output <path>\n");
    return 2;
  }
  spate_env *env = spate_env_create();
  spate_stream *readings =
      spate_read_files(env, inputs, (size_t)n, spate_format_csv(env, reading_schema()));
  readings = spate_assign_timestamps_name(readings, "ts", SPATE_WATERMARKS_BOUNDED, 5000);
  spate_stream *windows = spate_window(spate_key_by_name(readings, "sensor"),
                                       spate_tumbling_windows(SPATE_EVENT_TIME, 10000, 0));
  static const spate_aggregate_fns stats = {stats_create, stats_add, stats_result, stats_merge};
  spate_stream *summaries = spate_window_aggregate_process(
      windows, &stats, stats_schema(), stats_schema(), summarize, summary_schema());
  spate_write_file(summaries, output, spate_format_csv(env, summary_schema()));
  return spate_execute_main(env, "SensorWindows");
}

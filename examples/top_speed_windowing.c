/*
 * top_speed_windowing.c: a port of Flink's TopSpeedWindowing example.
 *
 * Cars report (car id, speed km/h, distance driven m, timestamp ms). For every car, each time it
 * has driven more than 50 m since the last report, the job emits the car's top speed over the
 * last 10 seconds:
 *
 *     source ("file-input" or "in-memory-input", parallelism 1)
 *       -> flat map "parser"   ("car,speed,distance,timestamp" -> row; blank lines and '#'
 *                                comments skipped)
 *       -> timestamps from the timestamp field, monotonous watermarks
 *       -> key by car -> global windows
 *            trigger: DeltaTrigger(50, distance(new) - distance(last fired))
 *            evictor: TimeEvictor(10 s), before the function
 *          -> reduce "top-speed" (max by speed: the first of equal speeds stays)
 *       -> sink ("file-sink" or "print-sink")    rows (car, speed, distance, timestamp)
 *
 * A car's first report only starts its measurement; a report more than 50 m past the last
 * firing's report fires the window, which first drops the reports at least 10 s older than the
 * newest one (for good: the evictor rewrites the window), then yields the report with the top
 * speed among the rest. Flink's version generates random car data; this one has a small
 * built-in log so that its output can be checked by hand (tests/e2e/test_top_speed_windowing.sh).
 *
 * The reports are parsed by hand rather than with a CSV format, so that blank lines are skipped
 * and a malformed report fails the job quoting it.
 *
 * Usage:
 *     spate run [-p N] top_speed_windowing.so [--input <file or dir>]... [--output <path>]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spate/spate.h>

#define TRIGGER_METERS 50.0
#define EVICTION_MS 10000

/* Two cars in time order: car 1 fires three times (the last a tie of top speeds), car 0 twice,
 * the second after a pause long enough for the evictor to drop its first reports. */
static const char *const REPORTS[] = {
    "0,50,0,0",       "1,80,0,500",     "0,60,15,1000",   "1,90,30,1500", "0,70,32,2000",
    "1,85,51,2500",   "0,55,48,3000",   "1,100,90,3500",  "0,65,60,4000", "1,95,102,4500",
    "1,100,160,5500", "0,40,100,15000", "0,45,115,16000",
};

/* A text source's row: one STRING, the line. */
SPATE_RECORD(line, (text, STRING));
SPATE_RECORD(car_report, (car, BIGINT_NOT_NULL), (speed, BIGINT_NOT_NULL),
             (distance, DOUBLE_NOT_NULL), (ts, BIGINT_NOT_NULL));

static int bad_line(spate_ctx *ctx, const char *ptr, size_t n) {
  return spate_ctx_fail(ctx, "bad car report '%.*s': want car,speed,distance,timestamp_ms",
                        (int)(n > 80 ? 80 : n), ptr);
}

/* "car,speed,distance,timestamp" -> a car_report */
int parse_report(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_bytes line = line_text(in);
  size_t n = line.len;
  while (n > 0 && (line.ptr[n - 1] == ' ' || line.ptr[n - 1] == '\r')) n--;
  if (n == 0 || line.ptr[0] == '#') return 0;
  char buf[128];
  if (n >= sizeof buf) return bad_line(ctx, line.ptr, n);
  memcpy(buf, line.ptr, n);
  buf[n] = 0;
  struct car_report r;
  char *p = buf, *end;
  errno = 0;
  r.car = strtoll(p, &end, 10);
  if (end == p || *end != ',') return bad_line(ctx, line.ptr, n);
  p = end + 1;
  r.speed = strtoll(p, &end, 10);
  if (end == p || *end != ',') return bad_line(ctx, line.ptr, n);
  p = end + 1;
  r.distance = strtod(p, &end);
  if (end == p || *end != ',') return bad_line(ctx, line.ptr, n);
  p = end + 1;
  r.ts = strtoll(p, &end, 10);
  if (end == p || *end || errno) return bad_line(ctx, line.ptr, n);
  return car_report_emit(out, &r);
}

/* The distance driven since the report that fired last. */
double distance_delta(spate_ctx *ctx, const spate_row *last_fired, const spate_row *report) {
  return car_report_distance(report) - car_report_distance(last_fired);
}

/* maxBy(speed): a faster report replaces the one kept; of equal speeds the first stays. */
int top_speed(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  struct car_report top = car_report_read(car_report_speed(in) > car_report_speed(acc) ? in : acc);
  car_report_write(out, &top);
  return 0;
}

int spate_main(int argc, char **argv) {
  static const char *const needs_value[] = {"input", "output", NULL};
  const char *bare = spate_arg_missing_value(argc, argv, needs_value);
  if (bare) {
    fprintf(stderr, "top_speed_windowing: --%s needs a value (a path)\n", bare);
    return 1;
  }
  const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
  if (!inputs) {
    fprintf(stderr, "top_speed_windowing: out of memory\n");
    return 1;
  }
  int ninputs = spate_arg_all(argc, argv, "input", inputs, argc);
  const char *output = spate_arg(argc, argv, "output", NULL);
  spate_env *env = spate_env_create();

  spate_stream *lines;
  if (ninputs > 0) {
    lines = spate_name(spate_read_text_files(env, inputs, (size_t)ninputs), "file-input");
  } else {
    fprintf(stderr,
            "Executing TopSpeedWindowing example with default input data set.\n"
            "Use --input to specify file input.\n");
    lines = spate_name(spate_from_strings(env, REPORTS, sizeof REPORTS / sizeof REPORTS[0]),
                       "in-memory-input");
  }
  /* One reader and parser keep each car's reports in order, as the delta trigger needs. */
  lines = spate_parallelism(lines, 1);
  spate_stream *reports = spate_flat_map(lines, parse_report, car_report_schema());
  reports = spate_parallelism(spate_name(reports, "parser"), 1);
  reports = spate_assign_timestamps_name(reports, "ts", SPATE_WATERMARKS_MONOTONOUS, 0);
  reports = spate_parallelism(reports, 1);
  spate_stream *w = spate_window(spate_key_by_name(reports, "car"), spate_global_windows());
  w = spate_window_trigger(w, spate_delta_trigger(TRIGGER_METERS, distance_delta));
  w = spate_window_evictor(w, spate_time_evictor(EVICTION_MS, false));
  spate_stream *top = spate_name(spate_window_reduce(w, top_speed), "top-speed");

  if (output) {
    spate_name(spate_write_text(top, output), "file-sink");
  } else {
    fprintf(stderr, "Printing result to stdout. Use --output to specify output path.\n");
    spate_name(spate_print(top, NULL), "print-sink");
  }
  int rc = spate_execute_main(env, "TopSpeedWindowing");
  free(inputs);
  return rc;
}

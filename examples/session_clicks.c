/*
 * session_clicks.c: clicks per user session, the idea of Flink's session-window examples.
 *
 * A click log has one line per click, "user,timestamp_ms", in time order. A user's session is a
 * run of clicks with no pause of 30 minutes or more; the job counts the clicks of each session:
 *
 *     source ("file-input" or "in-memory-input", parallelism 1)
 *       -> flat map "parser"             (line -> (user, ts); blank lines and '#' comments skipped)
 *       -> timestamps and watermarks     (ts of each click; a watermark ts - 1 after each, since
 *                                          the log is in order)
 *       -> key by user -> event-time session windows, gap 30 min -> window function "sessions"
 *       -> sink ("file-sink" or "print-sink")   rows (user, window_start, window_end, clicks)
 *
 * A session window is [first click, last click + 30 min); it is emitted when the watermark
 * passes its end, so sessions come out in order of their ends (at the end of the input, all
 * remaining ones). A malformed line fails the job with a message naming it (the parser is
 * written out rather than a CSV format so that it can skip blank lines and name the line).
 *
 * Usage:
 *     spate run [-p N] session_clicks.so [--input <file or dir>]... [--output <path>]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spate/spate.h>

#define GAP_MS (30 * 60 * 1000)

/* A small built-in log: alice has two sessions, bob three, and carol's second click (just
 * under 30 minutes after the first) extends her session. */
static const char *const CLICKS[] = {
    "alice,0",     "bob,60000",     "alice,600000",  "alice,1500000", "carol,1800000",
    "bob,1900000", "alice,3400000", "alice,3500000", "carol,3599999", "bob,5000000",
};

/* A text source's row: one STRING, the line. */
SPATE_RECORD(line, (text, STRING));
SPATE_RECORD(click, (user, STRING_NOT_NULL), (ts, BIGINT_NOT_NULL));
SPATE_RECORD(session, (user, STRING_NOT_NULL), (window_start, BIGINT_NOT_NULL),
             (window_end, BIGINT_NOT_NULL), (clicks, BIGINT_NOT_NULL));

/* "user,timestamp_ms" -> a click */
int parse_click(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_bytes line = line_text(in);
  size_t n = line.len;
  while (n > 0 && (line.ptr[n - 1] == ' ' || line.ptr[n - 1] == '\r')) n--;
  if (n == 0 || line.ptr[0] == '#') return 0;
  const char *comma = memchr(line.ptr, ',', n);
  char num[32];
  size_t nlen = comma ? n - (size_t)(comma + 1 - line.ptr) : 0;
  if (!comma || comma == line.ptr || nlen == 0 || nlen >= sizeof num)
    return spate_ctx_fail(ctx, "bad click line '%.*s': want user,timestamp_ms",
                          (int)(n > 80 ? 80 : n), line.ptr);
  memcpy(num, comma + 1, nlen);
  num[nlen] = 0;
  char *end;
  errno = 0;
  long long ts = strtoll(num, &end, 10);
  if (errno || *end || end == num)
    return spate_ctx_fail(ctx, "bad timestamp '%s' in click line '%.*s'", num,
                          (int)(n > 80 ? 80 : n), line.ptr);
  return click_emit(out, &(struct click){{line.ptr, (uint32_t)(comma - line.ptr)}, ts});
}

/* The log is in time order: after each click no earlier one can come. */
int64_t click_watermark(spate_ctx *ctx, const spate_row *in, int64_t ts) {
  return ts == INT64_MIN ? INT64_MIN : ts - 1;
}

/* One session per window of a user (the key): (user, start, end, number of clicks). */
int count_session(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
                  spate_window_elements *clicks, spate_collector *out) {
  spate_row click;
  int64_t n = 0;
  while (spate_window_next(clicks, &click)) n++;
  return session_emit(out, &(struct session){spate_row_string(key, 0), w->start, w->end, n});
}

int spate_main(int argc, char **argv) {
  static const char *const needs_value[] = {"input", "output", NULL};
  const char *bare = spate_arg_missing_value(argc, argv, needs_value);
  if (bare) {
    fprintf(stderr, "session_clicks: --%s needs a value (a path)\n", bare);
    return 1;
  }
  const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
  if (!inputs) {
    fprintf(stderr, "session_clicks: out of memory\n");
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
            "Executing SessionClicks example with default input data set.\n"
            "Use --input to specify file input.\n");
    lines = spate_name(spate_from_strings(env, CLICKS, sizeof CLICKS / sizeof CLICKS[0]),
                       "in-memory-input");
  }
  /* One reader and parser keep the log's order, so per-event watermarks are exact. */
  lines = spate_parallelism(lines, 1);
  spate_stream *clicks = spate_flat_map(lines, parse_click, click_schema());
  clicks = spate_parallelism(spate_name(clicks, "parser"), 1);
  clicks = spate_assign_watermarks_custom_name(clicks, "ts", click_watermark, NULL);
  clicks = spate_parallelism(clicks, 1);
  spate_stream *w = spate_window(spate_key_by_name(clicks, "user"),
                                 spate_session_windows(SPATE_EVENT_TIME, GAP_MS));
  spate_stream *sessions =
      spate_name(spate_window_process(w, count_session, session_schema()), "sessions");

  if (output) {
    spate_name(spate_write_text(sessions, output), "file-sink");
  } else {
    fprintf(stderr, "Printing result to stdout. Use --output to specify output path.\n");
    spate_name(spate_print(sessions, NULL), "print-sink");
  }
  int rc = spate_execute_main(env, "SessionClicks");
  free(inputs);
  return rc;
}

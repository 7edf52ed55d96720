/*
 * start_end.c: a KeyedProcessFunction that matches START and END events per key and emits how
 * long each key was "open", as in Flink's process function documentation. Events are lines
 * "key,START|END,timestamp_ms" in timestamp order (event time, with a watermark after every
 * event). A START is kept in keyed state with an event-time
 * timer four hours later; the matching END emits (key, duration_ms) and clears both; a START
 * without END within four hours is dropped when its timer fires.
 *
 * The START is a value state of one BIGINT (a state shortcut, Flink's ValueState<Long>); the lines
 * are parsed by hand so that a malformed one fails the job quoting it.
 *
 * Usage: spate run [-p N] start_end.so [--input <file>]... [--output <path>]
 * Without --input it uses a small built-in event log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spate/spate.h>

#define FOUR_HOURS (4LL * 60 * 60 * 1000)

static const char *const EVENTS[] = {
    "sensor-1,START,1000",     "sensor-2,START,2000",   "sensor-2,END,2500",
    "sensor-3,START,3000",     "sensor-4,END,5000", /* END without START: nothing */
    "sensor-1,END,61000",      "sensor-1,START,100000", "sensor-1,END,160000",
    "sensor-5,START,15000000", /* its watermark passes sensor-3's four hours: sensor-3 is dropped */
    "sensor-3,END,20000000",   /* too late: nothing */
};

/* A text source's row: one STRING, the line. */
SPATE_RECORD(line, (text, STRING));
SPATE_RECORD(event, (key, STRING_NOT_NULL), (kind, STRING_NOT_NULL), (ts, BIGINT_NOT_NULL));
SPATE_RECORD(duration, (key, STRING_NOT_NULL), (duration_ms, BIGINT_NOT_NULL));

/* "key,KIND,ts" -> an event; malformed lines fail the job naming the line. */
int parse_event(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_bytes line = line_text(in);
  const char *c1 = memchr(line.ptr, ',', line.len);
  const char *c2 = c1 ? memchr(c1 + 1, ',', line.len - (size_t)(c1 + 1 - line.ptr)) : NULL;
  if (!c2)
    return spate_ctx_fail(ctx, "malformed event '%.*s': expected key,KIND,timestamp", (int)line.len,
                          line.ptr);
  char num[32];
  size_t n = line.len - (size_t)(c2 + 1 - line.ptr);
  if (n == 0 || n >= sizeof num)
    return spate_ctx_fail(ctx, "malformed timestamp in '%.*s'", (int)line.len, line.ptr);
  memcpy(num, c2 + 1, n);
  num[n] = 0;
  char *end;
  long long ts = strtoll(num, &end, 10);
  if (*end) return spate_ctx_fail(ctx, "malformed timestamp in '%.*s'", (int)line.len, line.ptr);
  event_write(out,
              &(struct event){
                  {line.ptr, (uint32_t)(c1 - line.ptr)}, {c1 + 1, (uint32_t)(c2 - c1 - 1)}, ts});
  return 0;
}

/* The key's open START: its timestamp. */
static spate_state *start_state(spate_ctx *ctx) { return spate_value_state_bigint(ctx, "start"); }

int start_end_process(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  spate_state *start = start_state(ctx);
  struct event e = event_read(in);
  int64_t started = 0;
  int found = spate_value_get_bigint(start, &started);
  if (found < 0) return found;
  if (e.kind.len == 5 && memcmp(e.kind.ptr, "START", 5) == 0) {
    if (found) spate_ctx_delete_event_timer(ctx, started + FOUR_HOURS);
    int rc = spate_value_set_bigint(start, e.ts);
    return rc < 0 ? rc : spate_ctx_register_event_timer(ctx, e.ts + FOUR_HOURS);
  }
  if (e.kind.len == 3 && memcmp(e.kind.ptr, "END", 3) == 0 && found) {
    int rc = duration_emit(out, &(struct duration){e.key, e.ts - started});
    if (rc < 0) return rc;
    spate_ctx_delete_event_timer(ctx, started + FOUR_HOURS);
    return spate_state_clear(start);
  }
  return 0; /* an END without START */
}

/* A per-event watermark: the log is in timestamp order, so after an event at ts no earlier one
 * follows (Flink's punctuated WatermarkGenerator.onEvent). */
int64_t start_end_watermark(spate_ctx *ctx, const spate_row *in, int64_t ts) { return ts - 1; }

/* Four hours after a START without END: forget it. */
int start_end_timeout(spate_ctx *ctx, int64_t timestamp, spate_time_domain domain,
                      spate_collector *out) {
  return spate_state_clear(start_state(ctx));
}

int spate_main(int argc, char **argv) {
  static const char *const needs_value[] = {"input", "output", NULL};
  const char *bare = spate_arg_missing_value(argc, argv, needs_value);
  if (bare) {
    fprintf(stderr, "start_end: --%s needs a value (a path)\n", bare);
    return 1;
  }
  const char *inputs[64];
  int ninputs = spate_arg_all(argc, argv, "input", inputs, 64);
  const char *output = spate_arg(argc, argv, "output", NULL);
  spate_env *env = spate_env_create();
  spate_stream *lines = ninputs ? spate_read_text_files(env, inputs, (size_t)ninputs)
                                : spate_from_strings(env, EVENTS, sizeof EVENTS / sizeof EVENTS[0]);
  /* parsing stays at the source's parallelism 1, so the log's order reaches the watermarks */
  spate_stream *events =
      spate_parallelism(spate_name(spate_map(lines, parse_event, event_schema()), "parse"), 1);
  events = spate_assign_watermarks_custom_name(events, "ts", start_end_watermark, NULL);
  events = spate_parallelism(events, 1);
  spate_stream *matched = spate_process(spate_key_by_name(events, "key"), start_end_process,
                                        start_end_timeout, duration_schema());
  spate_name(matched, "start-end");
  if (output)
    spate_write_text(matched, output);
  else
    spate_print(matched, NULL);
  return spate_execute_main(env, "StartEnd");
}

/*
 * start_end.c: a KeyedProcessFunction that matches START and END events per key and emits how
 * long each key was "open", as in Flink's process function documentation. Events are lines
 * "key,START|END,timestamp_ms" in timestamp order (event time, with a watermark after every
 * event). A START is kept in keyed state with an event-time
 * timer four hours later; the matching END emits (key, duration_ms) and clears both; a START
 * without END within four hours is dropped when its timer fires.
 *
 * Usage: spate run [-p N] start_end.so [--input <file>]... [--output <path>]
 * Without --input it uses a small built-in event log.
 */
#include <spate/spate.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOUR_HOURS (4LL * 60 * 60 * 1000)

static const char *const EVENTS[] = {
    "sensor-1,START,1000",     "sensor-2,START,2000",   "sensor-2,END,2500",
    "sensor-3,START,3000",     "sensor-4,END,5000", /* END without START: nothing */
    "sensor-1,END,61000",      "sensor-1,START,100000", "sensor-1,END,160000",
    "sensor-5,START,15000000", /* its watermark passes sensor-3's four hours: sensor-3 is dropped */
    "sensor-3,END,20000000",   /* too late: nothing */
};

/* "key,KIND,ts" -> (key STRING, kind STRING, ts BIGINT); malformed lines fail the job naming
 * the line. */
int parse_event(spate_ctx *ctx, const spate_row *in, spate_row_builder *out) {
  spate_bytes line = spate_row_string(in, 0);
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
  spate_rb_set_string(out, 0, line.ptr, (size_t)(c1 - line.ptr));
  spate_rb_set_string(out, 1, c1 + 1, (size_t)(c2 - c1 - 1));
  spate_rb_set_bigint(out, 2, ts);
  return 0;
}

typedef struct start_end_state {
  spate_state *start; /* value: (ts BIGINT) of the open START */
  spate_row_builder *rb;
} start_end_state;

int start_end_open(spate_ctx *ctx, void **user) {
  start_end_state *s = calloc(1, sizeof *s);
  if (!s) return spate_ctx_fail(ctx, "out of memory");
  *user = s;
  spate_schema *schema = NULL;
  char err[128];
  if (spate_schema_parse("ts BIGINT NOT NULL", &schema, err, sizeof err) < 0)
    return spate_ctx_fail(ctx, "%s", err);
  spate_state_desc d = {.name = "start", .kind = SPATE_STATE_VALUE, .schema = schema};
  s->start = spate_ctx_state(ctx, &d);
  s->rb = spate_rb_new(schema);
  spate_schema_free(schema);
  return s->start && s->rb ? 0 : -1;
}

void start_end_close(spate_ctx *ctx, void *user) {
  start_end_state *s = user;
  if (s) spate_rb_free(s->rb);
  free(s);
}

int start_end_process(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  start_end_state *s = spate_ctx_user(ctx);
  spate_bytes kind = spate_row_string(in, 1);
  int64_t ts = spate_row_bigint(in, 2);
  spate_row start;
  int found = spate_value_get(s->start, &start);
  if (found < 0) return found;
  if (kind.len == 5 && memcmp(kind.ptr, "START", 5) == 0) {
    if (found) spate_ctx_delete_event_timer(ctx, spate_row_bigint(&start, 0) + FOUR_HOURS);
    spate_rb_begin(s->rb);
    spate_rb_set_bigint(s->rb, 0, ts);
    spate_row row;
    if (spate_rb_finish(s->rb, &row) < 0) return -1;
    int rc = spate_value_update(s->start, &row);
    return rc < 0 ? rc : spate_ctx_register_event_timer(ctx, ts + FOUR_HOURS);
  }
  if (kind.len == 3 && memcmp(kind.ptr, "END", 3) == 0 && found) {
    int64_t started = spate_row_bigint(&start, 0);
    spate_row_builder *b = spate_collect_begin(out);
    spate_rb_set_field(b, 0, in, 0);
    spate_rb_set_bigint(b, 1, ts - started);
    int rc = spate_collect_emit(out);
    if (rc < 0) return rc;
    spate_ctx_delete_event_timer(ctx, started + FOUR_HOURS);
    return spate_state_clear(s->start);
  }
  return 0; /* an END without START */
}

/* A per-event watermark: the log is in timestamp order, so after an event at ts no earlier one
 * follows (Flink's punctuated WatermarkGenerator.onEvent). */
int64_t start_end_watermark(spate_ctx *ctx, const spate_row *in, int64_t ts) { return ts - 1; }

/* Four hours after a START without END: forget it. */
int start_end_timeout(spate_ctx *ctx, int64_t timestamp, spate_time_domain domain,
                      spate_collector *out) {
  start_end_state *s = spate_ctx_user(ctx);
  return spate_state_clear(s->start);
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
  const spate_schema *events =
      spate_env_schema(env, "key STRING NOT NULL, kind STRING NOT NULL, ts BIGINT NOT NULL");
  const spate_schema *durations =
      spate_env_schema(env, "key STRING NOT NULL, duration_ms BIGINT NOT NULL");
  spate_stream *lines = ninputs ? spate_read_text_files(env, inputs, (size_t)ninputs)
                                : spate_from_strings(env, EVENTS, sizeof EVENTS / sizeof EVENTS[0]);
  /* parsing stays at the source's parallelism 1, so the log's order reaches the watermarks */
  spate_stream *parsed =
      spate_parallelism(spate_name(spate_map(lines, parse_event, events), "parse"), 1);
  spate_stream *timed = spate_parallelism(
      spate_assign_watermarks_custom(parsed, 2, NULL, start_end_watermark, NULL), 1);
  spate_stream *matched =
      spate_process(spate_key_by(timed, 0), start_end_process, start_end_timeout, durations);
  spate_udf_lifecycle(spate_name(matched, "start-end"), start_end_open, start_end_close);
  if (output)
    spate_write_text(matched, output);
  else
    spate_print(matched, NULL);
  spate_job_result *r = spate_execute(env, "StartEnd");
  spate_job_status st = spate_job_result_status(r);
  if (st == SPATE_JOB_FAILED) fprintf(stderr, "start_end: %s\n", spate_job_result_error(r));
  spate_job_result_free(r);
  spate_env_free(env);
  return st == SPATE_JOB_FINISHED || st == SPATE_JOB_PLANNED ? 0 : 1;
}

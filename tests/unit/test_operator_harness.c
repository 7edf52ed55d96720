/*
 * test_operator_harness.c: single operators driven element by element through the harness
 * (harness.h), checking the exact sequence of records, timestamps and watermarks they emit:
 *  - a keyed process function: event-time timers fire in timestamp order when a watermark
 *    passes them, each output stamped with its timer's timestamp, before the watermark itself
 *    goes downstream; registering twice fires once; a deleted timer never fires;
 *  - the timestamp assigner with a per-event watermark generator: each record, then its
 *    watermark; watermarks that do not advance are not emitted; upstream watermarks are
 *    replaced, except the final one;
 *  - a tumbling event-time window with reduce: fires on the watermark at end - 1 with the
 *    window's max timestamp, drops an element that arrives for a fired window (lateness 0).
 * UDFs have external linkage and an oh_ prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"

/* ---- keyed process function timers ------------------------------------------------------------ */
/* (k, v): timer at v + 10 (twice), and at v + 5 which is deleted again */
int oh_register(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  int64_t v = spate_row_bigint(in, 1);
  if (spate_ctx_register_event_timer(ctx, v + 10) < 0) return -1;
  if (spate_ctx_register_event_timer(ctx, v + 10) < 0) return -1;
  if (spate_ctx_register_event_timer(ctx, v + 5) < 0) return -1;
  return spate_ctx_delete_event_timer(ctx, v + 5);
}
int oh_fired(spate_ctx *ctx, int64_t ts, spate_time_domain d, spate_collector *out) {
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, spate_ctx_current_key(ctx), 0);
  spate_rb_set_bigint(b, 1, ts);
  return spate_collect_emit(out);
}

static void test_process_timers(void **state) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *src = spate_from_rows(env, s, NULL, 0);
  spate_stream *p = spate_process(spate_key_by(src, 0), oh_register, oh_fired, s);
  harness h;
  assert_int_equal(harness_open(&h, env, p), 0);
  spate_row_builder *b = spate_rb_new(s);
  spate_row r;
  r = harness_row2(b, 1, 7);
  assert_int_equal(harness_element(&h, 0, 7, &r), 0); /* timer 17 */
  r = harness_row2(b, 2, 3);
  assert_int_equal(harness_element(&h, 0, 3, &r), 0); /* timer 13 */
  r = harness_row2(b, 1, 30);
  assert_int_equal(harness_element(&h, 0, 30, &r), 0); /* timer 40 */
  assert_int_equal(h.nevents, 0);
  assert_int_equal(harness_watermark(&h, 12), 0); /* nothing due (13 is not <= 12) */
  harness_expect2(&h, 0, HARNESS_WATERMARK, 12, 0, 0);
  assert_int_equal(harness_watermark(&h, 20), 0);
  harness_expect2(&h, 1, HARNESS_RECORD, 13, 2, 13); /* in timestamp order, key current */
  harness_expect2(&h, 2, HARNESS_RECORD, 17, 1, 17);
  harness_expect2(&h, 3, HARNESS_WATERMARK, 20, 0, 0); /* timers before the watermark */
  assert_int_equal(harness_watermark(&h, INT64_MAX), 0);
  harness_expect2(&h, 4, HARNESS_RECORD, 40, 1, 40);
  harness_expect2(&h, 5, HARNESS_WATERMARK, INT64_MAX, 0, 0);
  assert_int_equal(h.nevents, 6); /* the deleted v + 5 timers never fired */
  spate_rb_free(b);
  harness_close(&h);
  spate_env_free(env);
}

/* ---- processing-time timers fire once the clock is past them ---------------------------------- */
int oh_register_proc(spate_ctx *ctx, const spate_row *in, spate_collector *out) {
  return spate_ctx_register_processing_timer(ctx, spate_row_bigint(in, 1));
}

static void test_processing_timers(void **state) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *src = spate_from_rows(env, s, NULL, 0);
  spate_stream *p = spate_process(spate_key_by(src, 0), oh_register_proc, oh_fired, s);
  harness h;
  assert_int_equal(harness_open(&h, env, p), 0);
  spate_row_builder *b = spate_rb_new(s);
  spate_row r;
  r = harness_row2(b, 5, 1000);
  assert_int_equal(harness_element(&h, 0, INT64_MIN, &r), 0);
  r = harness_row2(b, 6, 2000);
  assert_int_equal(harness_element(&h, 0, INT64_MIN, &r), 0);
  /* the harness's processing time is Flink's TestProcessingTimeService: a timer for T fires when
   * the time reaches T (the task adds the system clock's millisecond) */
  assert_int_equal(harness_processing_time(&h, 999), 0);
  assert_int_equal(h.nevents, 0);
  assert_int_equal(harness_processing_time(&h, 1000), 0);
  harness_expect2(&h, 0, HARNESS_RECORD, INT64_MIN, 5,
                  1000); /* processing-time output: no timestamp */
  assert_int_equal(h.nevents, 1);
  assert_int_equal(harness_processing_time(&h, 5000), 0);
  harness_expect2(&h, 1, HARNESS_RECORD, INT64_MIN, 6, 2000);
  assert_int_equal(h.nevents, 2);
  spate_rb_free(b);
  harness_close(&h);
  spate_env_free(env);
}

/* ---- timestamp assigner with a per-event generator ------------------------------------------- */
int64_t oh_wm(spate_ctx *ctx, const spate_row *in, int64_t ts) { return ts - 2; }

static void test_per_event_watermarks(void **state) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "k BIGINT NOT NULL, ts BIGINT NOT NULL");
  spate_stream *src = spate_from_rows(env, s, NULL, 0);
  spate_stream *t = spate_assign_watermarks_custom(src, 1, NULL, oh_wm, NULL);
  harness h;
  assert_int_equal(harness_open(&h, env, t), 0);
  spate_row_builder *b = spate_rb_new(s);
  spate_row r;
  r = harness_row2(b, 1, 10);
  assert_int_equal(harness_element(&h, 0, INT64_MIN, &r), 0);
  r = harness_row2(b, 1, 8);
  assert_int_equal(harness_element(&h, 0, INT64_MIN, &r), 0); /* 6 < 8: none */
  assert_int_equal(harness_watermark(&h, 100), 0);            /* upstream watermark: dropped */
  r = harness_row2(b, 1, 15);
  assert_int_equal(harness_element(&h, 0, INT64_MIN, &r), 0);
  assert_int_equal(harness_watermark(&h, INT64_MAX), 0); /* the final one passes */
  harness_expect2(&h, 0, HARNESS_RECORD, 10, 1, 10);     /* the field became the timestamp */
  harness_expect2(&h, 1, HARNESS_WATERMARK, 8, 0, 0);
  harness_expect2(&h, 2, HARNESS_RECORD, 8, 1, 8);
  harness_expect2(&h, 3, HARNESS_RECORD, 15, 1, 15);
  harness_expect2(&h, 4, HARNESS_WATERMARK, 13, 0, 0);
  harness_expect2(&h, 5, HARNESS_WATERMARK, INT64_MAX, 0, 0);
  assert_int_equal(h.nevents, 6);
  spate_rb_free(b);
  harness_close(&h);
  spate_env_free(env);
}

/* ---- tumbling event-time window -------------------------------------------------------------- */
int oh_sum(spate_ctx *ctx, const spate_row *acc, const spate_row *in, spate_row_builder *out) {
  spate_rb_set_field(out, 0, acc, 0);
  spate_rb_set_bigint(out, 1, spate_row_bigint(acc, 1) + spate_row_bigint(in, 1));
  return 0;
}

static void test_tumbling_window(void **state) {
  spate_env *env = spate_env_create();
  const spate_schema *s = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *src = spate_from_rows(env, s, NULL, 0);
  spate_stream *w = spate_window_reduce(
      spate_window(spate_key_by(src, 0), spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0)), oh_sum);
  harness h;
  assert_int_equal(harness_open(&h, env, w), 0);
  spate_row_builder *b = spate_rb_new(s);
  spate_row r;
  r = harness_row2(b, 1, 100);
  assert_int_equal(harness_element(&h, 0, 1, &r), 0);
  r = harness_row2(b, 1, 20);
  assert_int_equal(harness_element(&h, 0, 5, &r), 0);
  r = harness_row2(b, 1, 3);
  assert_int_equal(harness_element(&h, 0, 12, &r), 0);
  assert_int_equal(harness_watermark(&h, 8), 0); /* window [0,10) not yet: max timestamp 9 */
  harness_expect2(&h, 0, HARNESS_WATERMARK, 8, 0, 0);
  assert_int_equal(harness_watermark(&h, 9), 0);
  harness_expect2(&h, 1, HARNESS_RECORD, 9, 1, 120);
  harness_expect2(&h, 2, HARNESS_WATERMARK, 9, 0, 0);
  r = harness_row2(b, 1, 1000);
  assert_int_equal(harness_element(&h, 0, 4, &r), 0); /* late: dropped */
  assert_int_equal(harness_watermark(&h, 25), 0);
  harness_expect2(&h, 3, HARNESS_RECORD, 19, 1, 3);
  harness_expect2(&h, 4, HARNESS_WATERMARK, 25, 0, 0);
  assert_int_equal(h.nevents, 5);
  spate_rb_free(b);
  harness_close(&h);
  spate_env_free(env);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_process_timers),
      cmocka_unit_test(test_processing_timers),
      cmocka_unit_test(test_per_event_watermarks),
      cmocka_unit_test(test_tumbling_window),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

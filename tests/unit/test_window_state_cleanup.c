/*
 * test_window_state_cleanup.c: per-window state of a process window function
 * (spate_ctx_window_state) goes at the window's cleanup, on the window operator itself (the
 * operator harness): a window function counts its firings in window state and global state;
 * after the firing the backend holds one window-state record per (key, window), after the
 * cleanup time (max timestamp + allowed lateness) none, while the global state stays; with the
 * generic path (a count trigger) the same. Records are counted by visiting every key group of
 * the operator's backend.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "operators/window_operator.h"

int wsc_fn(spate_ctx *ctx, const spate_row *key, const spate_time_window *w,
           spate_window_elements *el, spate_collector *out) {
  spate_state *fires = spate_scalar_state(ctx, "fires", SPATE_STATE_VALUE, 0, SPATE_BIGINT, true);
  spate_state *all = spate_value_state_bigint(ctx, "all");
  int64_t f = 0, a = 0;
  int rc;
  if (!fires || !all) return SPATE_EUDF;
  if ((rc = spate_value_get_bigint(fires, &f)) < 0 || (rc = spate_value_get_bigint(all, &a)) < 0 ||
      (rc = spate_value_set_bigint(fires, f + 1)) < 0 ||
      (rc = spate_value_set_bigint(all, a + 1)) < 0)
    return rc;
  spate_row_builder *b = spate_collect_begin(out);
  spate_rb_set_field(b, 0, key, 0);
  spate_rb_set_bigint(b, 1, f + 1);
  return spate_collect_emit(out);
}

typedef struct counts {
  int fires, all;
} counts;

static int count_record(void *arg, const ks_record *rec) {
  counts *c = arg;
  if (strcmp(rec->state, "fires") == 0) c->fires++;
  if (strcmp(rec->state, "all") == 0) c->all++;
  return 0;
}

static counts records(harness *h) {
  win_op *w = h->op->impl;
  counts c = {0, 0};
  ks_key_group_range r = ks_backend_range(w->backend);
  for (int kg = r.first; kg <= r.last; kg++)
    ks_snapshot_key_group(w->backend, kg, count_record, &c);
  return c;
}

static void run(bool generic) {
  spate_env *env = spate_env_create();
  const spate_schema *sch = spate_env_schema(env, "k BIGINT NOT NULL, v BIGINT NOT NULL");
  spate_stream *w = spate_window(spate_key_by(spate_from_rows(env, sch, NULL, 0), 0),
                                 spate_tumbling_windows(SPATE_EVENT_TIME, 10, 0));
  if (generic) w = spate_window_trigger(w, spate_count_trigger(1));
  w = spate_allowed_lateness(w, 20);
  spate_stream *out = spate_window_process(w, wsc_fn, sch);
  harness h;
  if (spate_env_error(env)) fail_msg("build: %s", spate_env_error(env));
  if (harness_open(&h, env, out) != 0) fail_msg("open: %s", h.err);
  spate_row_builder *b = spate_rb_new(sch);
  spate_row r;
  for (int64_t k = 1; k <= 3; k++) { /* keys 1..3 in [0,10), key 1 also in [10,20) */
    spate_rb_begin(b);
    spate_rb_set_bigint(b, 0, k);
    spate_rb_set_bigint(b, 1, k);
    assert_int_equal(spate_rb_finish(b, &r), 0);
    assert_int_equal(harness_element(&h, 0, k, &r), 0);
  }
  spate_rb_begin(b);
  spate_rb_set_bigint(b, 0, 1);
  spate_rb_set_bigint(b, 1, 0);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  assert_int_equal(harness_element(&h, 0, 15, &r), 0);
  if (harness_watermark(&h, 20) != 0) fail_msg("watermark: %s", h.err);
  counts c = records(&h);
  assert_int_equal(c.fires, 4); /* (1,[0,10)), (2,[0,10)), (3,[0,10)), (1,[10,20)) */
  assert_int_equal(c.all, 3);
  if (harness_watermark(&h, 29) != 0) fail_msg("watermark: %s", h.err); /* cleanup of [0,10) */
  c = records(&h);
  assert_int_equal(c.fires, 1);
  assert_int_equal(c.all, 3);
  if (harness_watermark(&h, 39) != 0) fail_msg("watermark: %s", h.err); /* [10,20) */
  c = records(&h);
  assert_int_equal(c.fires, 0);
  assert_int_equal(c.all, 3); /* global state stays with the key */
  spate_rb_free(b);
  harness_close(&h);
  spate_env_free(env);
}

static void test_default_trigger(void **state) { run(false); }
static void test_generic_trigger(void **state) { run(true); }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_trigger),
      cmocka_unit_test(test_generic_trigger),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_nexmark_source.c: the Nexmark source (include/spate/nexmark.h) on the MiniCluster:
 *  - the same events at parallelism 1 and 2 (compared as multisets of rows with their
 *    timestamps), and in number order at parallelism 1 (the first event is nexmark-flink's
 *    first: auction 1001 at the base time);
 *  - the views person, auction and bid hold exactly the events of their kind;
 *  - a job stopped with a savepoint part way and restored from it, at another parallelism and
 *    without setting the base time (the savepoint keeps it), emits the rest: both runs together
 *    are the uninterrupted run's events, each once;
 *  - a bad option fails the job naming the option.
 * The savepoint is taken while the source is rate limited on a manual clock (it emits only as
 * the test advances the clock), so the source is waiting when it is triggered.
 * UDFs have external linkage (the program is linked with -rdynamic) and an nx_ prefix.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spate/nexmark.h"
#include "support/testkit.h"

#define EVENTS 20000
#define BASE "1700000000000"
#define TPS "1000" /* event time advances 1 ms per event (also the rate limit below) */

static _Atomic int64_t g_seen; /* rows through nx_count */

int nx_count(spate_ctx *ctx, const spate_row *in) {
  atomic_fetch_add(&g_seen, 1);
  tk_notify();
  return 1;
}

/* Every record of the table carries its dateTime as timestamp, and no record is behind the
 * watermark by more than the DDL's 4 s (the source's watermark is dateTime - 4 s of the events
 * before it, which come in number order within a split). */
int nx_check(spate_ctx *ctx, const spate_row *in) {
  int64_t ts = spate_ctx_timestamp(ctx), dt = nexmark_event_dateTime(in);
  int64_t wm = spate_ctx_current_watermark(ctx);
  if (ts != dt)
    return spate_ctx_fail(ctx, "timestamp %lld, dateTime %lld", (long long)ts, (long long)dt);
  if (wm != INT64_MIN && wm > ts - 4000)
    return spate_ctx_fail(ctx, "watermark %lld is less than 4 s behind dateTime %lld",
                          (long long)wm, (long long)ts);
  return 1;
}

/* One collected row: its bytes, for sorting into a multiset. */
typedef struct nx_row {
  uint8_t *data;
  uint32_t len;
  int64_t ts; /* its dateTime */
} nx_row;

typedef struct nx_rows {
  nx_row *v;
  size_t n;
} nx_rows;

static int cmp_row(const void *a, const void *b) {
  const nx_row *x = a, *y = b;
  if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return memcmp(x->data, y->data, x->len);
}

/* Appends the result's collected rows "events" to rows (copies). */
static void take_rows(spate_job_result *r, nx_rows *rows) {
  const spate_row *v;
  const spate_schema *schema;
  size_t n = spate_job_result_collected(r, "events", &v, &schema);
  rows->v = realloc(rows->v, sizeof *rows->v * (rows->n + n + 1));
  for (size_t i = 0; i < n; i++) {
    nx_row *o = &rows->v[rows->n++];
    o->data = malloc(v[i].len);
    memcpy(o->data, v[i].data, v[i].len);
    o->len = v[i].len;
    int dt = spate_schema_field_index(schema, "dateTime");
    assert_true(dt >= 0);
    o->ts = spate_row_timestamp(&v[i], dt);
  }
}

static void free_rows(nx_rows *rows) {
  for (size_t i = 0; i < rows->n; i++) free(rows->v[i].data);
  free(rows->v);
  rows->v = NULL;
  rows->n = 0;
}

static void assert_same_multiset(nx_rows *a, nx_rows *b, const char *what) {
  if (a->n != b->n) fail_msg("%s: %zu rows against %zu", what, a->n, b->n);
  qsort(a->v, a->n, sizeof *a->v, cmp_row);
  qsort(b->v, b->n, sizeof *b->v, cmp_row);
  for (size_t i = 0; i < a->n; i++)
    if (cmp_row(&a->v[i], &b->v[i]) != 0)
      fail_msg("%s: the multisets differ at sorted row %zu (timestamps %lld, %lld)", what, i,
               (long long)a->v[i].ts, (long long)b->v[i].ts);
}

/* Runs the flattened source into a collect sink; its rows are appended to rows. */
static void run_events(int parallelism, spate_nexmark_stream stream, nx_rows *rows) {
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, parallelism);
  const char *opts[] = {"events.num", "20000", "nexmark.base-time", BASE, "tps", TPS, NULL};
  spate_stream *s = spate_nexmark_source(env, stream, opts);
  if (stream == SPATE_NEXMARK_EVENTS) s = spate_filter(s, nx_check);
  spate_collect(s, "events");
  spate_job_result *r = tk_run(env, "nexmark");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("the nexmark job failed: %s", spate_job_result_error(r));
  take_rows(r, rows);
  spate_job_result_free(r);
  spate_env_free(env);
}

static void test_same_events_at_any_parallelism(void **state) {
  nx_rows p1 = {0}, p2 = {0};
  run_events(1, SPATE_NEXMARK_EVENTS, &p1);
  assert_int_equal(p1.n, EVENTS);
  /* in number order at parallelism 1: event 0 is auction 1001 at the base time + 1 ms (event
   * number 1 at 1,000 events per second) */
  spate_row first = {p1.v[0].data, p1.v[0].len, nexmark_event_FIELD_COUNT};
  assert_int_equal(nexmark_event_event_type(&first), SPATE_NEXMARK_AUCTION_EVENT);
  assert_int_equal(nexmark_event_auction_id(&first), 1001);
  assert_int_equal(nexmark_event_dateTime(&first), INT64_C(1700000000001));
  assert_true(nexmark_event_person_id_is_null(&first) && nexmark_event_bid_price_is_null(&first));
  for (size_t i = 1; i < p1.n; i++) assert_true(p1.v[i].ts >= p1.v[i - 1].ts);
  run_events(2, SPATE_NEXMARK_EVENTS, &p2);
  assert_same_multiset(&p1, &p2, "parallelism 1 against 2");
  free_rows(&p1);
  free_rows(&p2);
}

static int cmp4(const void *a, const void *b) {
  const int64_t *x = a, *y = b;
  for (int i = 0; i < 4; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

static void test_views(void **state) {
  nx_rows all = {0}, bids = {0}, people = {0}, auctions = {0};
  run_events(2, SPATE_NEXMARK_EVENTS, &all);
  run_events(2, SPATE_NEXMARK_PERSON, &people);
  run_events(2, SPATE_NEXMARK_AUCTION, &auctions);
  run_events(2, SPATE_NEXMARK_BID, &bids);
  assert_int_equal(people.n, EVENTS / 50);
  assert_int_equal(auctions.n, EVENTS / 50 * 3);
  assert_int_equal(bids.n, EVENTS / 50 * 46);
  /* each bid of the view is a bid of the table: compare (auction, bidder, price, dateTime) */
  int64_t *want = calloc(bids.n * 4, sizeof *want), *got = calloc(bids.n * 4, sizeof *got);
  size_t k = 0;
  for (size_t i = 0; i < all.n; i++) {
    spate_row r = {all.v[i].data, all.v[i].len, nexmark_event_FIELD_COUNT};
    if (nexmark_event_event_type(&r) != SPATE_NEXMARK_BID_EVENT) continue;
    assert_true(k < bids.n);
    int64_t *w = &want[4 * k++];
    w[0] = nexmark_event_dateTime(&r);
    w[1] = nexmark_event_bid_auction(&r);
    w[2] = nexmark_event_bid_bidder(&r);
    w[3] = nexmark_event_bid_price(&r);
  }
  assert_int_equal(k, bids.n);
  for (size_t i = 0; i < bids.n; i++) {
    spate_row r = {bids.v[i].data, bids.v[i].len, nexmark_bid_FIELD_COUNT};
    int64_t *g = &got[4 * i];
    g[0] = nexmark_bid_dateTime(&r);
    g[1] = nexmark_bid_auction(&r);
    g[2] = nexmark_bid_bidder(&r);
    g[3] = nexmark_bid_price(&r);
  }
  qsort(want, bids.n, 4 * sizeof *want, cmp4);
  qsort(got, bids.n, 4 * sizeof *got, cmp4);
  assert_memory_equal(want, got, bids.n * 4 * sizeof *want);
  free(want);
  free(got);
  free_rows(&all);
  free_rows(&people);
  free_rows(&auctions);
  free_rows(&bids);
}

static void test_restore_from_savepoint(void **state) {
  char dir[256];
  tk_mkdtemp(dir, sizeof dir, "spate_nx_");
  /* the uninterrupted run */
  nx_rows full = {0}, parts = {0};
  run_events(1, SPATE_NEXMARK_EVENTS, &full);

  /* part one: rate limited to 1,000 events/s on a manual clock, at parallelism 2 */
  spate_clock *clock = spate_manual_clock_create(1000000);
  spate_env *env = spate_env_create();
  spate_env_set_parallelism(env, 2);
  spate_env_set_clock(env, clock);
  spate_env_set(env, "state.savepoints.dir", dir);
  const char *opts[] = {"events.num", "20000", "base-time", BASE, "max-emit-speed",
                        "false",      "tps",   TPS,         NULL};
  spate_stream *src = spate_uid(spate_nexmark_source(env, SPATE_NEXMARK_EVENTS, opts), "nexmark");
  spate_collect(spate_uid(spate_filter(spate_filter(src, nx_check), nx_count), "count"), "events");
  atomic_store(&g_seen, 0);
  static tk_events ev;
  tk_events_reset(&ev);
  spate_env_set_job_listener(env, tk_listener, &ev);
  spate_job_client *c = spate_execute_async(env, "nexmark-part-1");
  if (!c) fail_msg("job could not be submitted: %s", spate_env_error(env));
  TK_AWAIT(tk_all_running(&ev), "every task running");
  for (int step = 0; atomic_load(&g_seen) < 1500; step++) {
    int64_t before = atomic_load(&g_seen);
    spate_manual_clock_advance(clock, 500);
    TK_AWAIT(atomic_load(&g_seen) > before, "events after the clock moved (%lld so far)",
             (long long)atomic_load(&g_seen));
  }
  char path[4096], err[512];
  if (tk_stop_with_savepoint(c, dir, false, path, sizeof path, err, sizeof err) < 0)
    fail_msg("stop-with-savepoint failed: %s", err);
  spate_job_result *r = tk_wait(c, "nexmark-part-1");
  assert_int_equal(spate_job_result_status(r), SPATE_JOB_FINISHED);
  take_rows(r, &parts);
  size_t first = parts.n;
  assert_true(first >= 1500 && first < EVENTS);
  spate_job_result_free(r);
  spate_env_free(env);
  spate_manual_clock_free(clock);

  /* part two: from the savepoint, at parallelism 1, at full speed, base time not given */
  env = spate_env_create();
  spate_env_set_parallelism(env, 1);
  spate_env_set(env, "execution.savepoint.path", path);
  const char *opts2[] = {"events.num", "20000", "tps", TPS, NULL};
  src = spate_uid(spate_nexmark_source(env, SPATE_NEXMARK_EVENTS, opts2), "nexmark");
  spate_collect(spate_uid(spate_filter(spate_filter(src, nx_check), nx_count), "count"), "events");
  r = tk_run(env, "nexmark-part-2");
  if (spate_job_result_status(r) != SPATE_JOB_FINISHED)
    fail_msg("the restored job failed: %s", spate_job_result_error(r));
  take_rows(r, &parts);
  assert_int_equal(parts.n - first, EVENTS - first);
  spate_job_result_free(r);
  spate_env_free(env);
  assert_same_multiset(&full, &parts, "the uninterrupted run against both parts");
  free_rows(&full);
  free_rows(&parts);
  tk_rm_rf(dir);
}

static void test_bad_options(void **state) {
  struct {
    const char *key, *value, *expect;
  } cases[] = {
      {"events.num", "-3", "nexmark.events.num"},
      {"bid.hot-ratio.bidders", "0", "nexmark.bid.hot-ratio.bidders"},
      {"person.avg-size", "2 mb", "nexmark.person.avg-size"},
      {"tps", "fast", "nexmark.first-event.rate"},
      {"no-such.option", "1", "nexmark.no-such.option"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    spate_env *env = spate_env_create();
    const char *opts[] = {cases[i].key, cases[i].value, NULL};
    assert_null(spate_nexmark_source(env, SPATE_NEXMARK_BID, opts));
    const char *e = spate_env_error(env);
    if (!strstr(e, cases[i].expect) || !strstr(e, cases[i].key))
      fail_msg("option %s=%s: the message '%s' does not name %s", cases[i].key, cases[i].value, e,
               cases[i].expect);
    spate_env_free(env);
  }
  /* together: no kind at all */
  spate_env *env = spate_env_create();
  const char *opts[] = {
      "person.proportion", "0", "auction.proportion", "0", "bid.proportion", "0", NULL};
  assert_null(spate_nexmark_source(env, SPATE_NEXMARK_EVENTS, opts));
  tk_assert_contains(spate_env_error(env), "proportion");
  spate_env_free(env);
}

int main(void) {
  tk_ws_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_same_events_at_any_parallelism),
      cmocka_unit_test(test_views),
      cmocka_unit_test(test_restore_from_savepoint),
      cmocka_unit_test(test_bad_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_exchange.c: one exchange without a task around it: a record writer serialising into a
 * result partition, and input channels reading the elements back in place (result_partition.h,
 * input_gate.h, element.h).
 *
 * The writer is filled in as task.c's setup() does for a FORWARD edge. Records are rows
 * (id BIGINT, payload BYTES) whose payload bytes are a pattern derived from the id, so every byte
 * read back is checked. Sizes cover the empty payload, elements that fill a 1 KiB buffer exactly,
 * one byte more, and records of 10 KiB and 3 MB that span many buffers. The big ones go through
 * a pool far smaller than they are, so a consumer thread must read while the producer writes,
 * parking on its event as a task would.
 *
 * Also: channel_peek reads ahead within a buffer without consuming; a partly filled buffer stays
 * invisible until rw_flush (or at once with flush_always),
 * END_OF_PARTITION arrives after the data, and every buffer is back in the pool at the end.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/sync.h"
#include "runtime/element.h"
#include "runtime/input_gate.h"
#include "runtime/record_writer.h"
#include "runtime/result_partition.h"
#include "spate/spate.h"
#include "support/testkit.h"

#define BUF 1024u
#define WAIT_NS \
  (TK_TIMEOUT_MS * 1000000LL) /* only a lost wake-up or a stuck producer waits this long */

static uint8_t pattern(int64_t id, size_t i) {
  return (uint8_t)((uint64_t)id * 131u + i * 7u + (i >> 8) * 13u + (i >> 16));
}

/* ---- fixture: one partition, one writer, one channel per subpartition ------------------------ */
typedef struct exchange {
  result_partition *rp;
  record_writer w;
  _Atomic bool cancel;
  uint64_t backpressure_ns;
  char err[512];
  spate_schema *schema;
  spate_row_builder *rb;
  sp_event ev;
  input_channel ch[8];
  int nch;
} exchange;

static void exchange_init(exchange *x, int nsub, uint32_t buffers, bool flush_always) {
  memset(x, 0, sizeof *x);
  assert_int_equal(rp_create(nsub, buffers, BUF, &x->rp), 0);
  char err[256];
  assert_int_equal(
      spate_schema_parse("id BIGINT NOT NULL, payload BYTES", &x->schema, err, sizeof err), 0);
  rw_config c = {.partitioner = {.part = PART_FORWARD,
                                 .nsub = nsub,
                                 .consumer_parallelism = nsub,
                                 .max_parallelism = 128,
                                 .schema = x->schema},
                 .flush_always = flush_always,
                 .cancel = &x->cancel,
                 .backpressure_ns = &x->backpressure_ns,
                 .err = x->err,
                 .err_len = sizeof x->err};
  assert_int_equal(rw_init(&x->w, x->rp, &c), 0); /* the writer holds the partition's reference */
  x->rb = spate_rb_new(x->schema);
  assert_non_null(x->rb);
  sp_event_init(&x->ev);
  x->nch = nsub;
  for (int i = 0; i < nsub; i++) channel_connect(&x->ch[i], x->rp, i, &x->ev);
}

/* Tears down in the order a task does and checks that every buffer came back. */
static void exchange_destroy(exchange *x) {
  for (int i = 0; i < x->nch; i++) channel_close(&x->ch[i]);
  rw_release(&x->w);
  assert_int_equal(bufpool_available(x->rp->pool), x->rp->pool->count);
  rw_destroy(&x->w);
  spate_rb_free(x->rb);
  spate_schema_free(x->schema);
  sp_event_destroy(&x->ev);
}

static spate_row make_row(exchange *x, int64_t id, size_t len, uint8_t **scratch) {
  *scratch = malloc(len ? len : 1);
  assert_non_null(*scratch);
  for (size_t i = 0; i < len; i++) (*scratch)[i] = pattern(id, i);
  spate_rb_begin(x->rb);
  spate_rb_set_bigint(x->rb, 0, id);
  spate_rb_set_bytes(x->rb, 1, *scratch, len);
  spate_row row;
  assert_int_equal(spate_rb_finish(x->rb, &row), 0);
  return row;
}

static int emit(exchange *x, int64_t id, size_t len) {
  uint8_t *scratch;
  spate_row row = make_row(x, id, len, &scratch);
  int rc = rw_emit(&x->w, id * 10, &row);
  free(scratch);
  return rc;
}

/* Checks that an element is record `id` with a `len`-byte payload; returns 0 if so. */
static int check_record(const stream_element *el, int64_t id, size_t len) {
  if (el->tag != EL_RECORD) return 1;
  if ((uintptr_t)el->payload % 8) return 2;
  size_t row_len = (spate_row_header_size(2) + len + 7) & ~(size_t)7; /* rows are padded to 8 */
  if (el->len != 8 + row_len) return 3;
  int64_t ts;
  memcpy(&ts, el->payload, 8);
  if (ts != id * 10) return 4;
  spate_row row = {el->payload + 8, el->len - 8, 2};
  if (spate_row_bigint(&row, 0) != id) return 5;
  spate_bytes b = spate_row_string(&row, 1);
  if (b.len != len) return 6;
  for (size_t i = 0; i < len; i++)
    if ((uint8_t)b.ptr[i] != pattern(id, i)) return 7;
  return 0;
}

/* ---- single-threaded: sizes around the buffer size ----------------------------------------- */

/* A record element is 8 (header) + 8 (timestamp) + 24 (row header) + payload, padded to 8; for
 * a total that is a multiple of 8 this payload fills it exactly. */
static size_t payload_for_total(uint32_t total) { return total - 8 - 8 - spate_row_header_size(2); }

static void test_sizes_round_trip_in_order(void **state) {
  (void)state;
  exchange x;
  exchange_init(&x, 1, 64, false);
  size_t exact = payload_for_total(BUF); /* fills a buffer exactly */
  size_t sizes[] = {0,    1,    7, 8,    100, exact - 1, exact, exact + 1, 1500,
                    2047, 2048, 5, 3000, 0,   exact,     1,     10 * 1024};
  int n = (int)(sizeof sizes / sizeof sizes[0]);
  for (int i = 0; i < n; i++) assert_int_equal(emit(&x, i, sizes[i]), 0);
  assert_int_equal(rw_broadcast_event(&x.w, EL_END_OF_PARTITION, NULL, 0), 0);
  rw_flush(&x.w);
  assert_int_equal(x.backpressure_ns, 0); /* the pool was large enough */

  stream_element el;
  for (int i = 0; i < n; i++) {
    assert_int_equal(channel_next(&x.ch[0], &el), 1);
    assert_int_equal(check_record(&el, i, sizes[i]), 0);
  }
  assert_int_equal(channel_next(&x.ch[0], &el), 1);
  assert_int_equal(el.tag, EL_END_OF_PARTITION);
  assert_int_equal(el.len, 0);
  assert_int_equal(channel_next(&x.ch[0], &el), 0);
  assert_int_equal(channel_next(&x.ch[0], &el), 0); /* stays empty */
  exchange_destroy(&x);
}

/* channel_peek (the task's look-ahead for prefetching keys) reads the elements after the read
 * position without consuming them, in order, while they lie whole in the current buffer: it
 * stops at an element that spans into the next buffer, and channel_next still returns every
 * element once. */
static void test_peek_reads_ahead_without_consuming(void **state) {
  (void)state;
  exchange x;
  exchange_init(&x, 1, 64, false);
  /* 80-byte elements: seven fill 560 bytes of the first buffer, the 3000-byte one then spans */
  size_t sizes[] = {40, 40, 40, 40, 40, 40, 40, 3000, 40, 40, 40, 40};
  int n = (int)(sizeof sizes / sizeof sizes[0]);
  for (int i = 0; i < n; i++) assert_int_equal(emit(&x, i, sizes[i]), 0);
  rw_flush(&x.w);
  stream_element el, ahead;
  uint32_t pos = 0;
  assert_int_equal(channel_peek(&x.ch[0], &pos, &ahead), 0); /* no buffer taken yet */
  int seen_after_first = -1, seen = 0;
  for (int i = 0; i < n; i++) {
    assert_int_equal(channel_next(&x.ch[0], &el), 1);
    assert_int_equal(check_record(&el, i, sizes[i]), 0);
    int j = i + 1;
    pos = 0; /* below the read position: starts there */
    while (channel_peek(&x.ch[0], &pos, &ahead) == 1) {
      assert_true(j < n);
      assert_int_equal(check_record(&ahead, j, sizes[j]), 0);
      j++;
    }
    if (i == 0) seen_after_first = j - 1;
    seen += j - i - 1;
    /* peeking again from where the last peek stopped finds nothing more */
    assert_int_equal(channel_peek(&x.ch[0], &pos, &ahead), 0);
  }
  assert_int_equal(seen_after_first, 6); /* records 1..6; 7 spans into the next buffer */
  assert_true(seen >= 6 + 5 + 4 + 3 + 2 + 1);
  assert_int_equal(channel_next(&x.ch[0], &el), 0);
  exchange_destroy(&x);
}

static void test_element_exactly_one_buffer_uses_one_buffer(void **state) {
  (void)state;
  exchange x;
  exchange_init(&x, 1, 8, false);
  size_t exact = payload_for_total(BUF);
  uint32_t before = bufpool_available(x.rp->pool);
  assert_int_equal(emit(&x, 1, exact), 0);
  /* the element fills the current buffer completely; nothing is queued yet */
  assert_int_equal(bufpool_available(x.rp->pool), before - 1);
  assert_non_null(x.w.cur[0]);
  assert_int_equal(x.w.cur[0]->size, BUF);
  assert_int_equal(emit(&x, 2, 0), 0); /* the next one needs a new buffer: the full one is pushed */
  assert_int_equal(bufpool_available(x.rp->pool), before - 2);
  stream_element el;
  assert_int_equal(channel_next(&x.ch[0], &el), 1);
  assert_int_equal(check_record(&el, 1, exact), 0);
  assert_int_equal(channel_next(&x.ch[0], &el), 0); /* record 2 is still unflushed */
  rw_flush(&x.w);
  assert_int_equal(channel_next(&x.ch[0], &el), 1);
  assert_int_equal(check_record(&el, 2, 0), 0);
  exchange_destroy(&x);
}

/* ---- flush semantics ------------------------------------------------------------------------ */
static void test_partly_filled_buffer_invisible_until_flush(void **state) {
  (void)state;
  exchange x;
  exchange_init(&x, 1, 8, false);
  stream_element el;
  assert_false(x.w.dirty);
  rw_flush(&x.w); /* nothing to flush: no empty buffer is handed over */
  assert_true(sp_spsc_empty(&x.rp->subs[0].queue));

  assert_int_equal(emit(&x, 1, 10), 0);
  assert_int_equal(emit(&x, 2, 20), 0);
  assert_true(x.w.dirty);
  assert_int_equal(channel_next(&x.ch[0], &el), 0);
  assert_true(sp_spsc_empty(&x.rp->subs[0].queue));

  /* a flush wakes the consumer's event */
  uint32_t token = sp_event_prepare(&x.ev);
  rw_flush(&x.w);
  assert_false(x.w.dirty);
  assert_true(sp_event_wait(&x.ev, token, 0));
  assert_int_equal(channel_next(&x.ch[0], &el), 1);
  assert_int_equal(check_record(&el, 1, 10), 0);
  assert_int_equal(channel_next(&x.ch[0], &el), 1);
  assert_int_equal(check_record(&el, 2, 20), 0);
  assert_int_equal(channel_next(&x.ch[0], &el), 0);

  /* after a flush the next record starts a new buffer, again invisible until flushed */
  assert_int_equal(emit(&x, 3, 30), 0);
  assert_int_equal(channel_next(&x.ch[0], &el), 0);
  rw_flush(&x.w);
  assert_int_equal(channel_next(&x.ch[0], &el), 1);
  assert_int_equal(check_record(&el, 3, 30), 0);
  exchange_destroy(&x);
}

/* A full buffer is readable as soon as it is queued; its consumer is woken at the latest with
 * the RW_WAKE_EVERY-th full buffer, and by rw_wake_consumers (which a task calls before it parks
 * and the writer before it waits for a free buffer) for fewer. */
static void test_full_buffers_wake_consumer_every_few(void **state) {
  (void)state;
  exchange x;
  exchange_init(&x, 1, 64, false);
  stream_element el;
  int64_t id = 0;
  uint32_t token = sp_event_prepare(&x.ev);
  while (sp_spsc_size(&x.rp->subs[0].queue) < 1) assert_int_equal(emit(&x, id++, 100), 0);
  assert_int_equal(channel_next(&x.ch[0], &el), 1); /* queued, so readable without a wake-up */
  assert_int_equal(check_record(&el, 0, 100), 0);
  rw_wake_consumers(&x.w);
  assert_true(sp_event_wait(&x.ev, token, 0)); /* told now */
  token = sp_event_prepare(&x.ev);
  rw_wake_consumers(&x.w); /* nothing new since: no wake-up owed */
  assert_false(sp_event_wait(&x.ev, token, 0));
  uint32_t before = sp_spsc_size(&x.rp->subs[0].queue);
  while (sp_spsc_size(&x.rp->subs[0].queue) < before + RW_WAKE_EVERY)
    assert_int_equal(emit(&x, id++, 100), 0);
  assert_true(sp_event_wait(&x.ev, token, 0)); /* woken without being asked */
  rw_flush(&x.w);
  int64_t got = 1;
  while (channel_next(&x.ch[0], &el) == 1) {
    assert_int_equal(check_record(&el, got, 100), 0);
    got++;
  }
  assert_int_equal(got, id);
  exchange_destroy(&x);
}

static void test_flush_always_makes_each_record_visible(void **state) {
  (void)state;
  exchange x;
  exchange_init(&x, 1, 8, true);
  stream_element el;
  for (int i = 0; i < 50; i++) { /* more records than buffers: each is handed over and read */
    assert_int_equal(emit(&x, i, (size_t)i * 3), 0);
    assert_null(x.w.cur[0]);
    assert_int_equal(channel_next(&x.ch[0], &el), 1);
    assert_int_equal(check_record(&el, i, (size_t)i * 3), 0);
    assert_int_equal(channel_next(&x.ch[0], &el), 0);
  }
  /* an element larger than a buffer is visible complete as soon as it is written */
  assert_int_equal(emit(&x, 99, 3000), 0);
  assert_int_equal(channel_next(&x.ch[0], &el), 1);
  assert_int_equal(check_record(&el, 99, 3000), 0);
  assert_int_equal(rw_broadcast_event(&x.w, EL_END_OF_PARTITION, NULL, 0), 0);
  assert_int_equal(channel_next(&x.ch[0], &el), 1);
  assert_int_equal(el.tag, EL_END_OF_PARTITION);
  exchange_destroy(&x);
}

static void test_event_reaches_every_subpartition(void **state) {
  (void)state;
  exchange x;
  exchange_init(&x, 3, 16, false);
  int64_t wm = 123456789;
  assert_int_equal(rw_broadcast_event(&x.w, EL_WATERMARK, &wm, 8), 0);
  assert_int_equal(rw_broadcast_event(&x.w, EL_END_OF_PARTITION, NULL, 0), 0);
  rw_flush(&x.w);
  for (int i = 0; i < 3; i++) {
    stream_element el;
    assert_int_equal(channel_next(&x.ch[i], &el), 1);
    assert_int_equal(el.tag, EL_WATERMARK);
    assert_int_equal(el.len, 8);
    int64_t got;
    memcpy(&got, el.payload, 8);
    assert_int_equal(got, wm);
    assert_int_equal(channel_next(&x.ch[i], &el), 1);
    assert_int_equal(el.tag, EL_END_OF_PARTITION);
    assert_int_equal(channel_next(&x.ch[i], &el), 0);
  }
  exchange_destroy(&x);
}

/* ---- two threads: records much larger than the pool --------------------------------------- */
typedef struct reader {
  exchange *x;
  const size_t *sizes;
  int n;
  int read; /* records read and verified */
  int bad;  /* first failed check code, 0 if none */
  int bad_at;
  bool got_end;
  int64_t max_spill_cap;
} reader;

static void *read_all(void *arg) {
  reader *r = arg;
  input_channel *c = &r->x->ch[0];
  for (;;) {
    uint32_t token = sp_event_prepare(&r->x->ev);
    stream_element el;
    int rc = channel_next(c, &el);
    if (rc < 0) {
      r->bad = 100;
      return NULL;
    }
    if (rc == 0) {
      if (!sp_event_wait(&r->x->ev, token, WAIT_NS)) { /* lost wake-up or a stuck producer */
        r->bad = 101;
        return NULL;
      }
      continue;
    }
    if (c->spill_cap > r->max_spill_cap) r->max_spill_cap = c->spill_cap;
    if (el.tag == EL_END_OF_PARTITION) {
      r->got_end = true;
      return NULL;
    }
    if (r->read >= r->n) {
      r->bad = 102;
      return NULL;
    }
    int code = check_record(&el, r->read, r->sizes[r->read]);
    if (code && !r->bad) {
      r->bad = code;
      r->bad_at = r->read;
    }
    r->read++;
  }
}

static void test_huge_records_through_small_pool(void **state) {
  (void)state;
  exchange x;
  exchange_init(&x, 1, 16, false); /* 16 KiB of buffers for a 3 MB record */
  size_t sizes[] = {10 * 1024, 5, 3u << 20, 0, 10 * 1024 + 3, 200, 3u << 20, 1, 64 * 1024};
  int n = (int)(sizeof sizes / sizeof sizes[0]);
  reader r = {.x = &x, .sizes = sizes, .n = n};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, read_all, &r), 0);
  int rc = 0;
  for (int i = 0; rc == 0 && i < n; i++) rc = emit(&x, i, sizes[i]);
  if (rc == 0) rc = rw_broadcast_event(&x.w, EL_END_OF_PARTITION, NULL, 0);
  rw_flush(&x.w);
  pthread_join(th, NULL);
  assert_int_equal(rc, 0);
  assert_int_equal(r.bad, 0);
  assert_int_equal(r.read, n);
  assert_true(r.got_end);
  /* the producer had to wait for the reader to free buffers */
  assert_true(x.backpressure_ns > 0);
  /* the 3 MB element was reassembled in the spill area */
  assert_true(r.max_spill_cap >= (int64_t)(3u << 20));
  /* and that area was released again after the big element (it is over SPILL_KEEP) */
  assert_true(x.ch[0].spill_cap < (1u << 20));
  exchange_destroy(&x);
}

static void test_many_mixed_records_concurrently(void **state) {
  (void)state;
  enum { N = 3000 };
  static size_t sizes[N];
  uint64_t s = 42;
  for (int i = 0; i < N; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t v = (uint32_t)(s >> 33);
    /* mostly small, some around the buffer size, a few spanning several buffers */
    sizes[i] = v % 10 < 7 ? v % 200 : v % 10 < 9 ? 900 + v % 300 : v % 5000;
  }
  exchange x;
  exchange_init(&x, 1, 4, false);
  reader r = {.x = &x, .sizes = sizes, .n = N};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, read_all, &r), 0);
  int rc = 0;
  for (int i = 0; rc == 0 && i < N; i++) {
    rc = emit(&x, i, sizes[i]);
    if (i % 97 == 0) rw_flush(&x.w); /* flushes at arbitrary points, as the timeout would */
  }
  if (rc == 0) rc = rw_broadcast_event(&x.w, EL_END_OF_PARTITION, NULL, 0);
  rw_flush(&x.w);
  pthread_join(th, NULL);
  assert_int_equal(rc, 0);
  assert_int_equal(r.bad, 0);
  assert_int_equal(r.read, N);
  assert_true(r.got_end);
  exchange_destroy(&x);
}

/* ---- cancellation of a writer blocked on a full pool ---------------------------------------- */
typedef struct blocked {
  exchange *x;
  int rc;
  _Atomic int started;
} blocked;

static void *write_until_blocked(void *arg) {
  blocked *b = arg;
  atomic_store(&b->started, 1);
  int rc = 0;
  for (int i = 0; rc == 0 && i < 1000; i++) rc = emit(b->x, i, 500); /* nobody reads */
  b->rc = rc;
  return NULL;
}

static void test_cancel_unblocks_writer(void **state) {
  (void)state;
  exchange x;
  exchange_init(&x, 1, 4, false);
  blocked b = {.x = &x};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, write_until_blocked, &b), 0);
  TK_AWAIT(atomic_load(&b.started) && atomic_load(&x.rp->pool->avail.waiters) > 0,
           "the writer to park on the empty pool");
  atomic_store(&x.cancel, true);
  bufpool_wake(x.rp->pool);
  pthread_join(th, NULL);
  assert_int_equal(b.rc, SPATE_ECANCELED);
  /* what was written before the pool ran dry is intact and readable */
  stream_element el;
  int n = 0;
  while (channel_next(&x.ch[0], &el) == 1) {
    assert_int_equal(check_record(&el, n, 500), 0);
    n++;
  }
  assert_true(n >= 4); /* two records per 1 KiB buffer, at least three buffers handed over */
  exchange_destroy(&x);
}

int main(void) {
  sp_log_set_level(SP_LOG_WARN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sizes_round_trip_in_order),
      cmocka_unit_test(test_peek_reads_ahead_without_consuming),
      cmocka_unit_test(test_element_exactly_one_buffer_uses_one_buffer),
      cmocka_unit_test(test_partly_filled_buffer_invisible_until_flush),
      cmocka_unit_test(test_full_buffers_wake_consumer_every_few),
      cmocka_unit_test(test_flush_always_makes_each_record_visible),
      cmocka_unit_test(test_event_reaches_every_subpartition),
      cmocka_unit_test(test_huge_records_through_small_pool),
      cmocka_unit_test(test_many_mixed_records_concurrently),
      cmocka_unit_test(test_cancel_unblocks_writer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

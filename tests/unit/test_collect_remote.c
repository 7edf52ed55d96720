/*
 * test_collect_remote.c: a collect sink's rows kept for a client on another host
 * (connectors/collect_remote.h): the version/offset protocol (rows acknowledged by the offset
 * asked for, a repeated request answered the same, offsets outside the kept rows refused, the end
 * told once every row was read), the buffers' lifetimes (an ended buffer outlives its sink until
 * read, any other goes with it), answers bounded in size, the sink waiting for a client that is
 * behind (and its cancellation), and the strict decoders.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/base64.h"
#include "base/err.h"
#include "base/strbuf.h"
#include "connectors/collect_remote.h"
#include "support/testkit.h"
#include "types/row.h"

static spate_schema *schema; /* a STRING, k TINYINT NOT NULL */
static spate_row_builder *rb;

static int setup(void **state) {
  (void)state;
  char err[SP_ERRMSG_MAX];
  if (spate_schema_parse("a STRING, k TINYINT NOT NULL", &schema, err, sizeof err) < 0) return -1;
  rb = spate_rb_new(schema);
  return rb ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  spate_rb_free(rb);
  spate_schema_free(schema);
  return 0;
}

/* Publishes rows "<prefix><i>" for i in [from, to) (k = i % 100) as one batch. */
static void publish(collect_buffer *b, const char *prefix, int from, int to) {
  sp_writer w;
  sp_writer_init(&w);
  char text[600];
  for (int i = from; i < to; i++) {
    snprintf(text, sizeof text, "%s%d", prefix, i);
    spate_row r;
    spate_rb_begin(rb);
    spate_rb_set_string(rb, 0, text, strlen(text));
    spate_rb_set_tinyint(rb, 1, (int8_t)(i % 100));
    assert_int_equal(spate_rb_finish(rb, &r), 0);
    sp_put_blob(&w, r.data, r.len);
  }
  assert_false(w.failed);
  assert_int_equal(collect_buffer_publish(b, w.data, w.len, (uint32_t)(to - from), NULL), 0);
  sp_writer_free(&w);
}

/* The TaskManager's answer to (name, version, offset), as the REST route hands it over: rc, and
 * on success the answer decoded into *a over *bytes (free both). */
static int ask(const char *name, const char *version, int64_t offset, collect_answer *a,
               uint8_t **bytes, char *err, size_t err_len) {
  sp_writer q;
  sp_writer_init(&q);
  collect_request_encode(&q, name, version, offset);
  sp_strbuf text = {0};
  assert_int_equal(sp_base64_append(&text, q.data, q.len), 0);
  sp_writer_free(&q);
  sp_writer w;
  sp_writer_init(&w);
  int rc = collect_remote_answer(text.data, &w, err, err_len);
  sp_strbuf_free(&text);
  if (rc == 0) {
    size_t len = 0;
    *bytes = sp_writer_take(&w, &len);
    assert_int_equal(collect_answer_decode(*bytes, len, schema, a, err, err_len), 0);
  }
  sp_writer_free(&w);
  return rc;
}

static void expect_rows(const collect_answer *a, const char *prefix, int from, int n) {
  assert_int_equal(a->n, (uint32_t)n);
  char want[600];
  for (int i = 0; i < n; i++) {
    snprintf(want, sizeof want, "%s%d", prefix, from + i);
    spate_bytes s = spate_row_string(&a->rows[i], 0);
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(s.ptr, want, s.len);
    assert_int_equal(spate_row_tinyint(&a->rows[i], 1), (from + i) % 100);
  }
}

static void done(collect_answer *a, uint8_t **bytes) {
  collect_answer_free(a);
  sp_free(*bytes);
  *bytes = NULL;
}

static void offsets_acknowledge(void **state) {
  (void)state;
  const char *name = COLLECT_REMOTE_PREFIX "offsets";
  collect_buffer *b = NULL;
  assert_int_equal(collect_buffer_open(name, &b), 0);
  collect_buffer *twice = NULL;
  assert_int_equal(collect_buffer_open(name, &twice), SPATE_EINVAL);
  collect_answer a;
  uint8_t *bytes = NULL;
  char err[SP_ERRMSG_MAX] = "", version[COLLECT_VERSION_LEN + 1];
  /* before any row: the version and nothing else */
  assert_int_equal(ask(name, "", 0, &a, &bytes, err, sizeof err), 0);
  assert_int_equal(strlen(a.version), COLLECT_VERSION_LEN);
  snprintf(version, sizeof version, "%s", a.version);
  assert_int_equal(a.offset, 0);
  assert_false(a.ended);
  expect_rows(&a, "r", 0, 0);
  done(&a, &bytes);
  publish(b, "r", 0, 3);
  assert_int_equal(ask(name, version, 0, &a, &bytes, err, sizeof err), 0);
  expect_rows(&a, "r", 0, 3);
  assert_false(a.ended);
  done(&a, &bytes);
  /* two rows acknowledged: the third comes again, and again if the answer was lost */
  for (int k = 0; k < 2; k++) {
    assert_int_equal(ask(name, version, 2, &a, &bytes, err, sizeof err), 0);
    assert_int_equal(a.offset, 2);
    expect_rows(&a, "r", 2, 1);
    done(&a, &bytes);
  }
  /* dropped rows cannot be asked for again, nor rows that do not exist */
  assert_int_equal(ask(name, version, 1, &a, &bytes, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "offset 1 is outside the rows the collect sink keeps (2 to 3)"));
  assert_int_equal(ask(name, version, 4, &a, &bytes, err, sizeof err), SPATE_EINVAL);
  /* a client of another version acknowledges nothing and gets the kept rows with the version */
  assert_int_equal(ask(name, "0123", 3, &a, &bytes, err, sizeof err), 0);
  assert_string_equal(a.version, version);
  assert_int_equal(a.offset, 2);
  expect_rows(&a, "r", 2, 1);
  done(&a, &bytes);
  /* the end: told with the last rows, and the buffer goes once everything is acknowledged */
  publish(b, "r", 3, 5);
  collect_buffer_end(b);
  assert_int_equal(ask(name, version, 3, &a, &bytes, err, sizeof err), 0);
  expect_rows(&a, "r", 3, 2);
  assert_true(a.ended);
  done(&a, &bytes);
  assert_int_equal(ask(name, version, 5, &a, &bytes, err, sizeof err), 0);
  expect_rows(&a, "r", 5, 0);
  assert_true(a.ended);
  done(&a, &bytes);
  collect_buffer_close(b); /* acknowledged: freed with the sink */
  assert_int_equal(ask(name, version, 5, &a, &bytes, err, sizeof err), SPATE_ENOENT);
  assert_non_null(strstr(err, "no collect sink 'remote-collect-offsets'"));
}

static void lifetimes(void **state) {
  (void)state;
  collect_answer a;
  uint8_t *bytes = NULL;
  char err[SP_ERRMSG_MAX] = "";
  /* cancelled or failed: the sink closes without its end, and its rows go */
  collect_buffer *b = NULL;
  assert_int_equal(collect_buffer_open(COLLECT_REMOTE_PREFIX "cancelled", &b), 0);
  publish(b, "c", 0, 2);
  collect_buffer_close(b);
  assert_int_equal(ask(COLLECT_REMOTE_PREFIX "cancelled", "", 0, &a, &bytes, err, sizeof err),
                   SPATE_ENOENT);
  /* finished before the client read everything: the rows stay after the sink closed */
  assert_int_equal(collect_buffer_open(COLLECT_REMOTE_PREFIX "finished", &b), 0);
  publish(b, "f", 0, 2);
  collect_buffer_end(b);
  collect_buffer_close(b);
  assert_int_equal(ask(COLLECT_REMOTE_PREFIX "finished", "", 0, &a, &bytes, err, sizeof err), 0);
  expect_rows(&a, "f", 0, 2);
  assert_true(a.ended);
  char version[COLLECT_VERSION_LEN + 1];
  snprintf(version, sizeof version, "%s", a.version);
  done(&a, &bytes);
  assert_int_equal(ask(COLLECT_REMOTE_PREFIX "finished", version, 2, &a, &bytes, err, sizeof err),
                   0);
  assert_true(a.ended);
  done(&a, &bytes);
  assert_int_equal(ask(COLLECT_REMOTE_PREFIX "finished", version, 2, &a, &bytes, err, sizeof err),
                   SPATE_ENOENT);
}

/* 3,000 rows of about 500 bytes: answers stay within the batch limit, and reading on from each
 * answer's end gets every row once, in order. */
static void bounded_answers(void **state) {
  (void)state;
  const char *name = COLLECT_REMOTE_PREFIX "big";
  char prefix[501];
  memset(prefix, 'p', 496);
  prefix[496] = 0;
  collect_buffer *b = NULL;
  assert_int_equal(collect_buffer_open(name, &b), 0);
  for (int i = 0; i < 3000; i += 100) publish(b, prefix, i, i + 100);
  collect_buffer_end(b);
  collect_answer a;
  uint8_t *bytes = NULL;
  char err[SP_ERRMSG_MAX] = "", version[COLLECT_VERSION_LEN + 1] = "";
  int64_t offset = 0;
  int answers = 0;
  bool ended = false;
  while (!ended) {
    assert_int_equal(ask(name, version, offset, &a, &bytes, err, sizeof err), 0);
    snprintf(version, sizeof version, "%s", a.version);
    assert_int_equal(a.offset, offset);
    assert_true(a.n > 0 || a.ended);
    assert_true((size_t)a.n * 500 <= COLLECT_REMOTE_MAX_BATCH + 600);
    expect_rows(&a, prefix, (int)offset, (int)a.n);
    offset += a.n;
    ended = a.ended;
    answers++;
    done(&a, &bytes);
  }
  assert_int_equal(offset, 3000);
  assert_true(answers >= 2);
  collect_buffer_close(b);
}

/* A sink whose client is behind waits (backpressure) until the client reads, or the task is
 * cancelled. */
typedef struct producer {
  collect_buffer *b;
  const char *prefix;
  int rows, per_batch;
} producer;

static void *produce(void *arg) {
  producer *p = arg;
  for (int i = 0; i < p->rows; i += p->per_batch) publish(p->b, p->prefix, i, i + p->per_batch);
  collect_buffer_end(p->b);
  return NULL;
}

static void backpressure(void **state) {
  (void)state;
  char prefix[501];
  memset(prefix, 'q', 496);
  prefix[496] = 0;
  /* cancelled while waiting */
  collect_buffer *b = NULL;
  assert_int_equal(collect_buffer_open(COLLECT_REMOTE_PREFIX "full", &b), 0);
  for (int i = 0; i < 16000; i += 2000) publish(b, prefix, i, i + 2000); /* over 8 MiB */
  _Atomic bool cancel = true;
  uint8_t row[8] = {0};
  assert_int_equal(collect_buffer_publish(b, row, 0, 0, &cancel), SPATE_ECANCELED);
  collect_buffer_close(b);
  /* 24,000 rows (about 12 MiB) from another thread: it waits for the reader, which gets them
   * all in order */
  assert_int_equal(collect_buffer_open(COLLECT_REMOTE_PREFIX "behind", &b), 0);
  producer p = {b, prefix, 24000, 1000};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, produce, &p), 0);
  collect_answer a;
  uint8_t *bytes = NULL;
  char err[SP_ERRMSG_MAX] = "", version[COLLECT_VERSION_LEN + 1] = "";
  int64_t offset = 0, deadline = tk_mono_ms() + TK_TIMEOUT_MS;
  bool ended = false;
  while (!ended) {
    assert_int_equal(
        ask(COLLECT_REMOTE_PREFIX "behind", version, offset, &a, &bytes, err, sizeof err), 0);
    snprintf(version, sizeof version, "%s", a.version);
    assert_int_equal(a.offset, offset);
    expect_rows(&a, prefix, (int)offset, (int)a.n);
    offset += a.n;
    ended = a.ended;
    bool empty = a.n == 0 && !ended; /* the producer is between batches */
    done(&a, &bytes);
    if (empty) {
      tk_await_begin();
      bool in_time = tk_await_step(deadline);
      tk_await_end();
      if (!in_time)
        fail_msg("timed out awaiting the producer's rows after %lld of 24000", (long long)offset);
    }
  }
  assert_int_equal(pthread_join(t, NULL), 0);
  assert_int_equal(offset, 24000);
  collect_buffer_close(b);
}

static void strict_decoders(void **state) {
  (void)state;
  char err[SP_ERRMSG_MAX] = "";
  collect_request q;
  sp_writer w;
  sp_writer_init(&w);
  collect_request_encode(&w, COLLECT_REMOTE_PREFIX "x", "", 7);
  assert_int_equal(collect_request_decode(w.data, w.len, &q, err, sizeof err), 0);
  assert_string_equal(q.name, COLLECT_REMOTE_PREFIX "x");
  assert_int_equal(q.offset, 7);
  collect_request_free(&q);
  assert_int_equal(collect_request_decode(w.data, w.len - 1, &q, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "malformed collect request at byte"));
  sp_put_u8(&w, 0);
  assert_int_equal(collect_request_decode(w.data, w.len, &q, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "bytes after the request"));
  sp_writer_free(&w);
  sp_writer_init(&w);
  collect_request_encode(&w, COLLECT_REMOTE_PREFIX "x", "", -1);
  assert_int_equal(collect_request_decode(w.data, w.len, &q, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "a negative offset"));
  sp_writer_free(&w);
  /* not base64 */
  sp_writer_init(&w);
  assert_int_equal(collect_remote_answer("!!!", &w, err, sizeof err), SPATE_EINVAL);
  sp_writer_free(&w);
  /* an answer whose row is not of the schema (invalid UTF-8), and one with more rows than bytes */
  spate_row r;
  spate_rb_begin(rb);
  spate_rb_set_string(rb, 0, "ok", 2);
  spate_rb_set_tinyint(rb, 1, 1);
  assert_int_equal(spate_rb_finish(rb, &r), 0);
  uint8_t row[256];
  assert_true(r.len <= sizeof row);
  memcpy(row, r.data, r.len);
  uint8_t *tail = memmem(row, r.len, "ok", 2);
  assert_non_null(tail);
  tail[0] = 0xff;
  sp_writer_init(&w);
  sp_put_u32(&w, COLLECT_ANSWER_MAGIC);
  sp_put_str(&w, "v");
  sp_put_i64(&w, 0);
  sp_put_u8(&w, 0);
  sp_put_u32(&w, 1);
  sp_put_blob(&w, row, r.len);
  collect_answer a;
  assert_int_equal(collect_answer_decode(w.data, w.len, schema, &a, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "malformed collect answer: row 0 at byte"));
  w.len -= r.len + 4;
  w.data[w.len - 4] = 200; /* 200 rows in no bytes */
  assert_int_equal(collect_answer_decode(w.data, w.len, schema, &a, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "more rows than bytes"));
  sp_writer_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(offsets_acknowledge), cmocka_unit_test(lifetimes),
      cmocka_unit_test(bounded_answers),     cmocka_unit_test(backpressure),
      cmocka_unit_test(strict_decoders),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_outbuf.c: sp_outbuf, the raw-fd line buffer of the print and text sinks. Bytes reach the
 * fd only on a flush (when full, at the flush threshold, or asked), a unit larger than the
 * buffer goes straight out, and sp_outbuf_flush_all_from_signal (what the fatal-signal handler
 * calls) writes exactly the complete bytes buffered, after which the owner no longer touches the
 * buffer: its next flush fails instead of writing the bytes a second time.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/outbuf.h"

typedef struct fixture {
  char path[64];
  int fd;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->path, sizeof f->path, "/tmp/spate_outbuf_XXXXXX");
  f->fd = mkstemp(f->path);
  assert_true(f->fd >= 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  close(f->fd);
  unlink(f->path);
  free(f);
  return 0;
}

/* What the file holds now. */
static const char *contents(fixture *f) {
  static char buf[4096];
  ssize_t n = pread(f->fd, buf, sizeof buf - 1, 0);
  assert_true(n >= 0);
  buf[n] = 0;
  return buf;
}

static void test_buffers_until_flush(void **state) {
  fixture *f = *state;
  sp_outbuf b;
  assert_int_equal(sp_outbuf_init(&b, f->fd, 64, 0, NULL), 0);
  assert_int_equal(sp_outbuf_write(&b, "one\n", 4), 0);
  assert_int_equal(sp_outbuf_write(&b, "two\n", 4), 0);
  assert_string_equal(contents(f), "");
  assert_int_equal(sp_outbuf_flush(&b), 0);
  assert_string_equal(contents(f), "one\ntwo\n");
  assert_int_equal(sp_outbuf_flush(&b), 0); /* nothing buffered: nothing written */
  assert_string_equal(contents(f), "one\ntwo\n");
  sp_outbuf_release(&b);
  sp_outbuf_release(&b); /* twice is harmless */
}

static void test_full_and_threshold(void **state) {
  fixture *f = *state;
  sp_outbuf b;
  /* full: a unit that does not fit pushes out what is buffered first, whole */
  assert_int_equal(sp_outbuf_init(&b, f->fd, 8, 0, NULL), 0);
  assert_int_equal(sp_outbuf_write(&b, "aaaaa\n", 6), 0);
  assert_string_equal(contents(f), "");
  assert_int_equal(sp_outbuf_write(&b, "bb\n", 3), 0);
  assert_string_equal(contents(f), "aaaaa\n");
  /* larger than the buffer: straight out, after what was buffered */
  assert_int_equal(sp_outbuf_write(&b, "cccccccccc\n", 11), 0);
  assert_string_equal(contents(f), "aaaaa\nbb\ncccccccccc\n");
  sp_outbuf_release(&b);
  /* threshold 1: every unit goes out at once (a terminal) */
  assert_int_equal(sp_outbuf_init(&b, f->fd, 64, 1, NULL), 0);
  assert_int_equal(sp_outbuf_write(&b, "d\n", 2), 0);
  assert_string_equal(contents(f), "aaaaa\nbb\ncccccccccc\nd\n");
  sp_outbuf_release(&b);
}

static void test_write_error(void **state) {
  (void)state;
  sp_outbuf b;
  assert_int_equal(sp_outbuf_init(&b, -1, 16, 1, NULL), 0);
  errno = 0;
  assert_int_equal(sp_outbuf_write(&b, "x\n", 2), SPATE_EIO);
  assert_int_equal(errno, EBADF);
  sp_outbuf_release(&b);
}

static void test_flush_from_signal(void **state) {
  fixture *f = *state;
  sp_outbuf b, other;
  assert_int_equal(sp_outbuf_init(&b, f->fd, 64, 0, NULL), 0);
  assert_int_equal(sp_outbuf_init(&other, f->fd, 64, 0, NULL), 0);
  assert_int_equal(sp_outbuf_write(&b, "kept 1\n", 7), 0);
  assert_int_equal(sp_outbuf_write(&other, "kept 2\n", 7), 0);
  sp_outbuf_flush_all_from_signal();
  const char *got = contents(f);
  assert_true(strcmp(got, "kept 1\nkept 2\n") == 0 || strcmp(got, "kept 2\nkept 1\n") == 0);
  /* the handler owns the buffers now: the owner's flush fails and writes nothing twice */
  assert_int_equal(sp_outbuf_write(&b, "late\n", 5), 0);
  errno = 0;
  assert_int_equal(sp_outbuf_flush(&b), SPATE_EIO);
  assert_int_equal(errno, ECANCELED);
  assert_int_equal(strlen(contents(f)), 14);
  /* release leaves a buffer the handler holds alone (the process would be ending); here the
   * test knows the handler is done and frees it */
  char *data = b.data, *odata = other.data;
  sp_outbuf_release(&b);
  sp_outbuf_release(&other);
  assert_ptr_equal(b.data, data);
  sp_free(data);
  sp_free(odata);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_buffers_until_flush, setup, teardown),
      cmocka_unit_test_setup_teardown(test_full_and_threshold, setup, teardown),
      cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
      /* last: its buffers' slots stay taken by the "handler" */
      cmocka_unit_test_setup_teardown(test_flush_from_signal, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

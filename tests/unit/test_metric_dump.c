/*
 * test_metric_dump.c: Flink's MetricDump as values and their encoding (metrics/metric_dump.h):
 * every scope and kind round-trips; values print as Flink's REST prints them; the decoder
 * refuses bad magic, versions, counts, scopes, ids, kinds, missing operator names, empty names,
 * truncations and trailing bytes, each time naming what is wrong, and leaves nothing allocated.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "base/err.h"
#include "metrics/metric_dump.h"

#define JOB "0123456789abcdef0123456789abcdef"
#define VTX "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb"

static void sample(metric_dump *d) {
  metric_dump_entry *e = metric_dump_add(d);
  e->scope = METRIC_SCOPE_JM;
  e->name = sp_strdup("Status.JVM.CPU.Load");
  e->kind = METRIC_GAUGE;
  e->gauge = sp_strdup("0.5");
  e = metric_dump_add(d);
  e->scope = METRIC_SCOPE_JOB;
  memcpy(e->job_id, JOB, 33);
  e->name = sp_strdup("numRestarts");
  e->kind = METRIC_COUNTER;
  e->count = -3;
  e = metric_dump_add(d);
  e->scope = METRIC_SCOPE_TASK;
  memcpy(e->job_id, JOB, 33);
  memcpy(e->vertex_id, VTX, 33);
  e->subtask = 2;
  e->attempt = 1;
  e->name = sp_strdup("numRecordsInPerSecond");
  e->kind = METRIC_METER;
  e->rate = 12.5;
  e = metric_dump_add(d);
  e->scope = METRIC_SCOPE_OPERATOR;
  memcpy(e->job_id, JOB, 33);
  memcpy(e->vertex_id, VTX, 33);
  e->subtask = 0;
  e->attempt = 0;
  e->operator_name = sp_strdup("Source: X");
  e->name = sp_strdup("latency");
  e->kind = METRIC_HISTOGRAM;
  e->hist = (metric_histogram_stats){.count = 4, .min = 1, .max = 9, .mean = 4.25, .p99 = 9};
}

static uint8_t *encode(const metric_dump *d, size_t *len) {
  sp_writer w;
  sp_writer_init(&w);
  assert_int_equal(metric_dump_encode(d, &w), 0);
  return sp_writer_take(&w, len);
}

static void round_trip(void **state) {
  (void)state;
  metric_dump d = {0}, back;
  sample(&d);
  size_t len;
  uint8_t *bytes = encode(&d, &len);
  char err[SP_ERRMSG_MAX];
  assert_int_equal(metric_dump_decode(bytes, len, &back, err, sizeof err), 0);
  assert_int_equal(back.n, 4);
  for (size_t i = 0; i < d.n; i++) {
    assert_int_equal(back.entries[i].scope, d.entries[i].scope);
    assert_int_equal(back.entries[i].kind, d.entries[i].kind);
    assert_string_equal(back.entries[i].name, d.entries[i].name);
    assert_string_equal(back.entries[i].job_id, d.entries[i].job_id);
    assert_int_equal(back.entries[i].subtask, d.entries[i].subtask);
  }
  assert_int_equal(back.entries[1].count, -3);
  assert_true(back.entries[2].rate == 12.5);
  assert_string_equal(back.entries[3].operator_name, "Source: X");
  assert_true(back.entries[3].hist.mean == 4.25 && back.entries[3].hist.count == 4);
  /* encoding the decoded dump gives the same bytes */
  size_t len2;
  uint8_t *again = encode(&back, &len2);
  assert_int_equal(len2, len);
  assert_memory_equal(again, bytes, len);
  char buf[64];
  assert_string_equal(metric_dump_value(&back.entries[0], buf, sizeof buf), "0.5");
  assert_string_equal(metric_dump_value(&back.entries[1], buf, sizeof buf), "-3");
  assert_string_equal(metric_dump_value(&back.entries[2], buf, sizeof buf), "12.5");
  assert_string_equal(metric_dump_value(&back.entries[3], buf, sizeof buf), "4.25");
  back.entries[2].rate = 3;
  assert_string_equal(metric_dump_value(&back.entries[2], buf, sizeof buf), "3.0");
  back.entries[2].rate = NAN;
  assert_string_equal(metric_dump_value(&back.entries[2], buf, sizeof buf), "NaN");
  sp_free(again);
  sp_free(bytes);
  metric_dump_free(&back);
  metric_dump_free(&d);
  /* an empty dump */
  bytes = encode(&d, &len);
  assert_int_equal(metric_dump_decode(bytes, len, &back, err, sizeof err), 0);
  assert_int_equal(back.n, 0);
  metric_dump_free(&back);
  sp_free(bytes);
}

/* Decodes bytes that must be refused with a message containing what. */
static void refused(const uint8_t *bytes, size_t len, const char *what) {
  metric_dump d;
  char err[SP_ERRMSG_MAX] = "";
  assert_int_equal(metric_dump_decode(bytes, len, &d, err, sizeof err), SPATE_EINVAL);
  if (!strstr(err, what)) fail_msg("expected \"%s\" in \"%s\"", what, err);
  assert_null(d.entries);
}

/* The sample's encoding with byte `at` replaced by v. */
static void refused_with(size_t at, uint8_t v, const char *what) {
  metric_dump d = {0};
  sample(&d);
  size_t len;
  uint8_t *bytes = encode(&d, &len);
  metric_dump_free(&d);
  assert_true(at < len);
  bytes[at] = v;
  refused(bytes, len, what);
  sp_free(bytes);
}

static void bad_input_refused(void **state) {
  (void)state;
  metric_dump d = {0};
  sample(&d);
  size_t len;
  uint8_t *bytes = encode(&d, &len);
  metric_dump_free(&d);
  refused(bytes, 3, "bad magic");
  refused_with(0, 'X', "bad magic");
  refused_with(4, 9, "unsupported version 9");
  refused(bytes, 7, "truncated header");
  /* a count that cannot fit */
  uint8_t *big = sp_malloc(len);
  memcpy(big, bytes, len);
  big[5] = big[6] = big[7] = big[8] = 0xff;
  refused(big, len, "cannot fit");
  sp_free(big);
  refused_with(9, 7, "entry 0 (unknown scope): bad scope");
  /* entry 0's job id length (u32 at 10): a string of one byte that is no id */
  refused_with(10, 1, "bad job id");
  /* truncations anywhere inside an entry, and bytes after the last one */
  for (size_t cut = 10; cut < len; cut += 7) refused(bytes, cut, "metric dump: ");
  uint8_t *longer = sp_malloc(len + 1);
  memcpy(longer, bytes, len);
  longer[len] = 0;
  refused(longer, len + 1, "1 bytes after the last entry");
  sp_free(longer);
  sp_free(bytes);

  /* an operator entry without its operator name, an entry with an empty name, a bad kind */
  metric_dump one = {0};
  metric_dump_entry *e = metric_dump_add(&one);
  e->scope = METRIC_SCOPE_OPERATOR;
  e->name = sp_strdup("x");
  bytes = encode(&one, &len);
  refused(bytes, len, "bad operator name");
  sp_free(bytes);
  e->scope = METRIC_SCOPE_JM;
  e->name[0] = 0;
  bytes = encode(&one, &len);
  refused(bytes, len, "bad name");
  sp_free(bytes);
  e->name[0] = 'x';
  e->kind = METRIC_COUNTER;
  bytes = encode(&one, &len);
  bytes[len - 9] = 4; /* the kind byte before the 8-byte count */
  refused(bytes, len, "bad kind");
  sp_free(bytes);
  metric_dump_free(&one);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(bad_input_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

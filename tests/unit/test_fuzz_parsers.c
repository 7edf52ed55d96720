/*
 * test_fuzz_parsers.c: mutation fuzzing of the parsers that take outside input: schema specs,
 * config files, row bytes (row_validate + formatting), encoded schemas and job results. Each
 * starts from valid seeds, flips/inserts/deletes/duplicates bytes with a fixed-seed generator,
 * and asserts that the parser either accepts the input (and the result is usable) or rejects it
 * with a message, never crashing or leaking (ASan/UBSan/LSan watch). The job graph decoder has
 * its own fuzz loop in test_graph.c. The coverage-guided targets in tests/fuzz/ (`make fuzz`)
 * check the same parsers more deeply; this keeps tens of thousands of fresh mutations in every
 * `make check`, which only replays the targets' committed inputs.
 */
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
#include "base/config.h"
#include "base/log.h"
#include "cluster/job_result.h"
#include "types/row.h"
#include "types/schema.h"

static uint64_t rng = 0x5EED5EED12345678ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* Mutates buf (len bytes, capacity cap) in place a few times; returns the new length. */
static size_t mutate(uint8_t *buf, size_t len, size_t cap) {
  static const uint8_t interesting[] = {0,   0xff, 0x80, 0x7f, ':', ',',  ' ', '\n',
                                        '`', '-',  '[',  '{',  '#', '\'', '"', 0xc3};
  int rounds = 1 + (int)(next() % 4);
  for (int r = 0; r < rounds; r++) {
    size_t pos = len ? next() % len : 0;
    switch (next() % 5) {
    case 0: /* flip a bit */
      if (len) buf[pos] ^= (uint8_t)(1u << (next() % 8));
      break;
    case 1: /* overwrite with an interesting byte */
      if (len) buf[pos] = interesting[next() % sizeof interesting];
      break;
    case 2: /* insert */
      if (len < cap) {
        memmove(buf + pos + 1, buf + pos, len - pos);
        buf[pos] = interesting[next() % sizeof interesting];
        len++;
      }
      break;
    case 3: /* delete */
      if (len) {
        memmove(buf + pos, buf + pos + 1, len - pos - 1);
        len--;
      }
      break;
    default: /* truncate */ len = pos; break;
    }
  }
  return len;
}

static void test_schema_parse(void **state) {
  (void)state;
  static const char *seeds[] = {"word STRING, count BIGINT NOT NULL",
                                "`a b` INT, c TIMESTAMP(3), d VARCHAR(10) NULL, e BOOLEAN",
                                "x DOUBLE NOT NULL, y BYTES, z LONG"};
  char buf[256];
  for (int it = 0; it < 30000; it++) {
    const char *seed = seeds[it % 3];
    size_t len = strlen(seed);
    memcpy(buf, seed, len);
    len = mutate((uint8_t *)buf, len, sizeof buf - 1);
    buf[len] = 0;
    spate_schema *s = NULL;
    char err[256] = "";
    int rc = spate_schema_parse(buf, &s, err, sizeof err);
    if (rc == 0) {
      assert_non_null(s);
      assert_true(spate_schema_num_fields(s) > 0);
      char *text = schema_to_string(s); /* what parses must print and parse back equal */
      assert_non_null(text);
      spate_schema *again = NULL;
      assert_int_equal(spate_schema_parse(text, &again, err, sizeof err), 0);
      assert_true(schema_equal(s, again));
      schema_unref(again);
      sp_free(text);
      schema_unref(s);
    } else {
      assert_int_equal(rc, SPATE_EINVAL);
      assert_null(s);
      assert_true(strlen(err) > 0);
    }
  }
}

static void test_config_files(void **state) {
  (void)state;
  static const char *seeds[] = {
      "parallelism.default: 2\ntaskmanager:\n  numberOfTaskSlots: 4\n  memory:\n    segment-size: "
      "32 kb\n",
      "execution:\n  buffer-timeout:\n    interval: 5 ms\nlog.level: "
      "WARN\npipeline.max-parallelism: 128\n",
      "# comment\npipeline.operator-chaining.enabled: false\nrest.port: 8081\n"};
  char dir[] = "/tmp/spate_fuzz_config_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/config.yaml", dir);
  sp_log_set_level(SP_LOG_OFF); /* accepted-but-ignored keys would warn */
  uint8_t buf[512];
  for (int it = 0; it < 3000; it++) {
    const char *seed = seeds[it % 3];
    size_t len = strlen(seed);
    memcpy(buf, seed, len);
    len = mutate(buf, len, sizeof buf);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
    sp_config *c = sp_config_new();
    assert_non_null(c);
    char err[512] = "";
    int rc = sp_config_load_file(c, path, err, sizeof err);
    if (rc == 0) {
      assert_true(sp_config_int(c, "parallelism.default") >= 1); /* values stay in range */
    } else {
      assert_int_equal(rc, SPATE_EINVAL);
      assert_non_null(strstr(err, path)); /* the message names the file */
    }
    sp_config_free(c);
  }
  sp_log_set_level(SP_LOG_WARN);
  unlink(path);
  rmdir(dir);
}

static void test_rows(void **state) {
  (void)state;
  spate_schema *s = NULL;
  char err[256];
  assert_int_equal(spate_schema_parse("a STRING, b BIGINT NOT NULL, c DOUBLE, d BOOLEAN, e BYTES, "
                                      "f TIMESTAMP, g INT",
                                      &s, err, sizeof err),
                   0);
  spate_row_builder *b = spate_rb_new(s);
  spate_rb_begin(b);
  spate_rb_set_string(b, 0, "hello wörld", strlen("hello wörld"));
  spate_rb_set_bigint(b, 1, -42);
  spate_rb_set_double(b, 2, 0.1);
  spate_rb_set_bool(b, 3, true);
  spate_rb_set_bytes(b, 4, "\x01\xfe", 2);
  spate_rb_set_timestamp(b, 5, 1763700000123);
  spate_rb_set_int(b, 6, 7);
  spate_row row;
  assert_int_equal(spate_rb_finish(b, &row), 0);
  uint8_t *buf = malloc(row.len + 64); /* exact-size heap copies let ASan see overreads */
  for (int it = 0; it < 30000; it++) {
    memcpy(buf, row.data, row.len);
    size_t len = mutate(buf, row.len, row.len + 64);
    uint8_t *exact = malloc(len ? len : 1);
    memcpy(exact, buf, len);
    if (row_validate(exact, (uint32_t)len, s, true, err, sizeof err) == 0) {
      spate_row r = {exact, (uint32_t)len, 7};
      char out[512];
      spate_row_format(&r, s, out, sizeof out);
      int fields[2] = {0, 1};
      (void)row_fields_java_hash(&r, fields, 2, s);
      (void)row_fields_hash64(&r, fields, 2, s);
    } else {
      assert_true(strlen(err) > 0);
    }
    free(exact);
  }
  free(buf);
  spate_rb_free(b);
  schema_unref(s);
}

static void test_schema_and_result_decoding(void **state) {
  (void)state;
  spate_schema *s = NULL;
  char err[256];
  assert_int_equal(spate_schema_parse("word STRING, n BIGINT", &s, err, sizeof err), 0);
  spate_row_builder *b = spate_rb_new(s);
  sp_writer w;
  sp_writer_init(&w);
  sp_put_str(&w, "0123456789abcdef0123456789abcdef");
  sp_put_str(&w, "job");
  sp_put_u8(&w, SPATE_JOB_FINISHED);
  sp_put_str(&w, NULL);
  sp_put_i64(&w, 12);
  sp_put_u32(&w, 1);
  sp_put_i32(&w, 0);
  sp_put_str(&w, "Map");
  sp_put_u64(&w, 3);
  sp_put_u64(&w, 3);
  sp_put_u64(&w, 0);
  sp_put_u32(&w, 1);
  sp_put_str(&w, "out");
  schema_encode(&w, s);
  sp_put_u32(&w, 2);
  for (int k = 0; k < 2; k++) {
    spate_row r;
    spate_rb_begin(b);
    spate_rb_set_string(b, 0, k ? "b" : "a", 1);
    spate_rb_set_bigint(b, 1, k);
    assert_int_equal(spate_rb_finish(b, &r), 0);
    sp_put_blob(&w, r.data, r.len);
  }
  assert_false(w.failed);
  spate_job_result *res = NULL;
  assert_int_equal(jr_decode(w.data, w.len, &res, err, sizeof err), 0);
  const spate_row *rows;
  assert_int_equal(spate_job_result_collected(res, "out", &rows, NULL), 2);
  assert_int_equal(spate_row_bigint(&rows[1], 1), 1);
  spate_job_result_free(res);
  uint8_t *buf = malloc(w.len + 64);
  for (int it = 0; it < 30000; it++) {
    memcpy(buf, w.data, w.len);
    size_t len = mutate(buf, w.len, w.len + 64);
    uint8_t *exact = malloc(len ? len : 1);
    memcpy(exact, buf, len);
    res = NULL;
    err[0] = 0;
    if (jr_decode(exact, len, &res, err, sizeof err) == 0) {
      size_t n = spate_job_result_num_operators(res);
      for (size_t i = 0; i < n; i++) (void)spate_job_result_operator(res, i);
      spate_job_result_free(res);
    } else {
      assert_true(err[0] != 0); /* a refusal says why */
    }
    sp_reader r;
    sp_reader_init(&r, exact, len);
    spate_schema *d = schema_decode(&r);
    if (d) schema_unref(d);
    free(exact);
  }
  free(buf);
  sp_writer_free(&w);
  spate_rb_free(b);
  schema_unref(s);
}

/* A result with one operator and one collected row of "n BIGINT NOT NULL": status, operator
 * count and the row's bytes as given, then `tail` bytes of garbage. */
static void encode_result(sp_writer *w, uint8_t status, uint32_t nops, bool bad_row, size_t tail) {
  spate_schema *s = NULL;
  char err[256];
  assert_int_equal(spate_schema_parse("n BIGINT NOT NULL", &s, err, sizeof err), 0);
  spate_row_builder *b = spate_rb_new(s);
  sp_writer_init(w);
  sp_put_str(w, "0123456789abcdef0123456789abcdef");
  sp_put_str(w, "job");
  sp_put_u8(w, status);
  sp_put_str(w, status == SPATE_JOB_FAILED ? "boom" : NULL);
  sp_put_i64(w, 12);
  sp_put_u32(w, nops);
  sp_put_i32(w, 0);
  sp_put_str(w, "Map");
  sp_put_u64(w, 3);
  sp_put_u64(w, 3);
  sp_put_u64(w, 0);
  sp_put_u32(w, 1);
  sp_put_str(w, "out");
  schema_encode(w, s);
  sp_put_u32(w, 1);
  spate_row r;
  spate_rb_begin(b);
  spate_rb_set_bigint(b, 0, 7);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  sp_put_blob(w, r.data, bad_row ? r.len - 1 : r.len);
  sp_put_i32(w, 0);
  sp_put_u32(w, 0);
  for (size_t i = 0; i < tail; i++) sp_put_u8(w, 0xab);
  assert_false(w->failed);
  spate_rb_free(b);
  schema_unref(s);
}

/* Each way a result can be malformed is refused with the reason, which the client shows. */
static void test_result_refusals(void **state) {
  (void)state;
  struct {
    uint8_t status;
    uint32_t nops;
    bool bad_row;
    size_t tail;
    const char *why; /* NULL: accepted */
  } cases[] = {
      {SPATE_JOB_FINISHED, 1, false, 0, NULL},
      {SPATE_JOB_FAILED, 1, false, 0, NULL},
      {SPATE_JOB_CANCELED, 1, false, 0, NULL},
      {SPATE_JOB_PLANNED, 1, false, 0, "unknown job status 3 at offset 43"},
      {200, 1, false, 0, "unknown job status 200"},
      {SPATE_JOB_FINISHED, 100000, false, 0, "operator count 100000 exceeds the"},
      {SPATE_JOB_FINISHED, 2, false, 0, "collected output count"}, /* read from the rows */
      {SPATE_JOB_FINISHED, 1, true, 0, "row 0 of collected output 'out'"},
      {SPATE_JOB_FINISHED, 1, false, 3, "3 unexpected bytes after the result"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sp_writer w;
    encode_result(&w, cases[i].status, cases[i].nops, cases[i].bad_row, cases[i].tail);
    spate_job_result *res = NULL;
    char err[256] = "";
    int rc = jr_decode(w.data, w.len, &res, err, sizeof err);
    if (!cases[i].why) {
      assert_int_equal(rc, 0);
      assert_int_equal(spate_job_result_status(res), cases[i].status);
      spate_job_result_free(res);
    } else {
      assert_int_equal(rc, SPATE_ECORRUPT);
      assert_null(res);
      if (!strstr(err, cases[i].why)) fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].why);
    }
    sp_writer_free(&w);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_schema_parse),
      cmocka_unit_test(test_config_files),
      cmocka_unit_test(test_rows),
      cmocka_unit_test(test_schema_and_result_decoding),
      cmocka_unit_test(test_result_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

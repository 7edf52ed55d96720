/*
 * test_row.c: the row builder (every type, NULLs, large values, reuse without growth, setter
 * errors), row validation against corrupt bytes, key equality and hashing (Java-compatible and
 * 64-bit), and the Flink/Java text form of values and rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/hash.h"
#include "types/row.h"

static spate_schema *parse(const char *spec) {
  spate_schema *s = NULL;
  char err[256] = "";
  if (spate_schema_parse(spec, &s, err, sizeof err) != 0) fail_msg("%s", err);
  return s;
}

#define ALL_TYPES "b BOOLEAN, i INT, l BIGINT, d DOUBLE, s STRING, y BYTES, t TIMESTAMP"

static void round_trip_all_types(void **state) {
  (void)state;
  spate_schema *s = parse(ALL_TYPES);
  spate_row_builder *b = spate_rb_new(s);
  assert_non_null(b);
  spate_rb_begin(b);
  spate_rb_set_bool(b, 0, true);
  spate_rb_set_int(b, 1, -7);
  spate_rb_set_bigint(b, 2, INT64_MIN);
  spate_rb_set_double(b, 3, -2.5);
  spate_rb_set_string(b, 4, "héllo", strlen("héllo"));
  spate_rb_set_bytes(b, 5, "\x01\xfe\x00", 3);
  spate_rb_set_timestamp(b, 6, 1795064632123);
  spate_row r;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  assert_null(spate_rb_error(b));
  assert_int_equal(r.nfields, 7);
  assert_int_equal(r.len % 8, 0);
  assert_true(r.len >= spate_row_header_size(7) + 9);
  for (int i = 0; i < 7; i++) assert_false(spate_row_is_null(&r, i));
  assert_true(spate_row_bool(&r, 0));
  assert_int_equal(spate_row_int(&r, 1), -7);
  assert_int_equal(spate_row_bigint(&r, 1), -7); /* INT is stored sign-extended */
  assert_true(spate_row_bigint(&r, 2) == INT64_MIN);
  assert_true(spate_row_double(&r, 3) == -2.5);
  spate_bytes str = spate_row_string(&r, 4);
  assert_int_equal(str.len, strlen("héllo"));
  assert_memory_equal(str.ptr, "héllo", str.len);
  spate_bytes by = spate_row_string(&r, 5);
  assert_int_equal(by.len, 3);
  assert_memory_equal(by.ptr, "\x01\xfe\x00", 3);
  assert_true(spate_row_timestamp(&r, 6) == 1795064632123);
  char err[256] = "";
  assert_int_equal(row_validate(r.data, r.len, s, true, err, sizeof err), 0);

  /* A heap copy is independent of the builder. */
  spate_row copy;
  assert_int_equal(spate_row_copy(&r, &copy), 0);
  spate_rb_begin(b);
  spate_rb_finish(b, &r);
  assert_int_equal(copy.len % 8, 0);
  assert_true(spate_row_timestamp(&copy, 6) == 1795064632123);
  str = spate_row_string(&copy, 4);
  assert_memory_equal(str.ptr, "héllo", str.len);
  spate_row_free(&copy);
  assert_null(copy.data);

  /* Nothing set: every field NULL, strings read as {NULL, 0}, the row is still valid. */
  for (int i = 0; i < 7; i++) assert_true(spate_row_is_null(&r, i));
  assert_int_equal(r.len, spate_row_header_size(7));
  assert_null(spate_row_string(&r, 4).ptr);
  assert_int_equal(row_validate(r.data, r.len, s, true, err, sizeof err), 0);

  /* Setting a field and then NULL again leaves it NULL. */
  spate_rb_begin(b);
  spate_rb_set_int(b, 1, 5);
  spate_rb_set_null(b, 1);
  spate_rb_set_string(b, 4, NULL, 0); /* the empty string, not NULL */
  assert_int_equal(spate_rb_finish(b, &r), 0);
  assert_true(spate_row_is_null(&r, 1));
  assert_false(spate_row_is_null(&r, 4));
  assert_int_equal(spate_row_string(&r, 4).len, 0);
  spate_rb_free(b);
  spate_schema_free(s);
}

static void many_fields_bitmap(void **state) {
  (void)state;
  /* 70 fields: the bitmap takes two words and field 64 lives in the second one. */
  char spec[2048] = "";
  for (int i = 0; i < 70; i++) {
    char f[32];
    snprintf(f, sizeof f, "%sf%d BIGINT", i ? ", " : "", i);
    strcat(spec, f);
  }
  spate_schema *s = parse(spec);
  spate_row_builder b;
  assert_int_equal(rb_init(&b, s), 0);
  spate_schema_free(s); /* the builder holds its own reference */
  spate_rb_begin(&b);
  spate_rb_set_bigint(&b, 64, 640);
  spate_rb_set_bigint(&b, 3, 30);
  spate_row r;
  assert_int_equal(spate_rb_finish(&b, &r), 0);
  assert_int_equal(r.len, spate_row_header_size(70));
  for (int i = 0; i < 70; i++) assert_int_equal(spate_row_is_null(&r, i), !(i == 64 || i == 3));
  assert_int_equal(spate_row_bigint(&r, 64), 640);
  assert_int_equal(spate_row_bigint(&r, 3), 30);
  /* Bits past the last field stay clear so that equal rows are equal bytes. */
  uint64_t w2;
  memcpy(&w2, r.data + 8, 8);
  assert_int_equal(w2 >> 6, 0);
  rb_destroy(&b);
}

static void long_string(void **state) {
  (void)state;
  spate_schema *s = parse("k INT, v STRING");
  spate_row_builder *b = spate_rb_new(s);
  size_t n = 1 << 20;
  char *big = sp_malloc(n);
  for (size_t i = 0; i < n; i++) big[i] = (char)('a' + i % 26);
  spate_rb_begin(b);
  spate_rb_set_int(b, 0, 1);
  spate_rb_set_string(b, 1, big, n);
  spate_row r;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  spate_bytes v = spate_row_string(&r, 1);
  assert_int_equal(v.len, n);
  assert_memory_equal(v.ptr, big, n);
  char err[256];
  assert_int_equal(row_validate(r.data, r.len, s, true, err, sizeof err), 0);
  sp_free(big);
  spate_rb_free(b);
  spate_schema_free(s);
}

static void reuse_without_growth(void **state) {
  (void)state;
  spate_schema *s = parse("word STRING NOT NULL, count BIGINT NOT NULL");
  spate_row_builder *b = spate_rb_new(s);
  char word[300];
  memset(word, 'x', sizeof word);
  spate_row r;
  /* Warm-up with the largest row, then many rows of every size up to it. */
  spate_rb_begin(b);
  spate_rb_set_string(b, 0, word, sizeof word);
  spate_rb_set_bigint(b, 1, 0);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  uint32_t cap = b->cap;
  const uint8_t *buf = b->buf;
  int64_t allocated = sp_alloc_current();
  for (int i = 0; i < 10000; i++) {
    size_t len = (size_t)(i % 301);
    spate_rb_begin(b);
    spate_rb_set_string(b, 0, word, len);
    spate_rb_set_bigint(b, 1, i);
    assert_int_equal(spate_rb_finish(b, &r), 0);
    assert_int_equal(spate_row_string(&r, 0).len, len);
    assert_int_equal(spate_row_bigint(&r, 1), i);
  }
  assert_int_equal(b->cap, cap);
  assert_ptr_equal(b->buf, buf);
  assert_int_equal(sp_alloc_current(), allocated);
  spate_rb_free(b);
  spate_schema_free(s);
}

static void setter_errors(void **state) {
  (void)state;
  spate_schema *s = parse("word STRING NOT NULL, count BIGINT NOT NULL, opt INT");
  spate_row_builder *b = spate_rb_new(s);
  spate_row r = {(const uint8_t *)"x", 1, 1};

  spate_rb_begin(b);
  spate_rb_set_string(b, 1, "a", 1);
  spate_rb_set_int(b, 7, 1); /* a later error does not replace the first */
  spate_rb_set_string(b, 0, "w", 1);
  assert_int_equal(spate_rb_finish(b, &r), SPATE_EINVAL);
  assert_string_equal(spate_rb_error(b), "field 1 'count' is BIGINT, set as STRING");
  assert_null(r.data);

  spate_rb_begin(b); /* begin clears the error */
  assert_null(spate_rb_error(b));
  spate_rb_set_int(b, 7, 1);
  assert_string_equal(spate_rb_error(b),
                      "field index 7 out of range (the schema has 3 fields), set as INT");

  spate_rb_begin(b);
  spate_rb_set_int(b, -1, 1);
  assert_non_null(strstr(spate_rb_error(b), "field index -1 out of range"));

  spate_rb_begin(b);
  spate_rb_set_null(b, 0);
  assert_string_equal(spate_rb_error(b), "field 0 'word' is NOT NULL, set as NULL");

  spate_rb_begin(b);
  spate_rb_set_bigint(b, 1, 3);
  assert_int_equal(spate_rb_finish(b, &r), SPATE_EINVAL);
  assert_string_equal(spate_rb_error(b), "field 0 'word' is NOT NULL but was not set");

  /* The wrong-type setter was ignored: the field keeps its earlier value. */
  spate_rb_begin(b);
  spate_rb_set_string(b, 0, "w", 1);
  spate_rb_set_bigint(b, 1, 3);
  spate_rb_set_double(b, 1, 9.0);
  assert_int_equal(spate_rb_finish(b, &r), SPATE_EINVAL);
  assert_string_equal(spate_rb_error(b), "field 1 'count' is BIGINT, set as DOUBLE");

  /* A clean row after all that; the nullable field may stay unset. */
  spate_rb_begin(b);
  spate_rb_set_string(b, 0, "w", 1);
  spate_rb_set_bigint(b, 1, 3);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  assert_true(spate_row_is_null(&r, 2));
  spate_rb_free(b);
  spate_schema_free(s);
}

static void set_field_copies(void **state) {
  (void)state;
  spate_schema *src_s = parse("n INT, s STRING, d DOUBLE, z STRING");
  spate_schema *dst_s = parse("s STRING NOT NULL, n INT, z STRING, s2 STRING");
  spate_row_builder *src = spate_rb_new(src_s), *dst = spate_rb_new(dst_s);
  spate_rb_begin(src);
  spate_rb_set_int(src, 0, 42);
  spate_rb_set_string(src, 1, "copied", 6);
  spate_rb_set_double(src, 2, 1.5);
  spate_row in;
  assert_int_equal(spate_rb_finish(src, &in), 0);

  spate_rb_begin(dst);
  spate_rb_set_field(dst, 0, &in, 1);
  spate_rb_set_field(dst, 1, &in, 0);
  spate_rb_set_int(dst, 2, 0); /* error recorded ... */
  spate_rb_begin(dst);         /* ... and cleared */
  spate_rb_set_field(dst, 0, &in, 1);
  spate_rb_set_field(dst, 1, &in, 0);
  spate_rb_set_field(dst, 2, &in, 3); /* NULL copies as NULL */
  spate_row out;
  assert_int_equal(spate_rb_finish(dst, &out), 0);
  spate_bytes v = spate_row_string(&out, 0);
  assert_int_equal(v.len, 6);
  assert_memory_equal(v.ptr, "copied", 6);
  assert_int_equal(spate_row_int(&out, 1), 42);
  assert_true(spate_row_is_null(&out, 2));

  /* Copying a field of the row being built, across a reallocation of the builder's area. */
  spate_rb_begin(dst);
  char big[4096];
  memset(big, 'q', sizeof big);
  spate_rb_set_string(dst, 0, "short", 5);
  spate_row partial = {dst->buf, dst->len, 4};
  spate_rb_set_field(dst, 3, &partial, 0);
  spate_rb_set_string(dst, 2, big, sizeof big);
  partial = (spate_row){dst->buf, dst->len, 4};
  uint32_t cap = dst->cap;
  spate_rb_set_field(dst, 3, &partial, 2); /* the source lies in the area that must grow */
  assert_true(dst->cap > cap);
  assert_int_equal(spate_rb_finish(dst, &out), 0);
  v = spate_row_string(&out, 3);
  assert_int_equal(v.len, sizeof big);
  assert_memory_equal(v.ptr, big, sizeof big);

  /* NULL into a NOT NULL field, and an out-of-range source field. */
  spate_rb_begin(dst);
  spate_rb_set_field(dst, 0, &in, 3);
  assert_string_equal(spate_rb_error(dst), "field 0 's' is NOT NULL, set as NULL");
  spate_rb_begin(dst);
  spate_rb_set_field(dst, 1, &in, 9);
  assert_non_null(strstr(spate_rb_error(dst), "source field 9 out of range"));
  spate_rb_free(src);
  spate_rb_free(dst);
  spate_schema_free(src_s);
  spate_schema_free(dst_s);
}

/* row_project builds the very bytes the builder builds from the same fields (NULLs, strings of
 * several lengths, fields in another order), and leaves to the builder what it must refuse. */
static void project_matches_builder(void **state) {
  (void)state;
  spate_schema *src_s = parse("n INT, s STRING, d DOUBLE, z STRING, l BIGINT");
  spate_schema *key_s = parse("z STRING, n INT, s STRING, l BIGINT NOT NULL");
  spate_row_builder *src = spate_rb_new(src_s), *slow = spate_rb_new(key_s);
  spate_row_builder *fast = spate_rb_new(key_s);
  const int fields[] = {3, 0, 1, 4};
  for (int i = 0; i < 40; i++) {
    char str[64];
    memset(str, 'a' + i % 26, sizeof str);
    spate_rb_begin(src);
    if (i % 3) spate_rb_set_int(src, 0, i * 7);
    spate_rb_set_string(src, 1, str, (size_t)i);
    spate_rb_set_double(src, 2, i * 0.5);
    if (i % 4) spate_rb_set_string(src, 3, str + 1, (size_t)(i % 13));
    spate_rb_set_bigint(src, 4, -i);
    spate_row in, want, got;
    assert_int_equal(spate_rb_finish(src, &in), 0);
    spate_rb_begin(slow);
    for (int k = 0; k < 4; k++) spate_rb_set_field(slow, k, &in, fields[k]);
    assert_int_equal(spate_rb_finish(slow, &want), 0);
    assert_true(row_project(&in, fields, 4, fast, &got));
    assert_int_equal(got.len, want.len);
    assert_int_equal(got.nfields, 4);
    assert_memory_equal(got.data, want.data, want.len);
  }
  /* a NULL in a NOT NULL key field: refused, so that the builder reports it */
  spate_rb_begin(src);
  spate_row in, out;
  assert_int_equal(spate_rb_finish(src, &in), 0);
  assert_false(row_project(&in, fields, 4, fast, &out));
  /* a source field out of range, a wrong field count */
  const int bad[] = {3, 0, 1, 9};
  assert_false(row_project(&in, bad, 4, fast, &out));
  assert_false(row_project(&in, fields, 3, fast, &out));
  spate_rb_free(src);
  spate_rb_free(slow);
  spate_rb_free(fast);
  spate_schema_free(src_s);
  spate_schema_free(key_s);
}

/* Finishes b into a private, writable copy for corruption. */
static uint8_t *finish_copy(spate_row_builder *b, uint32_t *len) {
  spate_row r;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  uint8_t *p = sp_malloc(r.len);
  memcpy(p, r.data, r.len);
  *len = r.len;
  return p;
}

static void put_slot(uint8_t *row, uint32_t nfields, int i, uint64_t v) {
  memcpy(row + ((nfields + 63) / 64) * 8 + (size_t)i * 8, &v, 8);
}

static void expect_invalid(const uint8_t *p, uint32_t len, const spate_schema *s, bool utf8,
                           const char *what) {
  char err[256] = "";
  assert_int_equal(row_validate(p, len, s, utf8, err, sizeof err), SPATE_ECORRUPT);
  if (!strstr(err, what)) fail_msg("'%s' does not mention '%s'", err, what);
}

static void validate_rejects(void **state) {
  (void)state;
  spate_schema *s = parse("b BOOLEAN, i INT, s STRING, y BYTES, n BIGINT NOT NULL");
  spate_row_builder *b = spate_rb_new(s);
  uint32_t header = spate_row_header_size(5), len;
  spate_rb_begin(b);
  spate_rb_set_bool(b, 0, false);
  spate_rb_set_int(b, 1, INT32_MIN);
  spate_rb_set_string(b, 2, "abc", 3);
  spate_rb_set_bytes(b, 3, "\xff", 1);
  spate_rb_set_bigint(b, 4, 1);
  uint8_t *row = finish_copy(b, &len);
  char err[256];
  assert_int_equal(row_validate(row, len, s, true, err, sizeof err), 0);

  expect_invalid(row, header - 1, s, false, "shorter than its header");
  expect_invalid(NULL, 0, s, false, "shorter than its header");
  uint8_t *bad = sp_malloc(len);

  memcpy(bad, row, len);
  put_slot(bad, 5, 2, (uint64_t)(len - 2) << 32 | 3); /* runs past the end */
  expect_invalid(bad, len, s, false, "outside the tail");
  memcpy(bad, row, len);
  put_slot(bad, 5, 2, (uint64_t)8 << 32 | 3); /* points into the header */
  expect_invalid(bad, len, s, false, "outside the tail");
  memcpy(bad, row, len);
  put_slot(bad, 5, 3, (uint64_t)0xffffffffu << 32 | 0xffffffffu); /* 32-bit wrap-around */
  expect_invalid(bad, len, s, false, "outside the tail");
  memcpy(bad, row, len);
  put_slot(bad, 5, 0, 2);
  expect_invalid(bad, len, s, false, "BOOLEAN slot holds 2");
  memcpy(bad, row, len);
  put_slot(bad, 5, 1, (uint64_t)INT32_MAX + 1);
  expect_invalid(bad, len, s, false, "outside -2147483648..2147483647");
  memcpy(bad, row, len);
  bad[0] |= 1 << 4; /* NULL in a NOT NULL field */
  expect_invalid(bad, len, s, false, "NOT NULL but null");

  /* Invalid UTF-8 in a STRING matters only when asked for; BYTES are never checked. */
  memcpy(bad, row, len);
  bad[header + 1] = 0xC0;
  assert_int_equal(row_validate(bad, len, s, false, err, sizeof err), 0);
  expect_invalid(bad, len, s, true, "invalid UTF-8 at byte 1");
  sp_free(bad);
  sp_free(row);
  spate_rb_free(b);
  spate_schema_free(s);
}

/* Builds a one-row key of (STRING, INT, ...) and returns hashes through the row functions. */
static void java_hashes(void **state) {
  (void)state;
  spate_schema *s = parse("w STRING, n INT, l BIGINT, d DOUBLE, b BOOLEAN, y BYTES, x STRING");
  spate_row_builder *b = spate_rb_new(s);
  spate_rb_begin(b);
  spate_rb_set_string(b, 0, "to", 2);
  spate_rb_set_int(b, 1, -5);
  spate_rb_set_bigint(b, 2, 1LL << 32 | 7);
  spate_rb_set_double(b, 3, 1.0);
  spate_rb_set_bool(b, 4, true);
  spate_rb_set_bytes(b, 5, "\x01\xfe", 2);
  spate_row r;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  int f[] = {0, 1, 2, 3, 4, 5, 6};
  assert_int_equal(row_fields_java_hash(&r, &f[0], 1, s), 3707); /* "to".hashCode() */
  assert_int_equal(row_fields_java_hash(&r, &f[1], 1, s), -5);
  assert_int_equal(row_fields_java_hash(&r, &f[2], 1, s), 1 ^ 7);      /* Long.hashCode */
  assert_int_equal(row_fields_java_hash(&r, &f[3], 1, s), 1072693248); /* Double.hashCode(1.0) */
  assert_int_equal(row_fields_java_hash(&r, &f[4], 1, s), 1231);
  assert_int_equal(row_fields_java_hash(&r, &f[5], 1, s), (31 + 1) * 31 - 2); /* Arrays.hashCode */
  assert_int_equal(row_fields_java_hash(&r, &f[6], 1, s), 0);                 /* null */
  /* Tuple2("to", -5).hashCode() = 31 * 3707 + (-5); Tuple3 adds one more 31 * h + f2. */
  assert_int_equal(row_fields_java_hash(&r, f, 2, s), 31 * 3707 - 5);
  assert_int_equal(row_fields_java_hash(&r, (int[]){0, 6, 4}, 3, s), (31 * 3707 + 0) * 31 + 1231);

  spate_rb_begin(b);
  spate_rb_set_string(b, 0, "hello", 5);
  spate_rb_set_bool(b, 4, false);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  assert_int_equal(row_fields_java_hash(&r, &f[0], 1, s), 99162322);
  assert_int_equal(row_fields_java_hash(&r, &f[4], 1, s), 1237);
  /* Overflow wraps as Java int arithmetic does: 31 * 99162322 + 1237 exceeds 2^31. */
  assert_int_equal(row_fields_java_hash(&r, (int[]){0, 4}, 2, s),
                   (int32_t)(uint32_t)(31u * 99162322u + 1237u));
  spate_rb_free(b);
  spate_schema_free(s);
}

static void equality_and_hash64(void **state) {
  (void)state;
  spate_schema *s = parse("w STRING, n BIGINT, x STRING");
  spate_row_builder *b1 = spate_rb_new(s), *b2 = spate_rb_new(s);
  spate_row r1, r2;
  /* Same values laid out differently (field order of the setters, an abandoned tail value). */
  spate_rb_begin(b1);
  spate_rb_set_string(b1, 0, "key", 3);
  spate_rb_set_bigint(b1, 1, 9);
  assert_int_equal(spate_rb_finish(b1, &r1), 0);
  spate_rb_begin(b2);
  spate_rb_set_string(b2, 2, "zzzz", 4);
  spate_rb_set_null(b2, 2);
  spate_rb_set_bigint(b2, 1, 9);
  spate_rb_set_string(b2, 0, "key", 3);
  assert_int_equal(spate_rb_finish(b2, &r2), 0);
  int f[] = {0, 1, 2};
  assert_true(row_fields_equal(&r1, f, &r2, f, 3, s));
  assert_true(row_fields_hash64(&r1, f, 3, s) == row_fields_hash64(&r2, f, 3, s));
  assert_true(row_fields_java_hash(&r1, f, 3, s) == row_fields_java_hash(&r2, f, 3, s));

  /* Different fields of the same row: "key" vs NULL, and order matters. */
  assert_false(row_fields_equal(&r1, (int[]){0}, &r2, (int[]){2}, 1, s));
  uint64_t h_w_n = row_fields_hash64(&r1, (int[]){0, 1}, 2, s);
  assert_true(h_w_n != row_fields_hash64(&r1, (int[]){1, 0}, 2, s));

  spate_rb_begin(b2);
  spate_rb_set_string(b2, 0, "kez", 3);
  spate_rb_set_bigint(b2, 1, 9);
  assert_int_equal(spate_rb_finish(b2, &r2), 0);
  assert_false(row_fields_equal(&r1, f, &r2, f, 2, s));
  assert_true(row_fields_equal(&r1, &f[1], &r2, &f[1], 1, s));
  assert_true(row_fields_hash64(&r1, f, 2, s) != row_fields_hash64(&r2, f, 2, s));

  /* The empty string is not NULL. */
  spate_rb_begin(b2);
  spate_rb_set_string(b2, 0, "", 0);
  assert_int_equal(spate_rb_finish(b2, &r2), 0);
  spate_rb_begin(b1);
  assert_int_equal(spate_rb_finish(b1, &r1), 0);
  assert_false(row_fields_equal(&r1, f, &r2, f, 1, s));
  assert_true(row_fields_hash64(&r1, f, 1, s) != row_fields_hash64(&r2, f, 1, s));
  spate_rb_free(b1);
  spate_rb_free(b2);
  spate_schema_free(s);
}

/* Formats one DOUBLE value as print() would. */
static void expect_double(double d, const char *want) {
  spate_schema *s = parse("d DOUBLE");
  spate_row_builder *b = spate_rb_new(s);
  spate_rb_begin(b);
  spate_rb_set_double(b, 0, d);
  spate_row r;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  char out[64];
  size_t n = spate_row_format(&r, s, out, sizeof out);
  if (strcmp(out, want) != 0) fail_msg("%.17g formatted as '%s', want '%s'", d, out, want);
  assert_int_equal(n, strlen(want));
  spate_rb_free(b);
  spate_schema_free(s);
}

static void format_doubles(void **state) {
  (void)state;
  expect_double(1.0, "1.0");
  expect_double(0.1, "0.1");
  expect_double(1.0e7, "1.0E7");
  expect_double(1.234e-5, "1.234E-5");
  expect_double(100.5, "100.5");
  expect_double(-0.0, "-0.0");
  expect_double(0.0, "0.0");
  expect_double(NAN, "NaN");
  expect_double(INFINITY, "Infinity");
  expect_double(-INFINITY, "-Infinity");
  expect_double(0.001, "0.001");
  expect_double(0.0001, "1.0E-4");
  expect_double(9999999.0, "9999999.0");
  expect_double(123456.789, "123456.789");
  expect_double(-1.5, "-1.5");
  expect_double(1.0 / 3, "0.3333333333333333");
  expect_double(0.1 + 0.2, "0.30000000000000004");
  expect_double(1e21, "1.0E21");
  expect_double(1.2345678e10, "1.2345678E10");
  expect_double(1.7976931348623157e308, "1.7976931348623157E308");
  expect_double(4.9e-324, "4.9E-324"); /* two digits, as Java does when one would do */
  expect_double(2e-3, "0.002");
  expect_double(1234.0, "1234.0");
}

static void expect_timestamp(int64_t ms, const char *want) {
  spate_schema *s = parse("t TIMESTAMP");
  spate_row_builder *b = spate_rb_new(s);
  spate_rb_begin(b);
  spate_rb_set_timestamp(b, 0, ms);
  spate_row r;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  sp_strbuf sb = {0};
  assert_int_equal(row_format_field(&sb, &r, 0, s), 0);
  if (strcmp(sb.data, want) != 0)
    fail_msg("%lld formatted as '%s', want '%s'", (long long)ms, sb.data, want);
  sp_strbuf_free(&sb);
  spate_rb_free(b);
  spate_schema_free(s);
}

static void format_timestamps(void **state) {
  (void)state;
  expect_timestamp(1795064632123, "2026-11-19T05:03:52.123");
  expect_timestamp(1795064632000, "2026-11-19T05:03:52");
  expect_timestamp(1795064580000, "2026-11-19T05:03");
  expect_timestamp(1795064580005, "2026-11-19T05:03:00.005");
  expect_timestamp(0, "1970-01-01T00:00");
  expect_timestamp(-1, "1969-12-31T23:59:59.999");
  expect_timestamp(951782400000, "2000-02-29T00:00"); /* leap day */
  expect_timestamp(253402300800000, "+10000-01-01T00:00");
  expect_timestamp(-62198755200000, "-0001-01-01T00:00");
}

static void format_rows(void **state) {
  (void)state;
  spate_schema *s = parse("w STRING, n INT, y BYTES, b BOOLEAN, e BYTES, l BIGINT");
  spate_row_builder *b = spate_rb_new(s);
  spate_rb_begin(b);
  spate_rb_set_string(b, 0, "hello", 5);
  spate_rb_set_bytes(b, 2, "\x01\xfe\x03", 3);
  spate_rb_set_bool(b, 3, false);
  spate_rb_set_bytes(b, 4, "", 0);
  spate_rb_set_bigint(b, 5, INT64_MIN);
  spate_row r;
  assert_int_equal(spate_rb_finish(b, &r), 0);
  const char *want = "(hello,null,[1, -2, 3],false,[],-9223372036854775808)";
  char out[128];
  assert_int_equal(spate_row_format(&r, s, out, sizeof out), strlen(want));
  assert_string_equal(out, want);

  /* A short buffer truncates but reports the full length; cap 0 writes nothing. */
  char small[5];
  assert_int_equal(spate_row_format(&r, s, small, sizeof small), strlen(want));
  assert_string_equal(small, "(hel");
  assert_int_equal(spate_row_format(&r, s, NULL, 0), strlen(want));

  /* The growable form appends. */
  sp_strbuf sb = {0};
  assert_int_equal(sp_strbuf_append(&sb, "1> ", 3), 0);
  assert_int_equal(row_format(&sb, &r, s), 0);
  assert_int_equal(sb.len, 3 + strlen(want));
  assert_string_equal(sb.data + 3, want);
  assert_int_equal(row_format_field(&sb, &r, 1, s), 0);
  assert_string_equal(sb.data + sb.len - 4, "null");
  sp_strbuf_free(&sb);
  spate_rb_free(b);
  spate_schema_free(s);

  /* One field prints alone, without parentheses. */
  s = parse("n INT NOT NULL");
  b = spate_rb_new(s);
  spate_rb_begin(b);
  spate_rb_set_int(b, 0, -42);
  assert_int_equal(spate_rb_finish(b, &r), 0);
  spate_row_format(&r, s, out, sizeof out);
  assert_string_equal(out, "-42");
  spate_rb_free(b);
  spate_schema_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip_all_types),
      cmocka_unit_test(many_fields_bitmap),
      cmocka_unit_test(long_string),
      cmocka_unit_test(reuse_without_growth),
      cmocka_unit_test(setter_errors),
      cmocka_unit_test(set_field_copies),
      cmocka_unit_test(project_matches_builder),
      cmocka_unit_test(validate_rejects),
      cmocka_unit_test(java_hashes),
      cmocka_unit_test(equality_and_hash64),
      cmocka_unit_test(format_doubles),
      cmocka_unit_test(format_timestamps),
      cmocka_unit_test(format_rows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

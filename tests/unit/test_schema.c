/*
 * test_schema.c: schema parsing (accepted forms and every error with its message), printing,
 * reference counting, and the byte encoding against truncated and corrupt input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/bytes.h"
#include "types/schema.h"

static void parse_ok(void **state) {
  (void)state;
  spate_schema *s = NULL;
  char err[256] = "";
  assert_int_equal(spate_schema_parse("word STRING, count BIGINT NOT NULL", &s, err, sizeof err),
                   0);
  assert_non_null(s);
  assert_int_equal(spate_schema_num_fields(s), 2);
  assert_string_equal(spate_schema_field_name(s, 0), "word");
  assert_string_equal(spate_schema_field_name(s, 1), "count");
  assert_int_equal(spate_schema_field_type(s, 0), SPATE_STRING);
  assert_int_equal(spate_schema_field_type(s, 1), SPATE_BIGINT);
  assert_true(s->fields[0].nullable);
  assert_false(s->fields[1].nullable);
  assert_int_equal(spate_schema_field_index(s, "count"), 1);
  assert_int_equal(spate_schema_field_index(s, "nope"), -1);
  assert_null(spate_schema_field_name(s, 2));
  assert_null(spate_schema_field_name(s, -1));
  spate_schema_free(s);
}

static void parse_aliases(void **state) {
  (void)state;
  spate_schema *s = NULL;
  char err[256] = "";
  int rc = spate_schema_parse(
      "  a bool, b Integer,c long , d Double, e varchar(10), f VARBINARY,"
      " g timestamp ( 3 ) not null, `my ``field``` INT, h BOOLEAN NULL,"
      " i INT, j BIGINT, k STRING, l BYTES, m TIMESTAMP  ",
      &s, err, sizeof err);
  assert_int_equal(rc, 0);
  static const spate_type want[] = {SPATE_BOOLEAN, SPATE_INT,      SPATE_BIGINT,    SPATE_DOUBLE,
                                    SPATE_STRING,  SPATE_BYTES,    SPATE_TIMESTAMP, SPATE_INT,
                                    SPATE_BOOLEAN, SPATE_INT,      SPATE_BIGINT,    SPATE_STRING,
                                    SPATE_BYTES,   SPATE_TIMESTAMP};
  assert_int_equal(spate_schema_num_fields(s), 14);
  for (int i = 0; i < 14; i++) assert_int_equal(spate_schema_field_type(s, i), want[i]);
  assert_string_equal(spate_schema_field_name(s, 7), "my `field`");
  assert_false(s->fields[6].nullable);
  assert_true(s->fields[8].nullable);

  /* The printed form parses back to an equal schema, quoting what needs quoting. */
  char *text = schema_to_string(s);
  assert_non_null(text);
  assert_non_null(strstr(text, "`my ``field``` INT"));
  assert_non_null(strstr(text, "g TIMESTAMP(3) NOT NULL"));
  spate_schema *again = NULL;
  assert_int_equal(spate_schema_parse(text, &again, err, sizeof err), 0);
  assert_true(schema_equal(s, again));
  sp_free(text);
  spate_schema_free(again);
  spate_schema_free(s);
}

static void to_string_exact(void **state) {
  (void)state;
  spate_schema *s = NULL;
  char err[256];
  assert_int_equal(spate_schema_parse("word varchar, COUNT long not null", &s, err, sizeof err), 0);
  char *text = schema_to_string(s);
  assert_string_equal(text, "word STRING, COUNT BIGINT NOT NULL");
  sp_free(text);
  spate_schema_free(s);
}

/* Parses spec, expects SPATE_EINVAL, no schema, and exactly this message. */
static void expect_error(const char *spec, const char *msg) {
  spate_schema *s = (spate_schema *)(uintptr_t)1;
  char err[256] = "";
  assert_int_equal(spate_schema_parse(spec, &s, err, sizeof err), SPATE_EINVAL);
  assert_null(s);
  assert_string_equal(err, msg);
}

static void parse_errors(void **state) {
  (void)state;
  expect_error("a INT, b FOO", "schema 'a INT, b FOO': unknown type 'FOO' at column 10");
  expect_error("", "schema '': empty schema at column 1");
  expect_error("   ", "schema '   ': empty schema at column 4");
  expect_error("a INT, a BIGINT", "schema 'a INT, a BIGINT': duplicate field name 'a' at column 8");
  expect_error("a INT x", "schema 'a INT x': unexpected 'x', expected ',' or the end at column 7");
  expect_error("a INT NOT NULL)",
               "schema 'a INT NOT NULL)': unexpected ')', expected ',' or the end at column 15");
  expect_error("a", "schema 'a': expected a type but the spec ended at column 2");
  expect_error("a INT NOT", "schema 'a INT NOT': expected NULL after NOT at column 10");
  expect_error("a INT,", "schema 'a INT,': expected a field name after ',' at column 7");
  expect_error("a INT,, b INT",
               "schema 'a INT,, b INT': expected a field name, found ',' at "
               "column 7");
  expect_error("1a INT", "schema '1a INT': expected a field name, found '1' at column 1");
  expect_error("`a INT", "schema '`a INT': unterminated quoted name at column 1");
  expect_error("`` INT", "schema '`` INT': empty quoted name at column 1");
  expect_error("a, b INT", "schema 'a, b INT': unexpected ',' after field name at column 2");
  expect_error("a VARCHAR(x)",
               "schema 'a VARCHAR(x)': expected a number in the type's parameters at column 11");
  expect_error("a INT(3)",
               "schema 'a INT(3)': unexpected '(', expected ',' or the end at "
               "column 6");
  /* A long spec is quoted in part, so the column still fits (found by fuzz_schema). */
  char spec[200], msg[256];
  memset(spec, 'a', 150);
  strcpy(spec + 150, " FOO");
  snprintf(msg, sizeof msg, "schema '%.100s...': unknown type 'FOO' at column 152", spec);
  expect_error(spec, msg);

  /* Without an error buffer the code still comes back. */
  spate_schema *s = NULL;
  assert_int_equal(spate_schema_parse("a FOO", &s, NULL, 0), SPATE_EINVAL);
  assert_null(s);
  assert_int_equal(spate_schema_parse(NULL, &s, NULL, 0), SPATE_EINVAL);
}

static void parse_alloc_failures(void **state) {
  (void)state;
  /* Fail each allocation in turn: every failure is reported as ENOMEM and leaks nothing
   * (ASan's leak check runs at exit). */
  int64_t before = sp_alloc_current();
  int n;
  for (n = 1; n < 100; n++) {
    spate_schema *s = NULL;
    char err[256] = "";
    sp_alloc_fail_after(n, 0);
    int rc = spate_schema_parse(
        "a INT, b STRING, c BIGINT, d DOUBLE, e BYTES, f BOOLEAN, g INT, "
        "h INT, i INT, j INT",
        &s, err, sizeof err);
    sp_alloc_fail_after(0, 0);
    if (rc == 0) {
      spate_schema_free(s);
      break;
    }
    assert_int_equal(rc, SPATE_ENOMEM);
    assert_null(s);
    assert_non_null(strstr(err, "out of memory"));
    assert_int_equal(sp_alloc_current(), before);
  }
  assert_true(n > 5 && n < 100);
  assert_int_equal(sp_alloc_current(), before);
}

static void refcount(void **state) {
  (void)state;
  const char *names[] = {"x", "y"};
  spate_type types[] = {SPATE_INT, SPATE_DOUBLE};
  bool nullable[] = {false, true};
  spate_schema *s = schema_new(2, names, types, nullable);
  assert_non_null(s);
  assert_ptr_equal(schema_ref(s), s);
  assert_int_equal(atomic_load(&s->refs), 2);
  schema_unref(s);
  assert_string_equal(spate_schema_field_name(s, 1), "y"); /* still alive */
  spate_schema *t = schema_new(2, names, types, NULL);
  assert_false(schema_equal(s, t)); /* nullability differs */
  assert_true(t->fields[0].nullable);
  schema_unref(t);
  schema_unref(s);
  assert_string_equal(schema_type_name(SPATE_TIMESTAMP), "TIMESTAMP");
}

static spate_schema *parse(const char *spec) {
  spate_schema *s = NULL;
  char err[256];
  assert_int_equal(spate_schema_parse(spec, &s, err, sizeof err), 0);
  return s;
}

static void encode_round_trip(void **state) {
  (void)state;
  spate_schema *s = parse("word STRING, count BIGINT NOT NULL, `odd name` DOUBLE, t TIMESTAMP");
  sp_writer w;
  sp_writer_init(&w);
  schema_encode(&w, s);
  sp_put_u32(&w, 0xabcdef01); /* what follows the schema must be left unread */
  assert_false(w.failed);
  sp_reader r;
  sp_reader_init(&r, w.data, w.len);
  spate_schema *d = schema_decode(&r);
  assert_non_null(d);
  assert_true(sp_reader_ok(&r));
  assert_true(schema_equal(s, d));
  assert_int_equal(sp_get_u32(&r), 0xabcdef01);
  spate_schema_free(d);

  /* Every truncation is rejected with a reader error, never a crash or a partial schema. */
  size_t full = w.len - 4;
  for (size_t cut = 0; cut < full; cut++) {
    sp_reader_init(&r, w.data, cut);
    assert_null(schema_decode(&r));
    assert_false(sp_reader_ok(&r));
  }
  sp_writer_free(&w);
  spate_schema_free(s);
}

/* Decodes a hand-made encoding and expects failure with `what` in the message. */
static void expect_decode_error(sp_writer *w, const char *what) {
  sp_reader r;
  sp_reader_init(&r, w->data, w->len);
  assert_null(schema_decode(&r));
  assert_false(sp_reader_ok(&r));
  if (!strstr(r.error, what)) fail_msg("decode error '%s' does not mention '%s'", r.error, what);
  sp_writer_free(w);
}

static void decode_corrupt(void **state) {
  (void)state;
  sp_writer w;

  /* A huge count with few bytes behind it is refused before anything is allocated for it. */
  sp_writer_init(&w);
  sp_put_u32(&w, 100000000);
  sp_put_str(&w, "a");
  sp_put_u8(&w, SPATE_INT);
  sp_put_u8(&w, 1);
  expect_decode_error(&w, "field count");

  sp_writer_init(&w);
  sp_put_u32(&w, 1);
  sp_put_str(&w, "a");
  sp_put_u8(&w, 99);
  sp_put_u8(&w, 1);
  expect_decode_error(&w, "bad type code 99");

  sp_writer_init(&w);
  sp_put_u32(&w, 1);
  sp_put_str(&w, "a");
  sp_put_u8(&w, 0);
  sp_put_u8(&w, 1);
  expect_decode_error(&w, "bad type code 0");

  sp_writer_init(&w);
  sp_put_u32(&w, 1);
  sp_put_str(&w, "a");
  sp_put_u8(&w, SPATE_INT);
  sp_put_u8(&w, 4); /* bit 0 nullable, bit 1 parameters follow; no others */
  expect_decode_error(&w, "bad flags");

  sp_writer_init(&w);
  sp_put_u32(&w, 1);
  sp_put_str(&w, NULL);
  sp_put_u8(&w, SPATE_INT);
  sp_put_u8(&w, 1);
  expect_decode_error(&w, "no name");

  sp_writer_init(&w);
  sp_put_u32(&w, 2);
  for (int i = 0; i < 2; i++) {
    sp_put_str(&w, "dup");
    sp_put_u8(&w, SPATE_INT);
    sp_put_u8(&w, 0);
  }
  expect_decode_error(&w, "duplicate");

  /* A name length pointing past the end. */
  sp_writer_init(&w);
  sp_put_u32(&w, 1);
  sp_put_u32(&w, 1000);
  sp_put_bytes(&w, "abcdef", 6);
  expect_decode_error(&w, "exceeds");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parse_ok),
      cmocka_unit_test(parse_aliases),
      cmocka_unit_test(to_string_exact),
      cmocka_unit_test(parse_errors),
      cmocka_unit_test(parse_alloc_failures),
      cmocka_unit_test(refcount),
      cmocka_unit_test(encode_round_trip),
      cmocka_unit_test(decode_corrupt),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

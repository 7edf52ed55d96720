/*
 * test_composite_types.c: ARRAY, MAP, MULTISET and ROW: their type syntax, byte form, building
 * with array builders and nested row builders, reading in place, validation, Java's text and
 * hashCode, and the json format (csv refuses them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "connectors/format.h"
#include "types/row.h"
#include "types/schema.h"

static spate_schema *parse(const char *spec) {
  spate_schema *s = NULL;
  char err[256] = "";
  if (spate_schema_parse(spec, &s, err, sizeof err) != 0) fail_msg("%s: %s", spec, err);
  return s;
}

static void expect_parse_error(const char *spec, const char *msg) {
  spate_schema *s = NULL;
  char err[256] = "";
  assert_int_equal(spate_schema_parse(spec, &s, err, sizeof err), SPATE_EINVAL);
  assert_null(s);
  if (!strstr(err, msg)) fail_msg("'%s' does not mention '%s'", err, msg);
}

#define SPEC                                                                      \
  "a ARRAY<INT NOT NULL>, m MAP<STRING, BIGINT>, r ROW<x INT, y ARRAY<STRING>>, " \
  "s MULTISET<STRING>, n ARRAY<ARRAY<DOUBLE>>, p ROW<`a b` INT NOT NULL>"

static void syntax(void **state) {
  (void)state;
  spate_schema *s = parse(
      "a ARRAY<INT NOT NULL>, m MAP<STRING, BIGINT>, r ROW<x INT, y "
      "ARRAY<STRING>>, s MULTISET<STRING>, n ARRAY<ARRAY<DOUBLE>>, "
      "p ROW(`a b` INT NOT NULL)");
  char *text = schema_to_string(s);
  assert_string_equal(text, SPEC);
  spate_schema *again = parse(text);
  assert_true(schema_equal(s, again));
  sp_free(text);
  const spate_schema *sub = spate_schema_field_schema(s, 2);
  assert_int_equal(spate_schema_num_fields(sub), 2);
  assert_int_equal(spate_schema_field_type(sub, 1), SPATE_ARRAY);
  sub = spate_schema_field_schema(s, 3); /* a multiset is a map to INT NOT NULL counts */
  assert_int_equal(spate_schema_field_type(sub, 1), SPATE_INT);
  assert_false(spate_schema_field_nullable(sub, 1));
  char buf[64];
  spate_schema_field_type_string(s, 1, buf, sizeof buf);
  assert_string_equal(buf, "MAP<STRING, BIGINT>");

  sp_writer w;
  sp_writer_init(&w);
  schema_encode(&w, s);
  sp_reader r;
  sp_reader_init(&r, w.data, w.len);
  spate_schema *d = schema_decode(&r);
  assert_non_null(d);
  assert_true(schema_equal(s, d));
  spate_schema_free(d);
  /* every truncation of the bytes fails cleanly */
  for (size_t cut = 0; cut < w.len; cut++) {
    sp_reader_init(&r, w.data, cut);
    assert_null(schema_decode(&r));
  }
  sp_writer_free(&w);
  spate_schema_free(again);
  spate_schema_free(s);

  expect_parse_error("a ARRAY<INT", "expected '>' but the spec ended at column 12");
  expect_parse_error("a MAP<INT>", "expected ',', found '>' at column 10");
  expect_parse_error("a ROW<>", "a ROW needs at least one field at column 7");
  expect_parse_error("a ROW<x INT, x INT>", "duplicate field name 'x' at column 14");
  expect_parse_error("a ARRAY<FOO>", "unknown type 'FOO' at column 9");
  char deep[256] = "a ";
  for (int k = 0; k < 17; k++) strcat(deep, "ARRAY<");
  strcat(deep, "INT");
  for (int k = 0; k < 17; k++) strcat(deep, ">");
  expect_parse_error(deep, "types nest deeper than 16 levels");
}

/* Builds one row of SPEC: a = [1 .. 100], m = {a=1, b=null}, r = +I[7, [x, yy]], s = {x=2},
 * n = [[1.5], [], null], p = +I[5]. */
static void build(spate_row_builder *b, const spate_schema *s, spate_row *out) {
  spate_array_builder *ab = spate_ab_new(s, 0, 0);
  spate_array_builder *mk = spate_ab_new(s, 1, 0), *mv = spate_ab_new(s, 1, 1);
  spate_schema *rs = (spate_schema *)spate_schema_field_schema(s, 2);
  spate_row_builder *rb = spate_rb_new(rs);
  spate_array_builder *ry = spate_ab_new(rs, 1, 0);
  spate_array_builder *sk = spate_ab_new(s, 3, 0), *sv = spate_ab_new(s, 3, 1);
  spate_array_builder *outer = spate_ab_new(s, 4, 0);
  spate_array_builder *inner = spate_ab_new(spate_schema_field_schema(s, 4), 0, 0);
  spate_row_builder *pb = spate_rb_new(spate_schema_field_schema(s, 5));
  spate_array a, k, v, y, in1, in2, nn;
  spate_row rrow, prow;

  spate_rb_begin(b);
  /* a: [1, 2, ..., 100] grows the builder past its first 4 elements */
  assert_int_equal(spate_ab_begin(ab, 100), 0);
  for (int e = 0; e < 100; e++) spate_rb_set_int(spate_ab_elements(ab), e, e + 1);
  assert_int_equal(spate_ab_finish(ab, &a), 0);
  spate_rb_set_array(b, 0, &a);
  /* m: {a=1, b=null} */
  spate_ab_begin(mk, 2);
  spate_ab_begin(mv, 2);
  spate_rb_set_string(spate_ab_elements(mk), 0, "a", 1);
  spate_rb_set_string(spate_ab_elements(mk), 1, "b", 1);
  spate_rb_set_bigint(spate_ab_elements(mv), 0, 1);
  assert_int_equal(spate_ab_finish(mk, &k), 0);
  assert_int_equal(spate_ab_finish(mv, &v), 0);
  spate_rb_set_map(b, 1, &k, &v);
  /* r: +I[7, [x, yy]] */
  spate_ab_begin(ry, 2);
  spate_rb_set_string(spate_ab_elements(ry), 0, "x", 1);
  spate_rb_set_string(spate_ab_elements(ry), 1, "yy", 2);
  assert_int_equal(spate_ab_finish(ry, &y), 0);
  spate_rb_begin(rb);
  spate_rb_set_int(rb, 0, 7);
  spate_rb_set_array(rb, 1, &y);
  assert_int_equal(spate_rb_finish(rb, &rrow), 0);
  spate_rb_set_row(b, 2, &rrow);
  /* s: {x=2} */
  spate_ab_begin(sk, 1);
  spate_ab_begin(sv, 1);
  spate_rb_set_string(spate_ab_elements(sk), 0, "x", 1);
  spate_rb_set_int(spate_ab_elements(sv), 0, 2);
  assert_int_equal(spate_ab_finish(sk, &k), 0);
  assert_int_equal(spate_ab_finish(sv, &v), 0);
  spate_rb_set_map(b, 3, &k, &v);
  /* n: [[1.5], [], null] */
  spate_ab_begin(outer, 3);
  spate_ab_begin(inner, 1);
  spate_rb_set_double(spate_ab_elements(inner), 0, 1.5);
  assert_int_equal(spate_ab_finish(inner, &in1), 0);
  spate_rb_set_array(spate_ab_elements(outer), 0, &in1);
  spate_ab_begin(inner, 0);
  assert_int_equal(spate_ab_finish(inner, &in2), 0);
  spate_rb_set_array(spate_ab_elements(outer), 1, &in2);
  assert_int_equal(spate_ab_finish(outer, &nn), 0);
  spate_rb_set_array(b, 4, &nn);
  /* p: +I[5] */
  spate_rb_begin(pb);
  spate_rb_set_int(pb, 0, 5);
  assert_int_equal(spate_rb_finish(pb, &prow), 0);
  spate_rb_set_row(b, 5, &prow);
  if (spate_rb_finish(b, out) != 0) fail_msg("%s", spate_rb_error(b));

  spate_ab_free(ab);
  spate_ab_free(mk);
  spate_ab_free(mv);
  spate_rb_free(rb);
  spate_ab_free(ry);
  spate_ab_free(sk);
  spate_ab_free(sv);
  spate_ab_free(outer);
  spate_ab_free(inner);
  spate_rb_free(pb);
}

static void build_read_format(void **state) {
  (void)state;
  spate_schema *s = parse(SPEC);
  spate_row_builder *b = spate_rb_new(s);
  spate_row row;
  build(b, s, &row);
  char err[256];
  assert_int_equal(row_validate(row.data, row.len, s, true, err, sizeof err), 0);

  /* read in place */
  spate_array a = spate_row_array(&row, 0);
  assert_int_equal(spate_array_size(&a), 100);
  assert_int_equal(spate_row_int(&a.elems, 99), 100);
  spate_map_data m = spate_row_map(&row, 1);
  assert_int_equal(spate_map_size(&m), 2);
  assert_true(spate_row_is_null(&m.values.elems, 1));
  spate_bytes key = spate_row_string(&m.keys.elems, 1);
  assert_memory_equal(key.ptr, "b", 1);
  spate_row r = spate_row_row(&row, 2, 2);
  assert_int_equal(spate_row_int(&r, 0), 7);
  spate_array y = spate_row_array(&r, 1);
  spate_bytes yy = spate_row_string(&y.elems, 1);
  assert_int_equal(yy.len, 2);
  assert_memory_equal(yy.ptr, "yy", 2);

  char text[1024];
  spate_row_format(&row, s, text, sizeof text);
  const char *tail = strstr(text, "99, 100]");
  assert_non_null(tail);
  assert_string_equal(tail, "99, 100],{a=1, b=null},+I[7, [x, yy]],{x=2},[[1.5], [], null],+I[5])");

  /* Java hashes: List.hashCode and Map.hashCode over the elements' own hashCodes */
  int f = 4;
  /* [[1.5], [], null]: inner [1.5] = 31 * 1 + Double.hashCode(1.5) where 1.5 is
   * 0x3FF8000000000000, so (int) (bits ^ bits >>> 32) = 0x3FF80000 = 1073217536: 31 +
   * 1073217536 = 1073217567; [] = 1; null = 0. Outer: h = 31 * 1 + 1073217567 = 1073217598;
   * h = 31 * 1073217598 + 1 = 33269745539, which wraps in int arithmetic to 33269745539 -
   * 8 * 2^32 = -1089992829; h = 31 * -1089992829 + 0 = -33789777699, which wraps to
   * -33789777699 + 8 * 2^32 = 569960669 */
  assert_int_equal(row_fields_java_hash(&row, &f, 1, s), 569960669);
  f = 1;
  /* {a=1, b=null}: ("a".hashCode() ^ Long.hashCode(1)) + ("b".hashCode() ^ 0) = (97 ^ 1) + 98
   * = 96 + 98 = 194 */
  assert_int_equal(row_fields_java_hash(&row, &f, 1, s), 194);

  /* a copied field and a projected key keep the bytes */
  spate_row_builder *k = spate_rb_new(s);
  spate_rb_begin(k);
  for (int i = 0; i < 6; i++) spate_rb_set_field(k, i, &row, i);
  spate_row copy;
  assert_int_equal(spate_rb_finish(k, &copy), 0);
  assert_int_equal(copy.len, row.len);
  assert_memory_equal(copy.data, row.data, row.len);
  spate_rb_free(k);
  spate_rb_free(b);
  spate_schema_free(s);
}

static void builder_errors(void **state) {
  (void)state;
  spate_schema *s = parse("a ARRAY<INT NOT NULL>, r ROW<x INT NOT NULL>");
  spate_row_builder *b = spate_rb_new(s);
  spate_array_builder *ab = spate_ab_new(s, 0, 0);
  assert_null(spate_ab_new(s, 1, 0)); /* a ROW has no array builder */
  assert_null(spate_ab_new(s, 0, 1)); /* an ARRAY has one part */
  spate_array a;
  spate_ab_begin(ab, 2);
  spate_rb_set_int(spate_ab_elements(ab), 0, 1);
  assert_int_equal(spate_ab_finish(ab, &a), SPATE_EINVAL);
  assert_non_null(strstr(spate_rb_error(spate_ab_elements(ab)), "element 1 is NOT NULL"));
  spate_ab_begin(ab, 1);
  spate_rb_set_int(spate_ab_elements(ab), 0, 1);
  spate_rb_set_int(spate_ab_elements(ab), 2, 1);
  assert_int_equal(spate_ab_finish(ab, &a), SPATE_EINVAL);
  assert_non_null(strstr(spate_rb_error(spate_ab_elements(ab)), "element 2 set in an array of 1"));
  /* a row of another schema is refused */
  spate_schema *other = parse("x INT, y INT");
  spate_row_builder *ob = spate_rb_new(other);
  spate_rb_begin(ob);
  spate_row orow;
  assert_int_equal(spate_rb_finish(ob, &orow), 0);
  spate_rb_begin(b);
  spate_rb_set_row(b, 1, &orow);
  spate_row row;
  assert_int_equal(spate_rb_finish(b, &row), SPATE_EINVAL);
  assert_non_null(strstr(spate_rb_error(b), "not a row of its ROW type"));
  spate_rb_free(ob);
  spate_schema_free(other);
  spate_ab_free(ab);
  spate_rb_free(b);
  spate_schema_free(s);
}

static void validate_corrupt(void **state) {
  (void)state;
  spate_schema *s = parse("a ARRAY<INT>, m MAP<STRING, INT>");
  spate_row_builder *b = spate_rb_new(s);
  spate_array_builder *ab = spate_ab_new(s, 0, 0);
  spate_array_builder *kb = spate_ab_new(s, 1, 0), *vb = spate_ab_new(s, 1, 1);
  spate_array a, k, v;
  spate_ab_begin(ab, 1);
  spate_rb_set_int(spate_ab_elements(ab), 0, 5);
  spate_ab_finish(ab, &a);
  spate_ab_begin(kb, 1);
  spate_rb_set_string(spate_ab_elements(kb), 0, "k", 1);
  spate_ab_finish(kb, &k);
  spate_ab_begin(vb, 1);
  spate_rb_set_int(spate_ab_elements(vb), 0, 1);
  spate_ab_finish(vb, &v);
  spate_rb_begin(b);
  spate_rb_set_array(b, 0, &a);
  spate_rb_set_map(b, 1, &k, &v);
  spate_row row;
  assert_int_equal(spate_rb_finish(b, &row), 0);
  char err[256];
  assert_int_equal(row_validate(row.data, row.len, s, true, err, sizeof err), 0);
  uint8_t *copy = sp_malloc(row.len);
  uint64_t slot;
  /* the array's count far beyond its bytes */
  memcpy(copy, row.data, row.len);
  memcpy(&slot, copy + 8, 8);
  uint32_t big = 0x40000000;
  memcpy(copy + (slot >> 32), &big, 4);
  assert_int_equal(row_validate(copy, row.len, s, true, err, sizeof err), SPATE_ECORRUPT);
  assert_non_null(strstr(err, "shorter than its header"));
  /* an INT element out of range */
  memcpy(copy, row.data, row.len);
  uint64_t huge = (uint64_t)1 << 40;
  memcpy(copy + (slot >> 32) + 8 + 8, &huge, 8);
  assert_int_equal(row_validate(copy, row.len, s, true, err, sizeof err), SPATE_ECORRUPT);
  assert_non_null(strstr(err, "INT slot holds"));
  /* a map whose key array claims more bytes than the map has */
  memcpy(copy, row.data, row.len);
  memcpy(&slot, copy + 16, 8);
  uint32_t kbytes = 4096;
  memcpy(copy + (slot >> 32), &kbytes, 4);
  assert_int_equal(row_validate(copy, row.len, s, true, err, sizeof err), SPATE_ECORRUPT);
  assert_non_null(strstr(err, "key array"));
  sp_free(copy);
  spate_ab_free(ab);
  spate_ab_free(kb);
  spate_ab_free(vb);
  spate_rb_free(b);
  spate_schema_free(s);
}

static void formats(void **state) {
  (void)state;
  spate_schema *s = parse(SPEC);
  spate_row_builder *b = spate_rb_new(s);
  fmt_options o;
  fmt_options_init(&o, FMT_JSON);
  const char *line =
      "{\"a\":[1,2],\"m\":{\"a\":1,\"b\":null},\"r\":{\"x\":7,\"y\":[\"x\",null]},"
      "\"s\":{\"x\":2},\"n\":[[1.5],[],null],\"p\":{\"a b\":5}}";
  spate_row row;
  fmt_error e;
  int rc = fmt_decode(&o, s, line, strlen(line), b, &row, &e);
  if (rc != 1) fail_msg("rc %d column %d: %s", rc, e.column, e.message);
  sp_strbuf sb = {0};
  assert_int_equal(fmt_encode(&o, s, &row, &sb, &e), 0);
  assert_int_equal(sp_strbuf_append(&sb, "", 1), 0);
  assert_string_equal(sb.data, line);
  sp_strbuf_free(&sb);
  char text[512];
  spate_row_format(&row, s, text, sizeof text);
  assert_string_equal(text,
                      "([1, 2],{a=1, b=null},+I[7, [x, null]],{x=2},[[1.5], [], null],+I[5])");

  const char *bad = "{\"a\":[1,\"x\"]}";
  assert_int_equal(fmt_decode(&o, s, bad, strlen(bad), b, &row, &e), SPATE_EINVAL);
  assert_int_equal(e.column, 6);
  assert_non_null(strstr(e.message, "in field 'a': field '1': \"x\" is not an INT"));
  bad = "{\"a\":[null]}";
  assert_int_equal(fmt_decode(&o, s, bad, strlen(bad), b, &row, &e), SPATE_EINVAL);
  assert_non_null(strstr(e.message, "in field 'a': element 0 is NOT NULL"));
  bad = "{\"p\":{}}";
  assert_int_equal(fmt_decode(&o, s, bad, strlen(bad), b, &row, &e), SPATE_EINVAL);
  if (!strstr(e.message, "in field 'p': field 0 'a b' is NOT NULL")) fail_msg("%s", e.message);
  bad = "{\"m\":[1]}";
  assert_int_equal(fmt_decode(&o, s, bad, strlen(bad), b, &row, &e), SPATE_EINVAL);
  assert_non_null(strstr(e.message, "[1] is not a MAP"));

  /* csv refuses composite values both ways, naming the field */
  fmt_options_init(&o, FMT_CSV);
  spate_schema *cs = parse("a ARRAY<INT>");
  spate_row_builder *cb = spate_rb_new(cs);
  assert_int_equal(fmt_decode(&o, cs, "1", 1, cb, &row, &e), SPATE_EINVAL);
  assert_non_null(strstr(e.message, "field 'a': ARRAY values are not read from text"));
  spate_rb_free(cb);
  spate_schema_free(cs);
  spate_rb_free(b);
  spate_schema_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(syntax),         cmocka_unit_test(build_read_format),
      cmocka_unit_test(builder_errors), cmocka_unit_test(validate_corrupt),
      cmocka_unit_test(formats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

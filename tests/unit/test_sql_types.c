/*
 * test_sql_types.c: Flink's SQL types in schemas, rows and formats: the type syntax and its
 * errors, the descriptor's byte form, builder and accessors, validation of corrupt rows, Java's
 * text and hashCode of each external type, and csv/json round trips.
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
#include "types/decimal.h"
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

#define ALL_TYPES                                                                           \
  "a TINYINT, b SMALLINT, c FLOAT, d DECIMAL(10, 2), e DECIMAL(38, 4), f DATE, g TIME(3), " \
  "h TIMESTAMP(9), i TIMESTAMP_LTZ(3), j INTERVAL YEAR(2) TO MONTH, "                       \
  "k INTERVAL DAY(2) TO SECOND(3), l CHAR(5), m VARCHAR(20), n BINARY(2), o VARBINARY(8), " \
  "p STRING NOT NULL, q TIMESTAMP(3), r TIMESTAMP_LTZ(6)"

static void schema_types(void **state) {
  (void)state;
  spate_schema *s = parse(ALL_TYPES);
  char *text = schema_to_string(s);
  assert_string_equal(text, ALL_TYPES);
  spate_schema *again = parse(text);
  assert_true(schema_equal(s, again));
  sp_free(text);
  assert_int_equal(spate_schema_field_precision(s, 4), 38);
  assert_int_equal(spate_schema_field_scale(s, 4), 4);
  assert_int_equal(spate_schema_field_length(s, 12), 20);
  assert_int_equal(spate_schema_field_length(s, 15), SCHEMA_MAX_LENGTH);
  assert_int_equal(spate_schema_field_interval_unit(s, 10), SPATE_INTERVAL_DAY_TO_SECOND);
  assert_false(spate_schema_field_nullable(s, 15));
  char buf[64];
  assert_int_equal(spate_schema_field_type_string(s, 15, buf, sizeof buf),
                   strlen("STRING NOT NULL"));
  assert_string_equal(buf, "STRING NOT NULL");
  spate_schema_free(again);
  spate_schema_free(s);

  /* Flink's other spellings and defaults */
  s = parse(
      "a INTEGER, b DOUBLE PRECISION, c DECIMAL, d NUMERIC(5), e TIMESTAMP(6) WITH LOCAL TIME "
      "ZONE, f TIMESTAMP WITHOUT TIME ZONE, g TIME WITHOUT TIME ZONE, h REAL, i CHAR, "
      "j INTERVAL MONTH, k INTERVAL HOUR TO MINUTE, l INTERVAL SECOND(3), m INTERVAL YEAR, "
      "n TIMESTAMP WITH LOCAL TIME ZONE, o DEC(3, 3), p INTERVAL DAY TO HOUR");
  text = schema_to_string(s);
  assert_string_equal(text,
                      "a INT, b DOUBLE, c DECIMAL(10, 0), d DECIMAL(5, 0), e TIMESTAMP_LTZ(6), "
                      "f TIMESTAMP(3), g TIME(0), h FLOAT, i CHAR(1), j INTERVAL MONTH, "
                      "k INTERVAL HOUR TO MINUTE, l INTERVAL SECOND(3), m INTERVAL YEAR(2), "
                      "n TIMESTAMP_LTZ(6), o DECIMAL(3, 3), p INTERVAL DAY(2) TO HOUR");
  again = parse(text);
  assert_true(schema_equal(s, again));
  sp_free(text);
  spate_schema_free(again);
  spate_schema_free(s);
}

static void schema_errors(void **state) {
  (void)state;
  expect_parse_error("a DECIMAL(39, 2)", "DECIMAL precision must be between 1 and 38 at column 10");
  expect_parse_error("a DECIMAL(5, 6)", "DECIMAL scale must be between 0 and 5 at column 10");
  expect_parse_error("a TIMESTAMP(10)", "TIMESTAMP precision must be between 0 and 9 at column 12");
  expect_parse_error("a VARCHAR(0)", "the length must be between 1 and 2147483647 at column 10");
  expect_parse_error("a TIMESTAMP WITH TIME ZONE", "expected LOCAL at column 18");
  expect_parse_error("a INTERVAL DAY TO YEAR",
                     "expected HOUR, MINUTE or SECOND after TO at column 19");
  expect_parse_error("a INTERVAL WEEK",
                     "expected YEAR, MONTH, DAY, HOUR, MINUTE or SECOND at column 12");
  expect_parse_error("a DECIMAL(5, 2, 1)", "too many type parameters at column 15");
  expect_parse_error("a TIME(3", "the type's parameters are not closed at column 9");
}

static void schema_encoding(void **state) {
  (void)state;
  spate_schema *s = parse(ALL_TYPES);
  sp_writer w;
  sp_writer_init(&w);
  schema_encode(&w, s);
  sp_reader r;
  sp_reader_init(&r, w.data, w.len);
  spate_schema *d = schema_decode(&r);
  assert_non_null(d);
  assert_true(schema_equal(s, d));
  spate_schema_free(d);
  sp_writer_free(&w);
  spate_schema_free(s);

  /* The old types with their defaults keep their old bytes: 1 + 1 flag byte, no parameters. */
  s = parse("t TIMESTAMP, v VARCHAR");
  sp_writer_init(&w);
  schema_encode(&w, s);
  assert_int_equal(w.len, 4 + 2 * (4 + 1 + 2));
  sp_writer_free(&w);
  spate_schema_free(s);

  /* Parameters a type cannot have are refused. */
  sp_writer_init(&w);
  sp_put_u32(&w, 1);
  sp_put_str(&w, "a");
  sp_put_u8(&w, SPATE_DECIMAL);
  sp_put_u8(&w, 3);
  sp_put_u8(&w, 39); /* precision */
  sp_put_u8(&w, 0);
  sp_put_u8(&w, 0);
  sp_put_i32(&w, 0);
  sp_reader_init(&r, w.data, w.len);
  assert_null(schema_decode(&r));
  assert_non_null(strstr(r.error, "bad DECIMAL precision"));
  sp_writer_free(&w);
}

static char *fmt_row(const spate_row *r, const spate_schema *s) {
  static char buf[1024];
  spate_row_format(r, s, buf, sizeof buf);
  return buf;
}

static void build_and_format(void **state) {
  (void)state;
  spate_schema *s = parse(ALL_TYPES);
  spate_row_builder *b = spate_rb_new(s);
  spate_row row;
  spate_rb_begin(b);
  spate_rb_set_tinyint(b, 0, -128);
  spate_rb_set_smallint(b, 1, 32767);
  spate_rb_set_float(b, 2, 0.1f);
  spate_rb_set_decimal(b, 3, 1234);
  /* DECIMAL(38, 4) at its largest: 10^38 - 1 */
  spate_rb_set_decimal(b, 4, dec_pow10(38) - 1);
  spate_rb_set_date(b, 5, ROW_DATE_MIN); /* 0000-01-01 */
  spate_rb_set_time(b, 6, 45296789);     /* 12:34:56.789 */
  spate_rb_set_timestamp_nanos(b, 7, 1577968496789, 123456);
  spate_rb_set_timestamp(b, 8, 1500);
  spate_rb_set_interval_months(b, 9, 14);
  spate_rb_set_interval_ms(b, 10, -500);
  spate_rb_set_string(b, 11, "ab", 2);
  spate_rb_set_string(b, 12, "x", 1);
  spate_rb_set_bytes(b, 13, "\x01\xff", 2);
  spate_rb_set_null(b, 14);
  spate_rb_set_string(b, 15, "p", 1);
  spate_rb_set_timestamp(b, 16, 0);
  spate_rb_set_timestamp_nanos(b, 17, -1, 999999); /* 1969-12-31T23:59:59.999999999 cut to 6 */
  if (spate_rb_finish(b, &row) != 0) fail_msg("%s", spate_rb_error(b));
  char err[256];
  assert_int_equal(row_validate(row.data, row.len, s, true, err, sizeof err), 0);
  assert_int_equal(spate_row_tinyint(&row, 0), -128);
  assert_int_equal(spate_row_smallint(&row, 1), 32767);
  assert_true(spate_row_float(&row, 2) == 0.1f);
  assert_true(spate_row_decimal(&row, 4, 38) == dec_pow10(38) - 1);
  spate_timestamp t = spate_row_timestamp_p(&row, 7, 9);
  assert_int_equal(t.ms, 1577968496789);
  assert_int_equal(t.nanos, 123456);
  t = spate_row_timestamp_p(&row, 17, 6);
  assert_int_equal(t.ms, -1);
  assert_int_equal(t.nanos, 999000);
  /* Java's toString of Byte, Short, Float, BigDecimal, LocalDate, LocalTime, LocalDateTime,
   * Instant, Period (Period.of(1, 2, 0)), Duration (ofMillis(-500)), String, byte[]. */
  assert_string_equal(fmt_row(&row, s),
                      "(-128,32767,0.1,12.34,9999999999999999999999999999999999.9999,0000-01-01,"
                      "12:34:56.789,2020-01-02T12:34:56.789123456,1970-01-01T00:00:01.500Z,P1Y2M,"
                      "PT-0.5S,ab,x,[1, -1],null,p,1970-01-01T00:00,"
                      "1969-12-31T23:59:59.999999Z)");
  spate_rb_free(b);
  spate_schema_free(s);
}

static void format_details(void **state) {
  (void)state;
  char buf[64];
  /* BigDecimal.toString: plain while the adjusted exponent is >= -6, else scientific */
  spate_decimal_format(1, 8, buf, sizeof buf);
  assert_string_equal(buf, "1E-8");
  spate_decimal_format(0, 8, buf, sizeof buf);
  assert_string_equal(buf, "0E-8");
  spate_decimal_format(0, 2, buf, sizeof buf);
  assert_string_equal(buf, "0.00");
  spate_decimal_format(-5, 3, buf, sizeof buf);
  assert_string_equal(buf, "-0.005");
  spate_decimal_format(123, 7, buf, sizeof buf);
  assert_string_equal(buf, "0.0000123");
  spate_decimal_format(-(dec_pow10(38) - 1), 0, buf, sizeof buf);
  assert_string_equal(buf, "-99999999999999999999999999999999999999");

  spate_int128 v;
  assert_int_equal(spate_decimal_parse("12.345", 6, 10, 2, &v), 0); /* half up: 12.35 */
  assert_true(v == 1235);
  assert_int_equal(spate_decimal_parse("-12.345", 7, 10, 2, &v), 0);
  assert_true(v == -1235);
  assert_int_equal(spate_decimal_parse("1e3", 3, 10, 2, &v), 0);
  assert_true(v == 100000);
  assert_int_equal(spate_decimal_parse("0.004", 5, 10, 2, &v), 0);
  assert_true(v == 0);
  assert_int_equal(spate_decimal_parse("99.995", 6, 4, 2, &v), SPATE_EINVAL); /* rounds to 100.00 */
  assert_int_equal(spate_decimal_parse("1.2.3", 5, 10, 2, &v), SPATE_EINVAL);
  assert_int_equal(spate_decimal_parse("abc", 3, 10, 2, &v), SPATE_EINVAL);

  /* Times and intervals through rows */
  spate_schema *s = parse(
      "t TIME(0), d DATE, y INTERVAL YEAR, m INTERVAL MONTH, s INTERVAL "
      "SECOND(3), f FLOAT, z TIMESTAMP(0)");
  spate_row_builder *b = spate_rb_new(s);
  spate_row row;
  spate_rb_begin(b);
  spate_rb_set_time(b, 0, 45240999); /* 12:34:00.999 cut to 12:34:00, printed "12:34" */
  spate_rb_set_date(b, 1, ROW_DATE_MAX);
  spate_rb_set_interval_months(b, 2, 14);   /* Period.ofYears(1) */
  spate_rb_set_interval_months(b, 3, 14);   /* Period.ofMonths(14) */
  spate_rb_set_interval_ms(b, 4, 29766123); /* PT8H16M6.123S */
  spate_rb_set_float(b, 5, 1e10f);
  spate_rb_set_timestamp(b, 6, -1); /* cut toward the past: 1969-12-31T23:59:59 */
  assert_int_equal(spate_rb_finish(b, &row), 0);
  assert_string_equal(fmt_row(&row, s),
                      "(12:34,9999-12-31,P1Y,P14M,PT8H16M6.123S,1.0E10,1969-12-31T23:59:59)");
  spate_rb_begin(b);
  spate_rb_set_date(b, 1, ROW_DATE_MAX + 1);
  assert_int_equal(spate_rb_finish(b, &row), SPATE_EINVAL);
  assert_non_null(strstr(spate_rb_error(b), "outside the years 0000..9999"));
  spate_rb_begin(b);
  spate_rb_set_time(b, 0, 86400000);
  assert_int_equal(spate_rb_finish(b, &row), SPATE_EINVAL);
  spate_rb_free(b);
  spate_schema_free(s);

  s = parse("d DECIMAL(3, 1)");
  b = spate_rb_new(s);
  spate_rb_begin(b);
  spate_rb_set_decimal(b, 0, 1000);
  assert_int_equal(spate_rb_finish(b, &row), SPATE_EINVAL);
  assert_non_null(strstr(spate_rb_error(b), "more than the 3 digits of DECIMAL(3, 1)"));
  spate_rb_free(b);
  spate_schema_free(s);
}

static void java_hashes(void **state) {
  (void)state;
  spate_schema *s = parse(
      "a TINYINT, b FLOAT, c DECIMAL(10, 2), d DECIMAL(30, 1), e DECIMAL(20, 0), "
      "f DATE, g TIME(3), h TIMESTAMP(6), i TIMESTAMP_LTZ(3), "
      "j INTERVAL YEAR TO MONTH");
  spate_row_builder *b = spate_rb_new(s);
  spate_row row;
  spate_rb_begin(b);
  spate_rb_set_tinyint(b, 0, -5);
  spate_rb_set_float(b, 1, 1.0f);
  spate_rb_set_decimal(b, 2, 1234);
  spate_rb_set_decimal(b, 3, -15);
  spate_rb_set_decimal(b, 4, ((spate_int128)1 << 32) + 5);
  spate_rb_set_date(b, 5, 18263); /* 2020-01-02 */
  spate_rb_set_time(b, 6, 45296789);
  spate_rb_set_timestamp_nanos(b, 7, 1577968496789, 123000);
  spate_rb_set_timestamp(b, 8, 1500);
  spate_rb_set_interval_months(b, 9, 14);
  assert_int_equal(spate_rb_finish(b, &row), 0);
  int f[1];
#define HASH(i) (f[0] = (i), row_fields_java_hash(&row, f, 1, s))
  /* Byte.hashCode = the value */
  assert_int_equal(HASH(0), -5);
  /* Float.hashCode = floatToIntBits(1.0f) = 0x3f800000 */
  assert_int_equal(HASH(1), 0x3f800000);
  /* BigDecimal 12.34: 31 * BigInteger(1234).hashCode() + 2 = 31 * 1234 + 2 = 38256 */
  assert_int_equal(HASH(2), 38256);
  /* BigDecimal -1.5: BigInteger(-15).hashCode() = -15 (magnitude 15 times signum);
   * 31 * -15 + 1 = -464 */
  assert_int_equal(HASH(3), -464);
  /* BigDecimal 4294967301 (2^32 + 5): magnitude words [1, 5]: 31 * 1 + 5 = 36; 31 * 36 + 0 = 1116 */
  assert_int_equal(HASH(4), 1116);
  /* LocalDate 2020-01-02: (2020 & 0xFFFFF800) ^ ((2020 << 11) + (1 << 6) + 2)
   * = 0 ^ (4136960 + 64 + 2) = 4137026 */
  assert_int_equal(HASH(5), 4137026);
  /* LocalTime 12:34:56.789: nano of day v = 45296 * 10^9 + 789 * 10^6 = 45296789000000;
   * v >>> 32 = 10546, low word 2063896384; (int) (v ^ v >>> 32) = 2063896384 ^ 10546 =
   * 2063902322 */
  assert_int_equal(HASH(6), 2063902322);
  /* LocalDateTime 2020-01-02T12:34:56.789123: date 4137026 ^ time (nod 45296789123000:
   * 2064008842) = 2067359432 */
  assert_int_equal(HASH(7), 2067359432);
  /* Instant 1970-01-01T00:00:01.5Z: seconds 1, nanos 500000000: (int) (1 ^ 0) + 51 * 500000000
   * = 1 + 25500000000, which wraps in int arithmetic to -269803775 */
  assert_int_equal(HASH(8), -269803775);
  /* Period.of(1, 2, 0): 1 + rotateLeft(2, 8) + rotateLeft(0, 16) = 1 + 512 = 513 */
  assert_int_equal(HASH(9), 513);
#undef HASH
  spate_rb_free(b);
  spate_schema_free(s);
}

static void validate_corrupt(void **state) {
  (void)state;
  spate_schema *s = parse("a TINYINT, t TIMESTAMP(9), d DECIMAL(20, 2), x DATE, f FLOAT");
  spate_row_builder *b = spate_rb_new(s);
  spate_row row;
  spate_rb_begin(b);
  spate_rb_set_tinyint(b, 0, 1);
  spate_rb_set_timestamp_nanos(b, 1, 5, 7);
  spate_rb_set_decimal(b, 2, 3);
  spate_rb_set_date(b, 3, 0);
  spate_rb_set_float(b, 4, 2.5f);
  assert_int_equal(spate_rb_finish(b, &row), 0);
  uint8_t *copy = sp_malloc(row.len);
  char err[256];
  uint32_t slots = 8;
  struct {
    int field;
    uint64_t slot;
    const char *what;
  } cases[] = {
      {0, 200, "TINYINT slot holds 200"},
      {3, (uint64_t)(int64_t)(ROW_DATE_MAX + 1), "DATE slot"},
      {4, (uint64_t)1 << 40, "FLOAT slot"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    memcpy(copy, row.data, row.len);
    memcpy(copy + slots + (size_t)cases[k].field * 8, &cases[k].slot, 8);
    assert_int_equal(row_validate(copy, row.len, s, true, err, sizeof err), SPATE_ECORRUPT);
    if (!strstr(err, cases[k].what)) fail_msg("'%s' does not mention '%s'", err, cases[k].what);
  }
  /* a TIMESTAMP(9) tail value of the wrong length, and with nanos out of range */
  uint64_t v;
  memcpy(copy, row.data, row.len);
  memcpy(&v, copy + slots + 8, 8);
  v = (v & ~(uint64_t)0xffffffff) | 8;
  memcpy(copy + slots + 8, &v, 8);
  assert_int_equal(row_validate(copy, row.len, s, true, err, sizeof err), SPATE_ECORRUPT);
  assert_non_null(strstr(err, "has 8 bytes, not 12"));
  memcpy(copy, row.data, row.len);
  memcpy(&v, copy + slots + 8, 8);
  int32_t bad = 1000000;
  memcpy(copy + (v >> 32) + 8, &bad, 4);
  assert_int_equal(row_validate(copy, row.len, s, true, err, sizeof err), SPATE_ECORRUPT);
  assert_non_null(strstr(err, "nanoseconds"));
  /* a DECIMAL(20) holding 21 digits */
  memcpy(copy, row.data, row.len);
  memcpy(&v, copy + slots + 16, 8);
  spate_int128 big = dec_pow10(20);
  memcpy(copy + (v >> 32), &big, 16);
  assert_int_equal(row_validate(copy, row.len, s, true, err, sizeof err), SPATE_ECORRUPT);
  assert_non_null(strstr(err, "more than the 20 digits"));
  sp_free(copy);
  spate_rb_free(b);
  spate_schema_free(s);
}

/* Decodes line with the format, encodes the row again and expects `out`. */
static void round_trip(fmt_kind kind, const char *std, const char *spec, const char *line,
                       const char *out) {
  spate_schema *s = parse(spec);
  fmt_options o;
  fmt_options_init(&o, kind);
  char err[256];
  if (std)
    assert_int_equal(fmt_options_set(&o, "json.timestamp-format.standard", std, err, 256), 0);
  spate_row_builder *b = spate_rb_new(s);
  spate_row row;
  fmt_error e;
  int rc = fmt_decode(&o, s, line, strlen(line), b, &row, &e);
  if (rc != 1) fail_msg("'%s': rc %d column %d: %s", line, rc, e.column, e.message);
  sp_strbuf sb = {0};
  assert_int_equal(fmt_encode(&o, s, &row, &sb, &e), 0);
  assert_int_equal(sp_strbuf_append(&sb, "", 1), 0);
  assert_string_equal(sb.data, out);
  sp_strbuf_free(&sb);
  spate_rb_free(b);
  spate_schema_free(s);
}

static void decode_error(fmt_kind kind, const char *spec, const char *line, int column,
                         const char *what) {
  spate_schema *s = parse(spec);
  fmt_options o;
  fmt_options_init(&o, kind);
  spate_row_builder *b = spate_rb_new(s);
  spate_row row;
  fmt_error e;
  assert_int_equal(fmt_decode(&o, s, line, strlen(line), b, &row, &e), SPATE_EINVAL);
  if (e.column != column || !strstr(e.message, what))
    fail_msg("'%s': column %d '%s', expected %d '%s'", line, e.column, e.message, column, what);
  spate_rb_free(b);
  spate_schema_free(s);
}

#define FMT_SPEC                                                                           \
  "a TINYINT, b SMALLINT, c FLOAT, d DECIMAL(38, 2), e DATE, f TIME(3), g TIMESTAMP(9), "  \
  "h TIMESTAMP_LTZ(3), i INTERVAL YEAR TO MONTH, j INTERVAL DAY TO SECOND(3), k CHAR(3), " \
  "l BINARY(2)"

static void csv_types(void **state) {
  (void)state;
  round_trip(FMT_CSV, NULL, FMT_SPEC,
             "-128,32767,0.1,-123456789012345678901234567890123456.785,0001-01-01,12:34:56.789,"
             "9999-12-31 23:59:59.123456789,2020-01-02 12:34:56.789Z,14,-500,abc,AQI=",
             "-128,32767,0.1,-123456789012345678901234567890123456.79,0001-01-01,12:34:56.789,"
             "9999-12-31 23:59:59.123456789,2020-01-02 12:34:56.789Z,14,-500,abc,AQI=");
  /* empty fields are NULL but for CHAR, which reads "" as STRING does (written quoted) */
  round_trip(FMT_CSV, NULL, FMT_SPEC, ",,,,,,,,,,,", ",,,,,,,,,,\"\",");
  round_trip(FMT_CSV, NULL, "d DATE, t TIME(0)", "2020-1-2,12:34", "2020-01-02,12:34:00");
  decode_error(FMT_CSV, "a INT, b TINYINT", "1,128", 3, "field 'b': '128' is not a TINYINT");
  decode_error(FMT_CSV, "a INT, d DECIMAL(4, 2)", "1,123.4", 3,
               "field 'd': '123.4' is not a DECIMAL(4, 2)");
  decode_error(FMT_CSV, "d DATE", "2021-02-29", 1, "is not a DATE (yyyy-MM-dd)");
  decode_error(FMT_CSV, "t TIMESTAMP_LTZ(3)", "2020-01-02 12:34:56", 1,
               "is not a TIMESTAMP_LTZ(3) (yyyy-MM-dd HH:mm:ss[.fraction]Z)");
}

static void json_types(void **state) {
  (void)state;
  round_trip(FMT_JSON, NULL, FMT_SPEC,
             "{\"a\":-128,\"b\":\"7\",\"c\":1.5,\"d\":123456789012345678901234567890123456.78,"
             "\"e\":\"2020-01-02\",\"f\":\"12:34:56.789\",\"g\":\"2020-01-02 12:34:56.000001\","
             "\"h\":\"2020-01-02 12:34:56.789Z\",\"i\":-3,\"j\":86400000,\"k\":\"abc\","
             "\"l\":\"AQI=\"}",
             "{\"a\":-128,\"b\":7,\"c\":1.5,\"d\":123456789012345678901234567890123456.78,"
             "\"e\":\"2020-01-02\",\"f\":\"12:34:56\",\"g\":\"2020-01-02 12:34:56.000001\","
             "\"h\":\"2020-01-02 12:34:56.789Z\",\"i\":-3,\"j\":86400000,\"k\":\"abc\","
             "\"l\":\"AQI=\"}");
  round_trip(FMT_JSON, "ISO-8601", "g TIMESTAMP(6), h TIMESTAMP_LTZ(3), d DECIMAL(10, 8)",
             "{\"g\":\"2020-01-02T12:34\",\"h\":\"2020-01-02T12:34:56Z\",\"d\":1e-8}",
             "{\"g\":\"2020-01-02T12:34:00\",\"h\":\"2020-01-02T12:34:56Z\",\"d\":1E-8}");
  round_trip(FMT_JSON, NULL, "a FLOAT", "{\"a\":null}", "{\"a\":null}");
  decode_error(FMT_JSON, "a SMALLINT", "{\"a\": 40000}", 7, "40000 is not a SMALLINT");
  decode_error(FMT_JSON, "d DECIMAL(5, 2)", "{\"d\": 1234.5}", 7, "1234.5 is not a DECIMAL(5, 2)");
  decode_error(FMT_JSON, "d DATE", "{\"d\": 5}", 7, "5 is not a DATE");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(schema_types),     cmocka_unit_test(schema_errors),
      cmocka_unit_test(schema_encoding),  cmocka_unit_test(build_and_format),
      cmocka_unit_test(format_details),   cmocka_unit_test(java_hashes),
      cmocka_unit_test(validate_corrupt), cmocka_unit_test(csv_types),
      cmocka_unit_test(json_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_formats.c: the CSV and JSON line codecs (connectors/format.h) and their options: quoting,
 * escapes, delimiters, nulls, every type, errors with their column, writing and reading back,
 * option keys and values checked by name.
 */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/base64.h"
#include "connectors/format.h"
#include "spate/spate.h"
#include "types/row.h"

#define ALL "b BOOLEAN, i INT, l BIGINT, d DOUBLE, s STRING, t TIMESTAMP"

typedef struct fx {
  spate_schema *schema;
  spate_row_builder *rb;
  fmt_options o;
  spate_row row;
  fmt_error e;
} fx;

static void fx_init(fx *f, const char *spec, fmt_kind kind) {
  char err[256];
  assert_int_equal(spate_schema_parse(spec, &f->schema, err, sizeof err), 0);
  f->rb = spate_rb_new(f->schema);
  assert_non_null(f->rb);
  fmt_options_init(&f->o, kind);
}

static void fx_free(fx *f) {
  spate_rb_free(f->rb);
  spate_schema_free(f->schema);
}

static void set(fx *f, const char *key, const char *value) {
  char err[256];
  int rc = fmt_options_set(&f->o, key, value, err, sizeof err);
  if (rc) fail_msg("%s = %s: %s", key, value, err);
  assert_int_equal(fmt_options_check(&f->o, err, sizeof err), 0);
}

static int decode(fx *f, const char *line) {
  return fmt_decode(&f->o, f->schema, line, strlen(line), f->rb, &f->row, &f->e);
}

static void decode_ok(fx *f, const char *line) {
  int rc = decode(f, line);
  if (rc != 1)
    fail_msg("'%s' did not decode (%d): col %d: %s", line, rc, f->e.column, f->e.message);
}

static void decode_bad(fx *f, const char *line, int column, const char *message) {
  assert_int_equal(decode(f, line), SPATE_EINVAL);
  if (f->e.column != column || !strstr(f->e.message, message))
    fail_msg("'%s': column %d '%s', expected column %d '%s'", line, f->e.column, f->e.message,
             column, message);
}

static void assert_str(const spate_row *r, int i, const char *want) {
  spate_bytes b = spate_row_string(r, i);
  assert_false(spate_row_is_null(r, i));
  if (b.len != strlen(want) || memcmp(b.ptr, want, b.len) != 0)
    fail_msg("field %d is '%.*s', expected '%s'", i, (int)b.len, b.ptr, want);
}

/* Encodes the last decoded row into a string (static buffer). */
static const char *encode(fx *f) {
  static char out[1024];
  sp_strbuf sb = {0};
  int rc = fmt_encode(&f->o, f->schema, &f->row, &sb, &f->e);
  if (rc) fail_msg("encode: %d: %s", rc, f->e.message);
  snprintf(out, sizeof out, "%s", sb.data ? sb.data : "");
  sp_strbuf_free(&sb);
  return out;
}

/* ---- CSV -------------------------------------------------------------------------------------- */
static void test_csv_every_type(void **state) {
  fx f;
  fx_init(&f, ALL, FMT_CSV);
  decode_ok(&f, "true,-7,9007199254740993,2.5,hello,2024-02-29 13:14:15.250");
  assert_true(spate_row_bool(&f.row, 0));
  assert_int_equal(spate_row_int(&f.row, 1), -7);
  assert_int_equal(spate_row_bigint(&f.row, 2), 9007199254740993LL);
  assert_true(spate_row_double(&f.row, 3) == 2.5);
  assert_str(&f.row, 4, "hello");
  /* 2024-02-29T13:14:15.25Z */
  assert_int_equal(spate_row_timestamp(&f.row, 5), 1709212455250LL);
  assert_string_equal(encode(&f), "true,-7,9007199254740993,2.5,hello,2024-02-29 13:14:15.25");
  /* spaces around numbers, booleans in any case, a fraction of 9 digits, before 1970 */
  decode_ok(&f, " FALSE , 12 ,-1, 1e3 ,x,1969-12-31 23:59:59.999999999");
  assert_false(spate_row_bool(&f.row, 0));
  assert_int_equal(spate_row_int(&f.row, 1), 12);
  assert_true(spate_row_double(&f.row, 3) == 1000.0);
  assert_int_equal(spate_row_timestamp(&f.row, 5), -1);
  assert_string_equal(encode(&f), "false,12,-1,1000.0,x,1969-12-31 23:59:59.999");
  fx_free(&f);
}

static void test_csv_quoting(void **state) {
  fx f;
  fx_init(&f, "a STRING, b STRING, c BIGINT", FMT_CSV);
  decode_ok(&f, "\"x,y\",\"say \"\"hi\"\"\",\"3\"");
  assert_str(&f.row, 0, "x,y");
  assert_str(&f.row, 1, "say \"hi\"");
  assert_int_equal(spate_row_bigint(&f.row, 2), 3);
  assert_string_equal(encode(&f), "\"x,y\",\"say \"\"hi\"\"\",3");
  /* "" is the empty string; an unquoted empty field too for STRING (Flink), NULL for others */
  decode_ok(&f, "\"\",,");
  assert_str(&f.row, 0, "");
  assert_str(&f.row, 1, "");
  assert_true(spate_row_is_null(&f.row, 2));
  assert_string_equal(encode(&f), "\"\",\"\",");
  /* a value with spaces at its end is quoted to keep them */
  decode_ok(&f, "\" a \",b,1");
  assert_str(&f.row, 0, " a ");
  assert_string_equal(encode(&f), "\" a \",b,1");
  fx_free(&f);
}

static void test_csv_options(void **state) {
  fx f;
  fx_init(&f, "a STRING, b DOUBLE", FMT_CSV);
  set(&f, "csv.field-delimiter", "\\t");
  set(&f, "csv.quote-character", "'");
  decode_ok(&f, "'it''s\tfine'\t1.5");
  assert_str(&f.row, 0, "it's\tfine");
  assert_string_equal(encode(&f), "'it''s\tfine'\t1.5");
  fx_free(&f);

  fx_init(&f, "a STRING, b STRING", FMT_CSV);
  set(&f, "csv.field-delimiter", ";");
  set(&f, "csv.escape-character", "\\");
  set(&f, "csv.null-literal", "n/a");
  set(&f, "csv.allow-comments", "true");
  assert_int_equal(decode(&f, "# a comment"), 0);
  decode_ok(&f, "a\\;b;n/a");
  assert_str(&f.row, 0, "a;b");
  assert_true(spate_row_is_null(&f.row, 1));
  assert_string_equal(encode(&f), "\"a;b\";n/a");
  decode_ok(&f, ";\"n/a\""); /* empty STRING is "", a quoted null literal a string */
  assert_str(&f.row, 0, "");
  assert_str(&f.row, 1, "n/a");
  assert_string_equal(encode(&f), ";\"n/a\"");
  decode_ok(&f, "\"#x\";y"); /* a first field starting with # is quoted when comments are on */
  assert_string_equal(encode(&f), "\"#x\";y");
  fx_free(&f);

  fx_init(&f, "a STRING, b STRING", FMT_CSV);
  set(&f, "csv.disable-quote-character", "true");
  set(&f, "csv.escape-character", "\\");
  decode_ok(&f, "\"x\",y\\,z");
  assert_str(&f.row, 0, "\"x\"");
  assert_str(&f.row, 1, "y,z");
  assert_string_equal(encode(&f), "\"x\",y\\,z");
  fx_free(&f);
}

/* Values of other types that would read back otherwise are quoted too. */
static void test_csv_quotes_numbers_when_needed(void **state) {
  fx f;
  fx_init(&f, "l BIGINT, d DOUBLE, t TIMESTAMP, b BOOLEAN", FMT_CSV);
  set(&f, "csv.field-delimiter", ".");
  set(&f, "csv.null-literal", "true");
  decode_ok(&f, "1.\"2.5\".\"1970-01-01 00:00:00.5\".\"true\"");
  assert_int_equal(spate_row_bigint(&f.row, 0), 1);
  assert_true(spate_row_double(&f.row, 1) == 2.5);
  assert_int_equal(spate_row_timestamp(&f.row, 2), 500);
  assert_true(spate_row_bool(&f.row, 3));
  assert_string_equal(encode(&f), "1.\"2.5\".\"1970-01-01 00:00:00.5\".\"true\"");
  decode_ok(&f, "true.true.true.true");
  assert_true(spate_row_is_null(&f.row, 0) && spate_row_is_null(&f.row, 3));
  assert_string_equal(encode(&f), "true.true.true.true");
  fx_free(&f);
}

static void test_csv_errors(void **state) {
  fx f;
  fx_init(&f, "id BIGINT, name STRING, amount DOUBLE, n INT NOT NULL", FMT_CSV);
  decode_bad(&f, "1,ab,abc,2", 6, "field 'amount': 'abc' is not a DOUBLE");
  decode_bad(&f, "x,a,1,2", 1, "field 'id': 'x' is not a BIGINT");
  decode_bad(&f, "1,a,1,3000000000", 7, "field 'n': '3000000000' is not an INT");
  decode_bad(&f, "1,a,1,", 7, "field 'n' is NULL but declared NOT NULL");
  decode_bad(&f, "1,a,1", 6, "the line has 3 fields, the schema 4 (missing: 'n')");
  decode_bad(&f, "1,a,1,2,3", 9, "more than the schema's 4 fields");
  decode_bad(&f, "1,\"a,1,2", 3, "field 'name': the quoted value has no closing quote");
  decode_bad(&f, "1,\"a\"b,1,2", 6, "field 'name': a character follows the closing quote");
  decode_bad(&f, "1,a,1.5.2,2", 5, "'1.5.2' is not a DOUBLE");
  decode_bad(&f, "1,a,0x10,2", 5, "is not a DOUBLE");
  decode_bad(&f, "99999999999999999999,a,1,2", 1, "is not a BIGINT");
  /* a comment is a bad line unless comments are allowed */
  decode_bad(&f, "# note", 1, "is not a BIGINT");
  fx_free(&f);

  fx_init(&f, "t TIMESTAMP, b BOOLEAN", FMT_CSV);
  decode_bad(&f, "2024-02-30 00:00:00,true", 1, "is not a TIMESTAMP(3) (yyyy-MM-dd HH:mm:ss");
  decode_bad(&f, "2024-01-01T00:00:00,true", 1, "is not a TIMESTAMP");
  decode_bad(&f, "2024-01-01 00:00:00,yes", 21, "field 'b': 'yes' is not a BOOLEAN");
  fx_free(&f);
}

/* A projection (the SQL planner's push-down): a line of four fields read into the schema of its
 * fields 3 and 1, in that order; the others are split off but never converted. */
static void test_csv_projection(void **state) {
  fx f;
  fx_init(&f, "amount DOUBLE, id BIGINT", FMT_CSV);
  int slot[] = {1, -1, 0, -1};
  f.o.line_fields = 4;
  f.o.slot = slot;
  decode_ok(&f, "7,not a number,2.5,\"x,y\"");
  assert_int_equal(spate_row_bigint(&f.row, 1), 7);
  assert_true(spate_row_double(&f.row, 0) == 2.5);
  decode_bad(&f, "7,a,b,c", 5, "field 'amount': 'b' is not a DOUBLE");
  decode_bad(&f, "7,a,2.5", 8, "the line has 3 fields, the schema 4 (missing: '#4')");
  decode_bad(&f, "7,a,2.5,c,d", 11, "more than the schema's 4 fields");
  decode_bad(&f, "7,\"a,2.5,c", 3, "field '#2': the quoted value has no closing quote");
  fx_free(&f);
}

static void test_csv_special_doubles(void **state) {
  fx f;
  fx_init(&f, "d DOUBLE", FMT_CSV);
  decode_ok(&f, "NaN");
  assert_true(isnan(spate_row_double(&f.row, 0)));
  assert_string_equal(encode(&f), "NaN");
  decode_ok(&f, "-Infinity");
  assert_true(spate_row_double(&f.row, 0) == -INFINITY);
  decode_ok(&f, "0.1");
  assert_string_equal(encode(&f), "0.1");
  decode_ok(&f, "1.7976931348623157e308");
  assert_true(spate_row_double(&f.row, 0) == 1.7976931348623157e308);
  decode_bad(&f, "1e999", 1, "is not a DOUBLE");
  decode_bad(&f, "inf", 1, "is not a DOUBLE");
  fx_free(&f);
}

/* ---- JSON ------------------------------------------------------------------------------------- */
static void test_json_every_type(void **state) {
  fx f;
  fx_init(&f, ALL, FMT_JSON);
  decode_ok(&f,
            "{\"b\":true,\"i\":-7,\"l\":9007199254740993,\"d\":2.5,\"s\":\"h\\u00e9\\n\","
            "\"t\":\"2024-02-29 13:14:15.250\",\"extra\":[1]}");
  assert_true(spate_row_bool(&f.row, 0));
  assert_int_equal(spate_row_int(&f.row, 1), -7);
  assert_int_equal(spate_row_bigint(&f.row, 2), 9007199254740993LL);
  assert_true(spate_row_double(&f.row, 3) == 2.5);
  assert_str(&f.row, 4, "h\xc3\xa9\n");
  assert_int_equal(spate_row_timestamp(&f.row, 5), 1709212455250LL);
  assert_string_equal(encode(&f),
                      "{\"b\":true,\"i\":-7,\"l\":9007199254740993,\"d\":2.5,"
                      "\"s\":\"h\xc3\xa9\\n\",\"t\":\"2024-02-29 13:14:15.25\"}");
  /* numbers as strings (as Flink reads them), an integer as DOUBLE, epoch millis, a non-string
   * value into STRING as its JSON text, missing members and null as NULL */
  decode_ok(&f, "{\"b\":\"false\",\"i\":\" 3 \",\"d\":4,\"s\":{\"a\":[1,2]},\"t\":1000}");
  assert_false(spate_row_bool(&f.row, 0));
  assert_int_equal(spate_row_int(&f.row, 1), 3);
  assert_true(spate_row_is_null(&f.row, 2));
  assert_true(spate_row_double(&f.row, 3) == 4.0);
  assert_str(&f.row, 4, "{\"a\":[1,2]}");
  assert_int_equal(spate_row_timestamp(&f.row, 5), 1000);
  assert_string_equal(encode(&f),
                      "{\"b\":false,\"i\":3,\"l\":null,\"d\":4.0,"
                      "\"s\":\"{\\\"a\\\":[1,2]}\",\"t\":\"1970-01-01 00:00:01\"}");
  fx_free(&f);
}

static void test_json_options(void **state) {
  fx f;
  fx_init(&f, "t TIMESTAMP, n BIGINT", FMT_JSON);
  set(&f, "json.timestamp-format.standard", "ISO-8601");
  decode_ok(&f, "{\"t\":\"2020-01-02T03:04:05.6\",\"n\":1}");
  assert_int_equal(spate_row_timestamp(&f.row, 0), 1577934245600LL);
  assert_string_equal(encode(&f), "{\"t\":\"2020-01-02T03:04:05.6\",\"n\":1}");
  decode_bad(&f, "{\"t\": \"2020-01-02 03:04:05\"}", 7,
             "field 't': \"2020-01-02 03:04:05\" is not a TIMESTAMP(3) (yyyy-MM-ddTHH:mm:ss");
  set(&f, "json.fail-on-missing-field", "true");
  decode_bad(&f, "{\"t\":null}", 1, "field 'n' is missing");
  decode_ok(&f, "{\"t\":null,\"n\":null}");
  assert_true(spate_row_is_null(&f.row, 0));
  assert_true(spate_row_is_null(&f.row, 1));
  assert_string_equal(encode(&f), "{\"t\":null,\"n\":null}");
  fx_free(&f);
}

static void test_json_errors(void **state) {
  fx f;
  fx_init(&f, "id BIGINT, amount DOUBLE, ok BOOLEAN, n INT NOT NULL", FMT_JSON);
  decode_bad(&f, "{\"id\":1,\"amount\": \"abc\",\"n\":1}", 19,
             "field 'amount': \"abc\" is not a DOUBLE");
  decode_bad(&f, "{\"id\":1e19,\"n\":1}", 7, "field 'id': 1e19 is not a BIGINT");
  decode_bad(&f, "{\"n\":2147483648}", 6, "field 'n': 2147483648 is not an INT");
  decode_bad(&f, "{\"ok\":1,\"n\":1}", 7, "field 'ok': 1 is not a BOOLEAN");
  decode_bad(&f, "{\"id\":1}", 1, "field 'n' is missing but declared NOT NULL");
  decode_bad(&f, "{\"id\":1,\"n\":null}", 13, "field 'n' is null but declared NOT NULL");
  decode_bad(&f, "[1,2]", 1, "not a JSON object");
  decode_bad(&f, "{\"id\":1,", 8, "not JSON");
  decode_bad(&f, "{\"id\":99999999999999999999,\"n\":1}", 26, "not JSON");
  fx_free(&f);
}

static void test_json_escapes_out(void **state) {
  fx f;
  fx_init(&f, "s STRING, d DOUBLE", FMT_JSON);
  decode_ok(&f, "{\"s\":\"q\\\"b\\\\t\\tc\\u0001\",\"d\":\"NaN\"}");
  assert_str(&f.row, 0, "q\"b\\t\tc\x01");
  assert_true(isnan(spate_row_double(&f.row, 1)));
  const char *out = encode(&f);
  assert_string_equal(out, "{\"s\":\"q\\\"b\\\\t\\tc\\u0001\",\"d\":\"NaN\"}");
  fx_free(&f);
}

/* ---- options ---------------------------------------------------------------------------------- */
static void test_option_errors(void **state) {
  fmt_options o;
  char err[256];
  fmt_options_init(&o, FMT_CSV);
  assert_int_equal(fmt_options_set(&o, "csv.field-delimter", ";", err, sizeof err), SPATE_EINVAL);
  assert_string_equal(err, "unknown option 'csv.field-delimter' for the csv format");
  assert_int_equal(fmt_options_set(&o, "json.ignore-parse-errors", "true", err, sizeof err),
                   SPATE_EINVAL);
  assert_int_equal(fmt_options_set(&o, "csv.field-delimiter", ";;", err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "option 'csv.field-delimiter': ';;' is not a single character"));
  assert_int_equal(fmt_options_set(&o, "csv.allow-comments", "yes", err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "option 'csv.allow-comments': 'yes' is not a boolean"));
  assert_int_equal(fmt_options_set(&o, "csv.quote-character", "'", err, sizeof err), 0);
  assert_int_equal(fmt_options_set(&o, "csv.disable-quote-character", "true", err, sizeof err), 0);
  assert_int_equal(fmt_options_check(&o, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "'csv.disable-quote-character' and 'csv.quote-character'"));
  fmt_options_init(&o, FMT_CSV);
  assert_int_equal(fmt_options_set(&o, "csv.field-delimiter", "\"", err, sizeof err), 0);
  assert_int_equal(fmt_options_check(&o, err, sizeof err), SPATE_EINVAL);

  fmt_options_init(&o, FMT_JSON);
  assert_int_equal(fmt_options_set(&o, "json.timestamp-format.standard", "iso", err, sizeof err),
                   SPATE_EINVAL);
  assert_non_null(strstr(err, "'json.timestamp-format.standard': 'iso'"));
  assert_int_equal(fmt_options_set(&o, "csv.field-delimiter", ";", err, sizeof err), SPATE_EINVAL);

  /* the params' list: kind, then pairs */
  const char *list[] = {"json", "json.ignore-parse-errors", "true"};
  assert_int_equal(fmt_options_from_list(&o, 3, list, err, sizeof err), 0);
  assert_int_equal(o.kind, FMT_JSON);
  assert_true(o.ignore_parse_errors);
  assert_int_equal(fmt_options_from_list(&o, 0, NULL, err, sizeof err), SPATE_ENOENT);
  const char *bad[] = {"xml"};
  assert_int_equal(fmt_options_from_list(&o, 1, bad, err, sizeof err), SPATE_ECORRUPT);
}

static void test_timestamps(void **state) {
  int64_t ms;
  assert_true(fmt_parse_timestamp("1970-01-01 00:00:00", 19, FMT_TS_SQL, &ms));
  assert_int_equal(ms, 0);
  assert_true(fmt_parse_timestamp("2000-02-29 23:59:59.1", 21, FMT_TS_SQL, &ms));
  assert_int_equal(ms, 951868799100LL);
  assert_false(fmt_parse_timestamp("1900-02-29 00:00:00", 19, FMT_TS_SQL, &ms));
  assert_false(fmt_parse_timestamp("2000-01-01 24:00:00", 19, FMT_TS_SQL, &ms));
  assert_false(fmt_parse_timestamp("2000-01-01 00:00:00.", 20, FMT_TS_SQL, &ms));
  assert_false(fmt_parse_timestamp("2000-01-01 00:00:00.1234567890", 30, FMT_TS_SQL, &ms));
  assert_true(fmt_parse_timestamp("1600-03-01T12:00:00", 19, FMT_TS_ISO_8601, &ms));
  sp_strbuf sb = {0};
  assert_int_equal(fmt_append_timestamp(&sb, ms, FMT_TS_ISO_8601), 0);
  assert_string_equal(sb.data, "1600-03-01T12:00:00");
  sb.len = 0;
  assert_int_equal(fmt_append_timestamp(&sb, -1001, FMT_TS_SQL), 0);
  assert_string_equal(sb.data, "1969-12-31 23:59:58.999");
  sp_strbuf_free(&sb);
}

/* The encoding of the last decoded row fails with a message containing `message`. */
static void encode_bad(fx *f, const char *message) {
  sp_strbuf sb = {0};
  assert_int_equal(fmt_encode(&f->o, f->schema, &f->row, &sb, &f->e), SPATE_EINVAL);
  if (!strstr(f->e.message, message)) fail_msg("'%s', expected '%s'", f->e.message, message);
  sp_strbuf_free(&sb);
}

/* A STRING with a line break would not read back (a record is one line): the writer refuses it,
 * naming the field; JSON escapes it. */
static void test_csv_refuses_line_breaks(void **state) {
  fx f;
  fx_init(&f, "id INT, s STRING", FMT_JSON);
  decode_ok(&f, "{\"id\":1,\"s\":\"a\\nb\"}");
  assert_string_equal(encode(&f), "{\"id\":1,\"s\":\"a\\nb\"}");
  f.o.kind = FMT_CSV;
  encode_bad(&f, "field 's': a STRING with a line break cannot be written as CSV");
  decode_ok(&f, "2,\"a\rb\"");
  encode_bad(&f, "field 's': a STRING with a line break");
  fx_free(&f);
}

/* A TIMESTAMP outside the years 0000..9999 has no CSV text that reads back: the writer refuses it;
 * JSON writes it as epoch milliseconds, which read back. */
static void test_timestamps_out_of_range(void **state) {
  fx f;
  fx_init(&f, "t TIMESTAMP", FMT_JSON);
  decode_ok(&f, "{\"t\":253402300800000}"); /* 10000-01-01 */
  assert_string_equal(encode(&f), "{\"t\":253402300800000}");
  f.o.kind = FMT_CSV;
  encode_bad(&f,
             "field 't': TIMESTAMP 253402300800000 (epoch milliseconds) is outside the years "
             "0000..9999");
  f.o.kind = FMT_JSON;
  decode_ok(&f, "{\"t\":-62167219200001}"); /* a millisecond before 0000-01-01 */
  f.o.kind = FMT_CSV;
  encode_bad(&f, "outside the years 0000..9999");
  f.o.kind = FMT_JSON;
  decode_ok(&f, "{\"t\":-62167219200000}");
  f.o.kind = FMT_CSV;
  assert_string_equal(encode(&f), "0000-01-01 00:00:00");
  decode_ok(&f, "9999-12-31 23:59:59.999");
  assert_string_equal(encode(&f), "9999-12-31 23:59:59.999");
  fx_free(&f);
}

/* ignore-parse-errors: a value that does not convert is NULL (the row still comes out, flagged
 * so that the source counts it); a NOT NULL field or a line that does not parse is an error the
 * source skips. */
static void test_ignore_parse_errors_nulls_fields(void **state) {
  fx f;
  fx_init(&f, "id BIGINT NOT NULL, amount DOUBLE, b BYTES", FMT_CSV);
  set(&f, "csv.ignore-parse-errors", "true");
  decode_ok(&f, "1,abc,%%%");
  assert_true(f.e.nulled);
  assert_int_equal(spate_row_bigint(&f.row, 0), 1);
  assert_true(spate_row_is_null(&f.row, 1));
  assert_true(spate_row_is_null(&f.row, 2));
  decode_ok(&f, "2,1.5,");
  assert_false(f.e.nulled);
  decode_bad(&f, "x,1.5,", 1, "field 'id': 'x' is not a BIGINT"); /* NOT NULL: dropped */
  decode_bad(&f, "3,1.5", 6, "the line has 2 fields");
  decode_bad(&f, "3,\"1.5,", 3, "no closing quote");
  fx_free(&f);

  fx_init(&f, "id BIGINT NOT NULL, amount DOUBLE, ok BOOLEAN", FMT_JSON);
  set(&f, "json.ignore-parse-errors", "true");
  decode_ok(&f, "{\"id\":1,\"amount\":\"abc\",\"ok\":3}");
  assert_true(f.e.nulled);
  assert_true(spate_row_is_null(&f.row, 1));
  assert_true(spate_row_is_null(&f.row, 2));
  decode_ok(&f, "{\"id\":2,\"amount\":1}");
  assert_false(f.e.nulled);
  decode_bad(&f, "{\"id\":\"x\"}", 7, "field 'id': \"x\" is not a BIGINT");
  assert_int_equal(decode(&f, "{\"id\":1"), SPATE_EINVAL); /* not JSON */
  fx_free(&f);

  /* Flink refuses failing on missing fields while ignoring parse errors */
  fmt_options o;
  char err[256];
  fmt_options_init(&o, FMT_JSON);
  assert_int_equal(fmt_options_set(&o, "json.fail-on-missing-field", "true", err, sizeof err), 0);
  assert_int_equal(fmt_options_set(&o, "json.ignore-parse-errors", "true", err, sizeof err), 0);
  assert_int_equal(fmt_options_check(&o, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "'json.fail-on-missing-field' and 'json.ignore-parse-errors'"));
}

/* Without csv.null-literal an empty STRING field is "" (Flink) and NULL is written empty, so it
 * reads back as ""; with csv.null-literal the literal is what means NULL, also the empty one. */
static void test_csv_empty_strings(void **state) {
  fx f;
  fx_init(&f, "s STRING, l BIGINT", FMT_CSV);
  decode_ok(&f, ",");
  assert_str(&f.row, 0, "");
  assert_true(spate_row_is_null(&f.row, 1));
  assert_string_equal(encode(&f), "\"\",");
  fx_free(&f);

  fx_init(&f, "s STRING NOT NULL, t STRING NOT NULL", FMT_CSV);
  decode_ok(&f, ","); /* not a NULL in a NOT NULL field */
  assert_str(&f.row, 0, "");
  assert_str(&f.row, 1, "");
  fx_free(&f);

  fx_init(&f, "s STRING, l BIGINT", FMT_CSV);
  set(&f, "csv.null-literal", "");
  decode_ok(&f, ",");
  assert_true(spate_row_is_null(&f.row, 0));
  assert_string_equal(encode(&f), ",");
  decode_ok(&f, "\"\",1");
  assert_str(&f.row, 0, "");
  assert_string_equal(encode(&f), "\"\",1");
  fx_free(&f);

  fx_init(&f, "s STRING, l BIGINT", FMT_CSV);
  set(&f, "csv.null-literal", "null");
  decode_ok(&f, "null,null");
  assert_true(spate_row_is_null(&f.row, 0));
  assert_true(spate_row_is_null(&f.row, 1));
  assert_string_equal(encode(&f), "null,null");
  decode_ok(&f, ",");
  assert_str(&f.row, 0, "");
  fx_free(&f);
}

/* With quotes disabled a value holding the delimiter, equal to the null literal or starting a
 * comment is escaped when an escape character is set, and else not written (an error naming the
 * field) instead of a line that reads back otherwise. */
static void test_csv_unquoted_writes(void **state) {
  fx f;
  fx_init(&f, "s STRING, l BIGINT, d DOUBLE", FMT_CSV);
  set(&f, "csv.disable-quote-character", "true");
  set(&f, "csv.null-literal", "n/a");
  set(&f, "csv.field-delimiter", ".");
  set(&f, "csv.escape-character", "\\");
  decode_ok(&f, "a\\.b.n/a.2\\.5");
  assert_str(&f.row, 0, "a.b");
  assert_true(spate_row_is_null(&f.row, 1));
  assert_true(spate_row_double(&f.row, 2) == 2.5);
  assert_string_equal(encode(&f), "a\\.b.n/a.2\\.5");
  decode_ok(&f, "\\n/a.1.1");
  assert_str(&f.row, 0, "n/a");
  assert_string_equal(encode(&f), "\\n/a.1.1\\.0");
  f.o.escape = 0; /* the same options without an escape character */
  f.o.field_delimiter = ',';
  decode_ok(&f, "a.b,1,2");
  assert_string_equal(encode(&f), "a.b,1,2.0");
  decode_ok(&f, "n/a,1,2");
  assert_string_equal(encode(&f), "n/a,1,2.0");
  f.o.field_delimiter = '.';
  encode_bad(&f,
             "field 'd': '2.0' holds the field delimiter; with csv.disable-quote-character "
             "it needs csv.escape-character");
  f.o.field_delimiter = ',';
  decode_ok(&f, "x,1,n/a");
  f.o.null_literal[0] = 'x'; /* "x" is the null literal now */
  f.o.null_literal[1] = 0;
  encode_bad(&f, "field 's': 'x' is the null literal");
  fx_free(&f);

  fx_init(&f, "s STRING, l BIGINT", FMT_CSV);
  set(&f, "csv.disable-quote-character", "true");
  set(&f, "csv.allow-comments", "true");
  decode_ok(&f, "a#,1");
  f.o.allow_comments = false;
  decode_ok(&f, "#a,1");
  f.o.allow_comments = true;
  encode_bad(&f, "field 's': '#a' would start a comment line");
  set(&f, "csv.null-literal", "");
  decode_ok(&f, "x,");
  assert_string_equal(encode(&f), "x,");
  f.o.allow_comments = false;
  decode_ok(&f, "\"\",1"); /* quotes disabled: the field is the two quote characters */
  assert_str(&f.row, 0, "\"\"");
  assert_string_equal(encode(&f), "\"\",1");
  f.o.kind = FMT_JSON; /* an empty string, which would read back as NULL */
  decode_ok(&f, "{\"s\":\"\",\"l\":1}");
  f.o.kind = FMT_CSV;
  encode_bad(&f, "field 's': an empty value would read as NULL");
  fx_free(&f);
}

/* A null literal that a line would read otherwise (a delimiter or quote inside, a line break, a
 * '#' first with comments) is refused, naming the key, whichever option is set first. */
static void test_null_literal_refused(void **state) {
  static const struct {
    const char *key, *value, *literal, *why;
  } v[] = {
      {NULL, NULL, "a,b", "contains the field delimiter"},
      {"csv.field-delimiter", ";", "a;b", "contains the field delimiter"},
      {NULL, NULL, "say\"", "contains the quote character"},
      {"csv.allow-comments", "true", "#N/A", "starts with '#'"},
  };
  char err[256];
  for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
    fmt_options o;
    fmt_options_init(&o, FMT_CSV);
    if (v[k].key) assert_int_equal(fmt_options_set(&o, v[k].key, v[k].value, err, sizeof err), 0);
    assert_int_equal(fmt_options_set(&o, "csv.null-literal", v[k].literal, err, sizeof err), 0);
    assert_int_equal(fmt_options_check(&o, err, sizeof err), SPATE_EINVAL);
    if (!strstr(err, "option 'csv.null-literal'") || !strstr(err, v[k].why))
      fail_msg("'%s': %s", v[k].literal, err);
  }
  /* the other order, and what stays allowed */
  fmt_options o;
  fmt_options_init(&o, FMT_CSV);
  assert_int_equal(fmt_options_set(&o, "csv.null-literal", "#N/A", err, sizeof err), 0);
  assert_int_equal(fmt_options_check(&o, err, sizeof err), 0);
  assert_int_equal(fmt_options_set(&o, "csv.allow-comments", "true", err, sizeof err), 0);
  assert_int_equal(fmt_options_check(&o, err, sizeof err), SPATE_EINVAL);
  assert_non_null(strstr(err, "option 'csv.null-literal': '#N/A' starts with '#'"));
  fmt_options_init(&o, FMT_CSV);
  assert_int_equal(fmt_options_set(&o, "csv.null-literal", "say\"", err, sizeof err), 0);
  assert_int_equal(fmt_options_set(&o, "csv.disable-quote-character", "true", err, sizeof err), 0);
  assert_int_equal(fmt_options_check(&o, err, sizeof err), 0);
}

/* An empty line is no record in either format (Flink produces no row for it), also for a schema
 * of one STRING field. */
static void test_blank_lines_skipped(void **state) {
  fx f;
  fx_init(&f, "id BIGINT, s STRING", FMT_CSV);
  assert_int_equal(decode(&f, ""), 0);
  fx_free(&f);
  fx_init(&f, "s STRING", FMT_CSV);
  assert_int_equal(decode(&f, ""), 0);
  decode_ok(&f, "\"\"");
  assert_str(&f.row, 0, "");
  fx_free(&f);
  fx_init(&f, "id BIGINT, s STRING", FMT_JSON);
  assert_int_equal(decode(&f, ""), 0);
  assert_int_equal(decode(&f, " "), SPATE_EINVAL); /* only an empty line: spaces are no JSON */
  fx_free(&f);
}

/* JSON syntax errors report byte columns, as every other error does (jansson's own column counts
 * characters): the same error after two 2-byte characters is at the column of 4 ASCII bytes. */
static void test_json_error_column_in_bytes(void **state) {
  fx f;
  fx_init(&f, "s STRING, n BIGINT", FMT_JSON);
  assert_int_equal(decode(&f, "{\"s\":\"aaaa\",\"n\":}"), SPATE_EINVAL);
  int ascii = f.e.column;
  assert_true(ascii >= 16 && ascii <= 18);
  assert_int_equal(decode(&f, "{\"s\":\"\xc3\xa9\xc3\xa9\",\"n\":}"), SPATE_EINVAL);
  assert_int_equal(f.e.column, ascii);
  assert_int_equal(fmt_column(0), 1);
  assert_int_equal(fmt_column((size_t)INT_MAX + 5), INT_MAX);
  fx_free(&f);
}

/* As Flink reads JSON (Jackson's canConvertToLong/asLong): a number with a fraction into INT or
 * BIGINT is truncated toward zero when in range; ISO-8601 timestamps may leave out the seconds
 * (Java's ISO_LOCAL_TIME); the SQL standard needs them. */
static void test_json_flink_leniencies(void **state) {
  fx f;
  fx_init(&f, "i INT, l BIGINT, t TIMESTAMP", FMT_JSON);
  set(&f, "json.timestamp-format.standard", "ISO-8601");
  decode_ok(&f, "{\"i\":5.0,\"l\":-5.9,\"t\":\"2020-01-01T12:30\"}");
  assert_int_equal(spate_row_int(&f.row, 0), 5);
  assert_int_equal(spate_row_bigint(&f.row, 1), -5);
  assert_int_equal(spate_row_timestamp(&f.row, 2), 1577881800000LL);
  assert_string_equal(encode(&f), "{\"i\":5,\"l\":-5,\"t\":\"2020-01-01T12:30:00\"}");
  decode_ok(&f, "{\"i\":-2147483648.0,\"l\":1e3}");
  assert_int_equal(spate_row_int(&f.row, 0), INT32_MIN);
  assert_int_equal(spate_row_bigint(&f.row, 1), 1000);
  decode_bad(&f, "{\"i\":2147483647.5}", 6, "field 'i': 2147483647.5 is not an INT");
  decode_bad(&f, "{\"l\":9.3e18}", 6, "is not a BIGINT");
  decode_bad(&f, "{\"t\":\"2020-01-01T12:3\"}", 6, "is not a TIMESTAMP");
  decode_bad(&f, "{\"t\":\"2020-01-01T12:30.5\"}", 6, "is not a TIMESTAMP");
  fx_free(&f);
  int64_t ms;
  assert_false(fmt_parse_timestamp("2020-01-01 12:30", 16, FMT_TS_SQL, &ms));
}

/* ---- BYTES as Base64 ------------------------------------------------------------------------- */
static void test_base64(void **state) {
  static const struct {
    const char *raw, *enc;
  } v[] = {{"", ""},
           {"f", "Zg=="},
           {"fo", "Zm8="},
           {"foo", "Zm9v"},
           {"foob", "Zm9vYg=="},
           {"fooba", "Zm9vYmE="},
           {"foobar", "Zm9vYmFy"},
           {"\xff\xfe\x00", "//4A"}};
  for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
    size_t rawn = k == 7 ? 3 : strlen(v[k].raw);
    sp_strbuf sb = {0};
    assert_int_equal(sp_base64_append(&sb, v[k].raw, rawn), 0);
    assert_string_equal(sb.len ? sb.data : "", v[k].enc);
    sp_strbuf_free(&sb);
    char out[16];
    size_t n = 99;
    assert_true(sp_base64_decode(v[k].enc, strlen(v[k].enc), out, &n));
    assert_int_equal(n, rawn);
    assert_memory_equal(out, v[k].raw, rawn);
  }
  char out[16];
  size_t n;
  static const char *bad[] = {"Zg=", "Zg", "Z===", "Zh==", "Zm9v!A==", "=Zm8", "Zg==Zg==", "Zm 9"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    if (sp_base64_decode(bad[k], strlen(bad[k]), out, &n)) fail_msg("'%s' decoded", bad[k]);
}

/* BYTES are read and written as Base64 in both formats, so bytes that are no UTF-8 read back. */
static void test_bytes_base64(void **state) {
  fx f;
  fx_init(&f, "id INT, b BYTES", FMT_CSV);
  decode_ok(&f, "1,/wBh");
  spate_bytes b = spate_row_string(&f.row, 1);
  assert_int_equal(b.len, 3);
  assert_memory_equal(b.ptr, "\xff\x00\x61", 3);
  assert_string_equal(encode(&f), "1,/wBh");
  decode_ok(&f, "2,\"\""); /* empty bytes, quoted as the empty string is */
  assert_int_equal(spate_row_string(&f.row, 1).len, 0);
  assert_false(spate_row_is_null(&f.row, 1));
  assert_string_equal(encode(&f), "2,\"\"");
  decode_bad(&f, "3,abc", 3, "field 'b': 'abc' is not Base64 (BYTES)");
  fx_free(&f);

  fx_init(&f, "id INT, b BYTES", FMT_CSV);
  set(&f, "csv.field-delimiter", "/"); /* a delimiter of the alphabet: the value is quoted */
  decode_ok(&f, "1/\"/wBh\"");
  assert_string_equal(encode(&f), "1/\"/wBh\"");
  fx_free(&f);

  fx_init(&f, "id INT, b BYTES", FMT_JSON);
  decode_ok(&f, "{\"id\":1,\"b\":\"/wBh\"}");
  b = spate_row_string(&f.row, 1);
  assert_int_equal(b.len, 3);
  assert_memory_equal(b.ptr, "\xff\x00\x61", 3);
  assert_string_equal(encode(&f), "{\"id\":1,\"b\":\"/wBh\"}");
  decode_bad(&f, "{\"id\":1,\"b\":\"a=b=\"}", 13, "field 'b': 'a=b=' is not Base64 (BYTES)");
  fx_free(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_csv_every_type),
      cmocka_unit_test(test_csv_quoting),
      cmocka_unit_test(test_csv_options),
      cmocka_unit_test(test_csv_errors),
      cmocka_unit_test(test_csv_projection),
      cmocka_unit_test(test_csv_special_doubles),
      cmocka_unit_test(test_json_every_type),
      cmocka_unit_test(test_json_options),
      cmocka_unit_test(test_json_errors),
      cmocka_unit_test(test_json_escapes_out),
      cmocka_unit_test(test_option_errors),
      cmocka_unit_test(test_timestamps),
      cmocka_unit_test(test_csv_quotes_numbers_when_needed),
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_bytes_base64),
      cmocka_unit_test(test_csv_refuses_line_breaks),
      cmocka_unit_test(test_timestamps_out_of_range),
      cmocka_unit_test(test_ignore_parse_errors_nulls_fields),
      cmocka_unit_test(test_csv_empty_strings),
      cmocka_unit_test(test_csv_unquoted_writes),
      cmocka_unit_test(test_null_literal_refused),
      cmocka_unit_test(test_blank_lines_skipped),
      cmocka_unit_test(test_json_error_column_in_bytes),
      cmocka_unit_test(test_json_flink_leniencies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

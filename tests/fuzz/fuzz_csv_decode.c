/*
 * fuzz_csv_decode.c: CSV lines as a file or socket source reads them (connectors/csv_format.c).
 * The first byte picks the options (delimiter, quote or none, escape, comments, null literal)
 * and, with its top bit, the schema of Flink's other SQL types; the rest is the line.
 *
 * A line decodes into a well-formed row, is no record (a comment), or is rejected with a column
 * inside the line and a message; with quotes on, a decoded row encodes to a line that decodes
 * and encodes to the same line again. The line is also read projected (the SQL planner's
 * projection push-down: fields 5 and 2 of the seven, the others split off unread): the same
 * contract, and a line whose every field decodes decodes projected too.
 */
#include "fuzz_format_common.h"

static void projected(const fmt_options *full, const char *line, size_t len) {
  spate_schema *all = NULL, *schema = NULL;
  char err[256];
  FUZZ_CHECK(spate_schema_parse(FUZZ_FORMAT_SCHEMA, &all, err, sizeof err) == 0, "%s", err);
  FUZZ_CHECK(spate_schema_parse("s STRING, i INT", &schema, err, sizeof err) == 0, "%s", err);
  spate_row_builder *ball = spate_rb_new(all), *b = spate_rb_new(schema);
  FUZZ_CHECK(ball && b, "out of memory");
  spate_row row;
  fmt_error e;
  int whole = fmt_decode(full, all, line, len, ball, &row, &e);
  static const int slot[] = {-1, 1, -1, -1, 0, -1, -1};
  fmt_options o = *full;
  o.line_fields = 7;
  o.slot = slot;
  int rc = fmt_decode(&o, schema, line, len, b, &row, &e);
  FUZZ_CHECK(rc == 1 || rc == 0 || rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d", rc);
  if (rc == SPATE_EINVAL)
    FUZZ_CHECK(e.column >= 1 && (size_t)e.column <= len + 1 && e.message[0],
               "column %d of a %zu-byte line, message '%s'", e.column, len, e.message);
  if (rc == 1)
    FUZZ_CHECK(row_validate(row.data, row.len, schema, true, err, sizeof err) == 0,
               "a decoded row is malformed: %s", err);
  FUZZ_CHECK(whole != 1 || rc == 1, "a line read whole is refused projected: %s", e.message);
  spate_rb_free(ball);
  spate_rb_free(b);
  schema_unref(all);
  schema_unref(schema);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  uint8_t pick = data[0];
  fmt_options o;
  fmt_options_init(&o, FMT_CSV);
  char err[256];
  static const char *const delims[] = {",", ";", "\\t", "|"};
  FUZZ_CHECK(fmt_options_set(&o, "csv.field-delimiter", delims[pick & 3], err, sizeof err) == 0,
             "%s", err);
  bool quotes = !(pick & 4);
  if (!quotes) fmt_options_set(&o, "csv.disable-quote-character", "true", err, sizeof err);
  if (pick & 8) fmt_options_set(&o, "csv.escape-character", "\\", err, sizeof err);
  if (pick & 16) fmt_options_set(&o, "csv.allow-comments", "true", err, sizeof err);
  if (pick & 32) fmt_options_set(&o, "csv.null-literal", "null", err, sizeof err);
  if (pick & 64) fmt_options_set(&o, "csv.quote-character", "'", err, sizeof err);
  if (fmt_options_check(&o, err, sizeof err) < 0) return 0;
  char *line = fuzz_cstr(data + 1, size - 1);
  fuzz_format_line(&o, line, size - 1, quotes, pick & 128);
  projected(&o, line, size - 1);
  sp_free(line);
  return 0;
}

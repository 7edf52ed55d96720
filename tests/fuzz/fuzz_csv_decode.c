/*
 * fuzz_csv_decode.c: CSV lines as a file or socket source reads them (connectors/csv_format.c).
 * The first byte picks the options (delimiter, quote or none, escape, comments, null literal)
 * and, with its top bit, the schema of Flink's other SQL types; the rest is the line.
 *
 * A line decodes into a well-formed row, is no record (a comment), or is rejected with a column
 * inside the line and a message; with quotes on, a decoded row encodes to a line that decodes
 * and encodes to the same line again.
 */
#include "fuzz_format_common.h"

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
  sp_free(line);
  return 0;
}

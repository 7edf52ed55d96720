/*
 * fuzz_json_decode.c: JSON lines as a file or socket source reads them
 * (connectors/json_format.c). The first byte picks the options (timestamp standard, missing
 * fields) and, with bit 2, the schema of Flink's other SQL types; the rest is the line.
 *
 * A line decodes into a well-formed row or is rejected with a column inside the line and a
 * message; a decoded row encodes to a line that decodes and encodes to the same line again.
 */
#include "fuzz_format_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  fmt_options o;
  fmt_options_init(&o, FMT_JSON);
  char err[256];
  if (data[0] & 1)
    FUZZ_CHECK(
        fmt_options_set(&o, "json.timestamp-format.standard", "ISO-8601", err, sizeof err) == 0,
        "%s", err);
  if (data[0] & 2) fmt_options_set(&o, "json.fail-on-missing-field", "true", err, sizeof err);
  char *line = fuzz_cstr(data + 1, size - 1);
  fuzz_format_line(&o, line, size - 1, true, data[0] & 4);
  sp_free(line);
  return 0;
}

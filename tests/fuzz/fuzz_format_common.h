/*
 * fuzz_format_common.h: what the CSV and JSON line-decoder targets share: the schema of every
 * type they decode into, and the check that a decoded row encodes to a line that decodes to the
 * same encoding again (decode . encode is stable).
 */
#ifndef SPATE_FUZZ_FORMAT_COMMON_H
#define SPATE_FUZZ_FORMAT_COMMON_H
#include "fuzz.h"

#include "connectors/format.h"
#include "types/row.h"

#define FUZZ_FORMAT_SCHEMA "b BOOLEAN, i INT, l BIGINT, d DOUBLE, s STRING, t TIMESTAMP, y BYTES"
/* Flink's other SQL types, picked by an option bit of each target. */
#define FUZZ_FORMAT_SQL_SCHEMA                                                                    \
  "a TINYINT, b SMALLINT, c FLOAT, d DECIMAL(10, 2), e DECIMAL(38, 4), f DATE, g TIME(3), "       \
  "h TIMESTAMP(9), i TIMESTAMP_LTZ(3), j INTERVAL YEAR TO MONTH, k INTERVAL DAY TO SECOND(3), "   \
  "l CHAR(3), m BINARY(2), n TIMESTAMP(0), o ARRAY<INT NOT NULL>, p MAP<STRING, ARRAY<BIGINT>>, " \
  "q ROW<x INT, y STRING>"

/* Decodes line with o into FUZZ_FORMAT_SCHEMA (or FUZZ_FORMAT_SQL_SCHEMA); checks the result's contract; for a row, checks the round trip (when
 * round_trip: the options can write every value). */
static inline void fuzz_format_line(const fmt_options *o, const char *line, size_t len,
                                    bool round_trip, bool sql_types) {
  spate_schema *schema = NULL;
  char err[256];
  FUZZ_CHECK(spate_schema_parse(sql_types ? FUZZ_FORMAT_SQL_SCHEMA : FUZZ_FORMAT_SCHEMA, &schema,
                                err, sizeof err) == 0,
             "%s", err);
  spate_row_builder *b = spate_rb_new(schema);
  FUZZ_CHECK(b != NULL, "out of memory");
  spate_row row;
  fmt_error e;
  int rc = fmt_decode(o, schema, line, len, b, &row, &e);
  FUZZ_CHECK(rc == 1 || rc == 0 || rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d", rc);
  if (rc == SPATE_EINVAL) {
    FUZZ_CHECK(e.column >= 1 && (size_t)e.column <= len + 1, "column %d of a %zu-byte line",
               e.column, len);
    FUZZ_CHECK(e.message[0] != 0, "an error without a message");
  }
  if (rc == 1) {
    FUZZ_CHECK(row_validate(row.data, row.len, schema, true, err, sizeof err) == 0,
               "a decoded row is malformed: %s", err);
    sp_strbuf first = {0}, second = {0};
    rc = fmt_encode(o, schema, &row, &first, &e);
    FUZZ_CHECK(rc == 0 || rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "encode rc %d", rc);
    FUZZ_CHECK(rc != SPATE_EINVAL || e.message[0], "an encoding error without a message");
    if (round_trip && rc == 0) { /* else a value the format cannot write (a line break) */
      spate_row again;
      rc = fmt_decode(o, schema, first.data, first.len, b, &again, &e);
      FUZZ_CHECK(rc == 1, "the encoding '%s' of a decoded row does not decode: column %d: %s",
                 first.data, e.column, e.message);
      FUZZ_CHECK(fmt_encode(o, schema, &again, &second, &e) == 0, "%s", e.message);
      FUZZ_CHECK(first.len == second.len && memcmp(first.data, second.data, first.len) == 0,
                 "'%s' decodes and encodes as '%s'", first.data, second.data);
    }
    sp_strbuf_free(&first);
    sp_strbuf_free(&second);
  }
  spate_rb_free(b);
  schema_unref(schema);
}
#endif

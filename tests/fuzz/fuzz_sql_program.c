/*
 * fuzz_sql_program.c: the decoder of SQL calc programs (operators/sql_program.h), what the
 * OP_SQL_CALC operator runs on its node's parameter when it opens, and the interpreter over
 * whatever program it accepts. Input: the program's bytes.
 *
 * Contracts checked: a program is either refused with SPATE_ECORRUPT (or SPATE_ENOMEM) and a
 * message naming it, or it evaluates over a row of its input schema (one with values, one
 * with every nullable field NULL), each evaluation passing, dropping the row or failing with a
 * message, without a memory error, undefined behaviour or a leak. C user functions a program
 * names are never loaded (sqlp_open_udfs is not called): their calls fail with a message.
 */
#include "fuzz.h"

#include "base/err.h"
#include "base/log.h"
#include "operators/sql_program.h"

/* A value of field i's type into b (nulls: NULL where the field allows it). */
static void set_value(spate_row_builder *b, const spate_schema *s, int i, bool nulls) {
  const schema_field *f = &s->fields[i];
  if (nulls && f->nullable) {
    spate_rb_set_null(b, i);
    return;
  }
  switch (f->type) {
  case SPATE_BOOLEAN: spate_rb_set_bool(b, i, true); break;
  case SPATE_TINYINT: spate_rb_set_tinyint(b, i, -128); break;
  case SPATE_SMALLINT: spate_rb_set_smallint(b, i, 7); break;
  case SPATE_INT: spate_rb_set_int(b, i, INT32_MIN); break;
  case SPATE_BIGINT: spate_rb_set_bigint(b, i, -1); break;
  case SPATE_FLOAT: spate_rb_set_float(b, i, 0.5f); break;
  case SPATE_DOUBLE: spate_rb_set_double(b, i, -1e300); break;
  case SPATE_DECIMAL: spate_rb_set_decimal(b, i, -1); break;
  case SPATE_STRING:
  case SPATE_CHAR: spate_rb_set_string(b, i, "a%_\\b\xc3\xa9 12", 11); break;
  case SPATE_BYTES:
  case SPATE_BINARY: spate_rb_set_bytes(b, i, "\0\1", 2); break;
  case SPATE_DATE: spate_rb_set_date(b, i, -719528); break;
  case SPATE_TIME: spate_rb_set_time(b, i, 86399999); break;
  case SPATE_TIMESTAMP:
  case SPATE_TIMESTAMP_LTZ: spate_rb_set_timestamp_nanos(b, i, 253402300799999, 999999); break;
  case SPATE_INTERVAL_YM: spate_rb_set_interval_months(b, i, INT32_MIN); break;
  case SPATE_INTERVAL_DT: spate_rb_set_interval_ms(b, i, INT64_MIN); break;
  default: break; /* composites stay NULL */
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_log_set_level(SP_LOG_OFF);
  uint8_t *bytes = sp_malloc(size ? size : 1); /* exact size: reading past it is caught */
  FUZZ_CHECK(bytes != NULL, "out of memory");
  if (size) memcpy(bytes, data, size);
  sqlp_program *p = NULL;
  char err[512] = "";
  int rc = sqlp_decode(bytes, size, &p, err, sizeof err);
  sp_free(bytes);
  if (rc) {
    FUZZ_CHECK(rc == SPATE_ECORRUPT || rc == SPATE_ENOMEM, "rc %d: %s", rc, err);
    FUZZ_CHECK(strstr(err, "SQL calc program") != NULL, "the message does not name it: %s", err);
    return 0;
  }
  spate_row_builder *in = spate_rb_new(p->input), *out = spate_rb_new(p->output);
  FUZZ_CHECK(in && out, "out of memory");
  for (int pass = 0; pass < 2; pass++) {
    spate_rb_begin(in);
    for (int i = 0; i < p->input->nfields; i++) set_value(in, p->input, i, pass == 1);
    spate_row row;
    if (spate_rb_finish(in, &row) < 0) continue; /* a NOT NULL composite: no row to try */
    for (int k = 0; k < 2; k++) {
      p->err[0] = 0;
      rc = sqlp_eval(p, &row, 1700000000000 + k, out);
      FUZZ_CHECK(rc <= 1, "rc %d", rc);
      if (rc < 0) {
        FUZZ_CHECK(p->err[0] != 0, "an evaluation failed without a message (rc %d)", rc);
      } else if (rc == 1) {
        spate_row r;
        (void)spate_rb_finish(out, &r); /* may fail: NULL into NOT NULL is the builder's to say */
      }
    }
  }
  spate_rb_free(in);
  spate_rb_free(out);
  sqlp_free(p);
  return 0;
}

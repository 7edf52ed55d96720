/*
 * fuzz_schema.c: schema specs as users write them ("word STRING, count BIGINT NOT NULL";
 * types/schema.c, spate_schema_parse). The input is the spec.
 *
 * A spec is parsed or rejected with SPATE_EINVAL and a message quoting it with a column. A
 * parsed schema prints (schema_to_string) as a spec that parses back to an equal schema, and
 * encodes (schema_encode) to bytes that decode back to an equal schema.
 */
#include "fuzz.h"

#include "base/err.h"
#include "types/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *spec = fuzz_cstr(data, size);
  spate_schema *s = NULL;
  char err[256] = ""; /* what callers usually give: the message must fit */
  int rc = spate_schema_parse(spec, &s, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc == SPATE_EINVAL || rc == SPATE_ENOMEM, "rc %d: %s", rc, err);
    FUZZ_CHECK(s == NULL, "a rejected spec gave a schema");
    FUZZ_CHECK(strncmp(err, "schema", 6) == 0 && strstr(err, "column") != NULL,
               "the message names neither the spec nor a column: %s", err);
    sp_free(spec);
    return 0;
  }
  FUZZ_CHECK(spate_schema_num_fields(s) > 0, "a schema without fields");
  char *text = schema_to_string(s);
  FUZZ_CHECK(text != NULL, "out of memory");
  spate_schema *again = NULL;
  rc = spate_schema_parse(text, &again, err, sizeof err);
  FUZZ_CHECK(rc == 0, "the printed form '%s' does not parse: %s", text, err);
  FUZZ_CHECK(schema_equal(s, again), "'%s' printed as '%s' parses to another schema", spec, text);
  schema_unref(again);

  sp_writer w;
  sp_writer_init(&w);
  schema_encode(&w, s);
  FUZZ_CHECK(!w.failed, "out of memory");
  sp_reader r;
  sp_reader_init(&r, w.data, w.len);
  spate_schema *decoded = schema_decode(&r);
  FUZZ_CHECK(decoded != NULL && r.pos == r.len, "the encoding of '%s' does not decode: %s", text,
             r.error);
  FUZZ_CHECK(schema_equal(s, decoded), "the encoding of '%s' decodes to another schema", text);
  schema_unref(decoded);
  sp_writer_free(&w);
  sp_free(text);
  schema_unref(s);
  sp_free(spec);
  return 0;
}

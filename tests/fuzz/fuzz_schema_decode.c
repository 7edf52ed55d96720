/*
 * fuzz_schema_decode.c: encoded schemas as they travel inside job graphs and job results
 * (types/schema.c, schema_decode). The input is the encoding.
 *
 * Decoding either fails with a message on the reader or gives a schema that encodes to exactly
 * the bytes it was decoded from and prints as a spec.
 */
#include "fuzz.h"

#include "types/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sp_reader r;
  sp_reader_init(&r, data, size);
  spate_schema *s = schema_decode(&r);
  if (!s) {
    FUZZ_CHECK(!sp_reader_ok(&r), "decoding failed without a message");
    return 0;
  }
  FUZZ_CHECK(sp_reader_ok(&r), "a decoded schema with an error: %s", r.error);
  sp_writer w;
  sp_writer_init(&w);
  schema_encode(&w, s);
  FUZZ_CHECK(!w.failed, "out of memory");
  FUZZ_CHECK(w.len == r.pos && memcmp(w.data, data, w.len) == 0,
             "a decoded schema encodes to other bytes (%zu bytes read, %zu written)", r.pos, w.len);
  sp_writer_free(&w);
  char *text = schema_to_string(s);
  FUZZ_CHECK(text != NULL, "out of memory");
  for (int i = 0; i < spate_schema_num_fields(s); i++) {
    FUZZ_CHECK(spate_schema_field_index(s, spate_schema_field_name(s, i)) == i,
               "field %d of '%s' is not found by its name", i, text);
  }
  /* A decoded schema that has fields is one a user could have written. */
  if (spate_schema_num_fields(s) > 0) {
    spate_schema *again = NULL;
    char err[1024] = "";
    int rc = spate_schema_parse(text, &again, err, sizeof err);
    FUZZ_CHECK(rc == 0, "the decoded schema prints as '%s', which does not parse: %s", text, err);
    FUZZ_CHECK(schema_equal(s, again), "the decoded schema prints as '%s', another schema", text);
    schema_unref(again);
  }
  sp_free(text);
  schema_unref(s);
  return 0;
}

/*
 * fuzz_row.c: row bytes checked against a schema (types/row.c, row_validate), as rows from
 * collected job results, restored state and sources are checked before anything reads them.
 * The input is a schema spec, a newline, and the row's bytes.
 *
 * A row either fails validation with a message, or every reader of rows may use it: formatting
 * (into buffers of several sizes, and growable), key hashing and equality over all fields. A
 * row validated without the UTF-8 check (restored state) must be just as safe to format.
 */
#include "fuzz.h"

#include "base/err.h"
#include "types/row.h"

static void use_row(const spate_row *r, const spate_schema *s) {
  static const size_t caps[] = {0, 1, 2, 7, 64, 4096};
  size_t full = 0;
  char *buf = sp_malloc(4096);
  FUZZ_CHECK(buf != NULL, "out of memory");
  for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
    size_t n = spate_row_format(r, s, caps[k] ? buf : NULL, caps[k]);
    FUZZ_CHECK(k == 0 || n == full, "formatting into %zu bytes gives length %zu, not %zu", caps[k],
               n, full);
    full = n;
    if (caps[k])
      FUZZ_CHECK(buf[n < caps[k] ? n : caps[k] - 1] == 0,
                 "a row formatted into %zu bytes is not terminated where it should be", caps[k]);
  }
  sp_free(buf);
  sp_strbuf sb = {0};
  FUZZ_CHECK(row_format(&sb, r, s) == 0, "out of memory");
  FUZZ_CHECK(sb.len == full, "row_format gives %zu bytes, spate_row_format %zu", sb.len, full);
  sp_strbuf_free(&sb);

  int n = s->nfields;
  int *fields = sp_malloc((size_t)n * sizeof *fields);
  FUZZ_CHECK(fields != NULL, "out of memory");
  for (int i = 0; i < n; i++) fields[i] = i;
  (void)row_fields_java_hash(r, fields, n, s);
  (void)row_fields_hash64(r, fields, n, s);
  FUZZ_CHECK(row_fields_equal(r, fields, r, fields, n, s), "a row differs from itself");
  sp_free(fields);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nl = memchr(data, '\n', size);
  if (!nl) return 0;
  char *spec = fuzz_cstr(data, (size_t)(nl - data));
  spate_schema *s = NULL;
  char err[SP_ERRMSG_MAX];
  if (spate_schema_parse(spec, &s, err, sizeof err) != 0) {
    sp_free(spec);
    return 0;
  }
  sp_free(spec);
  size_t len = size - (size_t)(nl + 1 - data);
  if (len > UINT32_MAX) len = UINT32_MAX;
  /* An exact-size copy, so reading past the row is caught. */
  uint8_t *bytes = sp_malloc(len ? len : 1);
  FUZZ_CHECK(bytes != NULL, "out of memory");
  memcpy(bytes, nl + 1, len);
  spate_row r = {bytes, (uint32_t)len, (uint32_t)s->nfields};
  for (int utf8 = 1; utf8 >= 0; utf8--) {
    err[0] = 0;
    int rc = row_validate(bytes, (uint32_t)len, s, utf8, err, sizeof err);
    if (rc == 0) {
      use_row(&r, s);
      break;
    }
    FUZZ_CHECK(rc == SPATE_ECORRUPT && err[0], "rc %d, message '%s'", rc, err);
  }
  sp_free(bytes);
  schema_unref(s);
  return 0;
}
